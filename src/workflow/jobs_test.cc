#include "workflow/jobs.h"

#include <gtest/gtest.h>

#include "workflow/loader_test_util.h"

namespace gantry::workflow {
namespace {

using testing::JobWith;
using testing::Load;
using testing::Render;

TEST(JobsTest, RunnerJobFieldsAreRead) {
  LoadResult r = Load(
      JobWith("    name: Build ${{ matrix.os }}\n    if: github.event_name == 'push'\n"
              "    timeout-minutes: 30\n    continue-on-error: ${{ matrix.experimental }}\n"
              "    environment:\n      name: prod\n      url: ${{ steps.deploy.outputs.url }}\n"
              "    outputs:\n      v: ${{ steps.s.outputs.v }}\n"
              "    env:\n      TOKEN: ${{ secrets.T }}\n"
              "    defaults:\n      run:\n        working-directory: ${{ env.DIR }}\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  const Job& job = r.workflow->jobs[0];
  EXPECT_FALSE(job.IsReusableCall());
  EXPECT_EQ(job.name->value, "Build ${{ matrix.os }}");
  EXPECT_EQ(job.if_condition->value, "github.event_name == 'push'");
  EXPECT_EQ(job.timeout_minutes->value, "30");
  EXPECT_EQ(job.continue_on_error->value, "${{ matrix.experimental }}");
  EXPECT_EQ(job.environment->name.value, "prod");
  EXPECT_EQ(job.environment->url->value, "${{ steps.deploy.outputs.url }}");
  EXPECT_EQ(job.outputs[0].first, "v");
  EXPECT_EQ(job.env[0].second.pos.line, 15);
  EXPECT_EQ(job.defaults.working_directory->value, "${{ env.DIR }}");
  EXPECT_EQ(job.runs_on->labels[0].value, "ubuntu-latest");
}

TEST(JobsTest, InvalidJobIdIsReportedWithGitHubsMessage) {
  LoadResult r = Load("on: push\njobs:\n  my.job:\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "3:3: The identifier 'my.job' is invalid. IDs may only contain alphanumeric "
            "characters, '_', and '-'. IDs must start with a letter or '_' and and must be less "
            "than 100 characters.\n");
}

TEST(JobsTest, JobIdStartingWithTwoUnderscoresIsReserved) {
  LoadResult r = Load("on: push\njobs:\n  __a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "3:3: The identifier '__a' is invalid. IDs starting with '__' are reserved.\n");
}

TEST(JobsTest, JobIdsAreUniqueIgnoringCase) {
  LoadResult r = Load("on: push\njobs:\n  build:\n    runs-on: x\n  BUILD:\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "5:3: 'BUILD' is already defined\n");
}

TEST(JobsTest, ExpressionAsJobIdIsNotAllowed) {
  LoadResult r =
      Load("on: push\njobs:\n  ${{ github.ref }}:\n    runs-on: x\n  b:\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "3:3: A template expression is not allowed in this context\n");
}

TEST(JobsTest, RunsOnIsRequiredForARunnerJob) {
  LoadResult r = Load("on: push\njobs:\n  a:\n    steps:\n      - run: echo\n");
  EXPECT_EQ(Render(r), "4:5: Required property is missing: runs-on\n");
}

TEST(JobsTest, JobWithoutRunsOnOrUsesIsAmbiguous) {
  LoadResult r = Load("on: push\njobs:\n  a:\n    name: x\n");
  EXPECT_EQ(Render(r),
            "4:5: There's not enough info to determine what you meant. Add one of these "
            "properties: cancel-timeout-minutes, container, continue-on-error, defaults, env, "
            "environment, outputs, runs-on, secrets, services, snapshot, steps, "
            "timeout-minutes, uses, with\n");
}

TEST(JobsTest, RunsOnAndUsesCannotBeCombined) {
  LoadResult r =
      Load("on: push\njobs:\n  a:\n    runs-on: x\n    uses: ./.github/workflows/c.yml\n");
  EXPECT_EQ(Render(r),
            "5:5: Unexpected value 'uses' (a job cannot have both 'runs-on' and 'uses')\n");
}

TEST(JobsTest, UnknownJobKeySuggestsTheClosestKey) {
  LoadResult r = Load("on: push\njobs:\n  a:\n    runs-on: x\n    stesp: []\n");
  EXPECT_EQ(Render(r), "5:5: Unexpected value 'stesp' (did you mean 'steps'?)\n");
}

TEST(JobsTest, RunsOnAcceptsItsFourForms) {
  LoadResult list = Load("on: push\njobs:\n  a:\n    runs-on: [self-hosted, linux]\n");
  ASSERT_TRUE(list.ok()) << Render(list);
  EXPECT_EQ(list.workflow->jobs[0].runs_on->labels.size(), 2u);
  LoadResult expression = Load("on: push\njobs:\n  a:\n    runs-on: ${{ matrix.os }}\n");
  ASSERT_TRUE(expression.ok()) << Render(expression);
  EXPECT_EQ(expression.workflow->jobs[0].runs_on->expression->value, "${{ matrix.os }}");
  EXPECT_TRUE(expression.workflow->jobs[0].runs_on->labels.empty());
  LoadResult group = Load(
      "on: push\njobs:\n  a:\n    runs-on:\n      group: organization/big\n      labels: gpu\n");
  ASSERT_TRUE(group.ok()) << Render(group);
  EXPECT_EQ(group.workflow->jobs[0].runs_on->group->value, "organization/big");
  EXPECT_EQ(group.workflow->jobs[0].runs_on->labels[0].value, "gpu");
}

TEST(JobsTest, RunsOnRejectsContextsItCannotSee) {
  LoadResult r = Load("on: push\njobs:\n  a:\n    runs-on: ${{ env.RUNNER }}\n");
  EXPECT_EQ(Render(r),
            "4:14: Unrecognized named-value: 'env'. Located at position 1 within expression: "
            "env.RUNNER\n");
}

TEST(JobsTest, RunsOnGroupNeedsAKnownPrefix) {
  LoadResult r = Load(
      "on: push\njobs:\n  a:\n    runs-on:\n      group: ent/org/g\n"
      "  b:\n    runs-on:\n      group: ent/\n");
  EXPECT_EQ(Render(r),
            "5:14: Invalid runs-on group name 'ent/org/g'. Please use 'organization/' or "
            "'enterprise/' prefix to target a single runner group.\n"
            "8:14: Invalid runs-on group name 'ent/'.\n");
}

TEST(JobsTest, EmptyRunsOnLabelIsRejected) {
  LoadResult r = Load("on: push\njobs:\n  a:\n    runs-on: ''\n");
  EXPECT_EQ(Render(r), "4:14: Unexpected value '' (expected a non-empty string)\n");
}

TEST(JobsTest, JobIfAllowsNeedsAndStatusFunctionsButNotSteps) {
  EXPECT_TRUE(Load(JobWith("    if: always() && needs.x.result == 'ok'\n")).ok());
  LoadResult r = Load(JobWith("    if: steps.x.outcome == 'success'\n"));
  EXPECT_EQ(Render(r),
            "5:9: Unrecognized named-value: 'steps'. Located at position 1 within expression: "
            "steps.x.outcome == 'success'\n");
}

TEST(JobsTest, JobIfWithoutBracesMustParse) {
  LoadResult r = Load(JobWith("    if: github.ref ==\n"));
  ASSERT_EQ(r.diagnostics.size(), 1u) << Render(r);
  EXPECT_EQ(r.diagnostics[0].pos.line, 5);
  EXPECT_EQ(r.diagnostics[0].pos.column, 9);
  EXPECT_EQ(r.diagnostics[0].rule, "expression");
}

TEST(JobsTest, JobEnvAllowsSecretsButOutputsValuesMustBeStrings) {
  LoadResult r =
      Load(JobWith("    env:\n      A: ${{ secrets.A }}\n    outputs:\n      o: {x: 1}\n"));
  EXPECT_EQ(Render(r), "8:10: A mapping was not expected (expected a string)\n");
}

TEST(JobsTest, TimeoutMinutesMustBeANumberOrExpression) {
  LoadResult r = Load(JobWith("    timeout-minutes: '10'\n"));
  EXPECT_EQ(Render(r), "5:22: Unexpected value '10' (expected a number or an expression)\n");
}

TEST(JobsTest, ContainerStringAndMappingForms) {
  LoadResult r = Load(
      JobWith("    container:\n      image: node:20\n      credentials:\n        username: u\n"
              "        password: ${{ secrets.P }}\n      env:\n        A: ${{ runner.os }}\n"
              "      ports: [80, '443:443']\n      volumes: [/data]\n      options: --cpus 1\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  const Container& c = *r.workflow->jobs[0].container;
  EXPECT_EQ(c.image.value, "node:20");
  EXPECT_EQ(c.credentials->second.value, "${{ secrets.P }}");
  EXPECT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].value, "80");
  EXPECT_EQ(c.volumes[0].value, "/data");
  EXPECT_EQ(c.options->value, "--cpus 1");
  EXPECT_EQ(Load(JobWith("    container: node:20\n")).workflow->jobs[0].container->image.value,
            "node:20");
}

TEST(JobsTest, ContainerWithoutImageIsRejected) {
  LoadResult r = Load(JobWith("    container:\n      options: --rm\n"));
  EXPECT_EQ(Render(r), "6:7: Container image cannot be empty\n");
}

TEST(JobsTest, ContainerRejectsServiceOnlyKeys) {
  LoadResult r = Load(JobWith("    container:\n      image: x\n      entrypoint: sh\n"));
  EXPECT_EQ(Render(r), "7:7: Unexpected value 'entrypoint'\n");
}

TEST(JobsTest, ServicesAreReadWithTheirIds) {
  LoadResult r =
      Load(JobWith("    services:\n      db:\n        image: postgres:16\n        env:\n"
                   "          POSTGRES_PASSWORD: x\n        ports: ['5432:5432']\n"
                   "        entrypoint: docker-entrypoint.sh\n      cache: redis:7\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  const auto& services = r.workflow->jobs[0].services;
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0].id, "db");
  EXPECT_EQ(services[0].entrypoint->value, "docker-entrypoint.sh");
  EXPECT_EQ(services[1].id, "cache");
  EXPECT_EQ(services[1].image.value, "redis:7");
}

TEST(JobsTest, ServiceWithoutImageIsRejected) {
  LoadResult r = Load(JobWith("    services:\n      db:\n        options: --rm\n"));
  EXPECT_EQ(Render(r), "7:9: Container image cannot be empty\n");
}

TEST(JobsTest, EnvironmentMappingRequiresName) {
  LoadResult r = Load(JobWith("    environment:\n      url: https://x\n"));
  EXPECT_EQ(Render(r), "6:7: Required property is missing: name\n");
}

TEST(JobsTest, JobConcurrencyRejectsSecrets) {
  LoadResult r = Load(JobWith("    concurrency: ${{ secrets.foo }}\n"));
  EXPECT_EQ(Render(r),
            "5:18: Unrecognized named-value: 'secrets'. Located at position 1 within "
            "expression: secrets.foo\n");
}

TEST(JobsTest, ReusableCallFieldsAreRead) {
  LoadResult r = Load(
      "on: push\njobs:\n  call:\n    uses: octo/repo/.github/workflows/ci.yml@v1\n"
      "    with:\n      debug: true\n      name: ${{ github.actor }}\n"
      "    secrets:\n      token: ${{ secrets.T }}\n  inherit:\n"
      "    uses: ./.github/workflows/local.yml\n    secrets: inherit\n");
  ASSERT_TRUE(r.ok()) << Render(r);
  const Job& call = r.workflow->jobs[0];
  EXPECT_TRUE(call.IsReusableCall());
  EXPECT_EQ(call.with[0].second.value, "true");
  EXPECT_EQ(call.secrets[0].first, "token");
  EXPECT_FALSE(call.secrets_inherit);
  EXPECT_TRUE(r.workflow->jobs[1].secrets_inherit);
}

TEST(JobsTest, ReusableCallCannotHaveSteps) {
  LoadResult r = Load(
      "on: push\njobs:\n  call:\n    uses: ./.github/workflows/c.yml\n"
      "    steps: []\n");
  EXPECT_EQ(Render(r),
            "5:5: Unexpected value 'steps' (a job cannot have both 'uses' and 'steps')\n");
}

TEST(JobsTest, MalformedReusableWorkflowReferenceIsRejected) {
  LoadResult r = Load("on: push\njobs:\n  call:\n    uses: foo/workflow.yml@main\n");
  ASSERT_EQ(r.diagnostics.size(), 1u) << Render(r);
  EXPECT_EQ(r.diagnostics[0].pos.line, 4);
  EXPECT_EQ(r.diagnostics[0].pos.column, 11);
  EXPECT_EQ(r.diagnostics[0].rule, "workflow-call");
}

TEST(JobsTest, ExpressionInJobUsesIsNotAllowed) {
  LoadResult r = Load("on: push\njobs:\n  call:\n    uses: ${{ vars.WORKFLOW }}\n");
  EXPECT_EQ(Render(r), "4:11: A template expression is not allowed in this context\n");
}

TEST(JobsTest, QuotedLiteralExpressionIsFoldedWhereExpressionsAreNotAllowed) {
  LoadResult r = Load("on: push\njobs:\n  call:\n    uses: ${{ 'oooops' }}\n");
  EXPECT_TRUE(r.ok()) << Render(r);
}

TEST(JobsTest, SecretsMustBeInheritOrAMapping) {
  LoadResult r = Load(
      "on: push\njobs:\n  call:\n    uses: ./.github/workflows/c.yml\n"
      "    secrets: all\n");
  EXPECT_EQ(Render(r),
            "5:14: Unexpected value 'all' (expected 'inherit' or a mapping of secrets)\n");
}

TEST(JobsTest, SnapshotNeedsAnImageName) {
  EXPECT_TRUE(Load(JobWith("    snapshot: my-image\n")).ok());
  LoadResult r = Load(JobWith("    snapshot:\n      version: '2'\n"));
  EXPECT_EQ(Render(r), "6:7: Required property is missing: image-name\n");
}

}  // namespace
}  // namespace gantry::workflow
