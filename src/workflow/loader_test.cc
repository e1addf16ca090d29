#include "workflow/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "workflow/loader_test_util.h"

namespace gantry::workflow {
namespace {

using testing::JobWith;
using testing::Load;
using testing::Render;

TEST(LoaderTest, MinimalWorkflowLoadsWithoutDiagnostics) {
  LoadResult r = Load(
      "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
      "    steps:\n      - run: echo hi\n");
  EXPECT_TRUE(r.ok()) << Render(r);
  ASSERT_EQ(r.workflow->jobs.size(), 1u);
  EXPECT_EQ(r.workflow->jobs[0].id, "build");
  EXPECT_EQ(r.workflow->jobs[0].pos.line, 3);
  EXPECT_EQ(r.workflow->FindJob("build"), &r.workflow->jobs[0]);
  EXPECT_EQ(r.workflow->FindJob("nope"), nullptr);
}

TEST(LoaderTest, TopLevelFieldsAreRead) {
  LoadResult r = Load(
      "name: CI\nrun-name: Deploy ${{ github.ref }}\non: push\n"
      "env:\n  A: ${{ secrets.X }}\n  B: 1\n"
      "defaults:\n  run:\n    shell: bash\n    working-directory: src\n"
      "concurrency:\n  group: ci-${{ github.ref }}\n  cancel-in-progress: true\n"
      "permissions: read-all\n"
      "jobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n");
  ASSERT_TRUE(r.ok()) << Render(r);
  const Workflow& w = *r.workflow;
  EXPECT_EQ(w.name->value, "CI");
  EXPECT_EQ(w.run_name->value, "Deploy ${{ github.ref }}");
  ASSERT_EQ(w.env.size(), 2u);
  EXPECT_EQ(w.env[1].first, "B");
  EXPECT_EQ(w.env[1].second.value, "1");
  EXPECT_EQ(w.env[1].second.pos.line, 6);
  EXPECT_EQ(w.defaults.shell->value, "bash");
  EXPECT_EQ(w.defaults.working_directory->value, "src");
  EXPECT_EQ(w.concurrency->group.value, "ci-${{ github.ref }}");
  EXPECT_EQ(w.concurrency->cancel_in_progress->value, "true");
  EXPECT_EQ(w.permissions->all, "read-all");
}

TEST(LoaderTest, MissingJobsAndOnAreRequired) {
  LoadResult r = Load("name: x\n");
  EXPECT_EQ(Render(r),
            "1:1: Required property is missing: on\n"
            "1:1: Required property is missing: jobs\n");
}

TEST(LoaderTest, UnknownTopLevelKeySuggestsTheClosestKey) {
  LoadResult r = Load("on: push\njob:\n  a: {}\n");
  EXPECT_EQ(Render(r),
            "1:1: Required property is missing: jobs\n"
            "2:1: Unexpected value 'job' (did you mean 'jobs'?)\n");
}

TEST(LoaderTest, EmptyJobsNeedsAtLeastOneJob) {
  LoadResult r = Load("on: push\njobs: {}\n");
  EXPECT_EQ(Render(r), "2:7: The workflow must contain at least one job with no dependencies.\n");
}

TEST(LoaderTest, EmptyFileIsOneDiagnosticWithoutPosition) {
  LoadResult r = Load("");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "w.yml: The workflow file is empty: it needs at least 'on' and 'jobs'");
  EXPECT_EQ(r.workflow, nullptr);
}

TEST(LoaderTest, RootMustBeAMapping) {
  LoadResult r = Load("- a\n- b\n");
  EXPECT_EQ(Render(r),
            "1:1: A sequence was not expected (expected a workflow mapping with 'on' and "
            "'jobs')\n");
}

TEST(LoaderTest, ExpressionInWorkflowNameIsNotAllowed) {
  LoadResult r = Load("name: Build ${{ github.ref }}\non: push\njobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "1:7: A template expression is not allowed in this context\n");
}

TEST(LoaderTest, RunNameRejectsContextsOutsideItsPlace) {
  LoadResult r = Load("run-name: ${{ secrets.X }}\non: push\njobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "1:11: Unrecognized named-value: 'secrets'. Located at position 1 within "
            "expression: secrets.X\n");
}

TEST(LoaderTest, WorkflowEnvAllowsSecretsButNotEnv) {
  LoadResult r = Load(
      "on: push\nenv:\n  A: ${{ secrets.X }}\n  B: ${{ env.A }}\n"
      "jobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "4:6: Unrecognized named-value: 'env'. Located at position 1 within expression: "
            "env.A\n");
}

TEST(LoaderTest, EnvKeysAreUniqueIgnoringCase) {
  LoadResult r = Load("on: push\nenv:\n  path: a\n  PATH: b\njobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "4:3: 'PATH' is already defined\n");
}

TEST(LoaderTest, EnvValueMustBeAScalar) {
  LoadResult r = Load("on: push\nenv:\n  A: [1]\njobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "3:6: A sequence was not expected (expected a string)\n");
}

TEST(LoaderTest, WholeEnvMayBeOneExpression) {
  LoadResult r = Load("on: push\nenv: ${{ fromJSON(vars.ENV) }}\njobs:\n  a:\n    runs-on: x\n");
  ASSERT_TRUE(r.ok()) << Render(r);
  EXPECT_TRUE(IsWholeExpression(r.workflow->env));
}

TEST(LoaderTest, PermissionsAcceptShorthandsAndScopes) {
  LoadResult r = Load(JobWith("    permissions:\n      contents: read\n      id-token: write\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  const auto& scopes = r.workflow->jobs[0].permissions->scopes;
  ASSERT_EQ(scopes.size(), 2u);
  EXPECT_EQ(scopes[1], (std::pair<std::string, std::string>{"id-token", "write"}));
  EXPECT_TRUE(Load(JobWith("    permissions: {}\n")).ok());
  EXPECT_TRUE(Load(JobWith("    permissions: write-all\n")).ok());
}

TEST(LoaderTest, PermissionsRejectUnknownScopesAndLevels) {
  LoadResult r =
      Load(JobWith("    permissions:\n      content: read\n      id-token: read\n"
                   "      issues: READ\n"));
  EXPECT_EQ(Render(r),
            "6:7: Unexpected value 'content' (did you mean 'contents'?)\n"
            "7:17: Unexpected value 'read' (expected write or none for 'id-token')\n"
            "8:15: Unexpected value 'READ' (expected read, write or none for 'issues')\n");
}

TEST(LoaderTest, PermissionsShorthandMustBeReadAllOrWriteAll) {
  LoadResult r = Load("on: push\npermissions: write\njobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "2:14: Unexpected value 'write' (expected read-all, write-all or a mapping of "
            "scopes)\n");
}

TEST(LoaderTest, EmptyPermissionsValueIsReportedAfterTheColon) {
  LoadResult r = Load("on: push\npermissions:\njobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "2:13: Unexpected value '' (expected read-all, write-all or a mapping of scopes)\n");
}

TEST(LoaderTest, ConcurrencyMappingRequiresGroup) {
  LoadResult r = Load(
      "on: push\nconcurrency:\n  cancel-in-progress: true\n"
      "jobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "3:3: Required property is missing: group\n");
}

TEST(LoaderTest, ConcurrencyCancelInProgressMustBeBoolean) {
  LoadResult r = Load(
      "on: push\nconcurrency:\n  group: g\n  cancel-in-progress: yes\n"
      "jobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "4:23: Unexpected value 'yes' (expected a boolean or an expression)\n");
}

TEST(LoaderTest, DefaultsRunRejectsUnknownKeys) {
  LoadResult r = Load("on: push\ndefaults:\n  run:\n    shel: bash\njobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "4:5: Unexpected value 'shel' (did you mean 'shell'?)\n");
}

TEST(LoaderTest, WorkflowDefaultShellAllowsLiteralExpressionsOnly) {
  EXPECT_TRUE(Load("on: push\ndefaults:\n  run:\n    shell: ${{ 'sh {0}' }}\n"
                   "jobs:\n  a:\n    runs-on: x\n")
                  .ok());
  LoadResult r = Load(
      "on: push\ndefaults:\n  run:\n    shell: ${{ env.SHELL }}\n"
      "jobs:\n  a:\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "4:12: Unrecognized named-value: 'env'. Located at position 1 within expression: "
            "env.SHELL\n");
}

TEST(LoaderTest, ProblemsReachedThroughAliasesAreReportedOnce) {
  LoadResult r = Load(
      "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
      "      - &s {run: echo, with: {}}\n      - *s\n      - *s\n");
  EXPECT_EQ(Render(r),
            "6:24: Unexpected value 'with' (a step cannot have both 'run' and 'with')\n");
}

TEST(LoaderTest, AllProblemsAreReportedSortedByPosition) {
  LoadResult r = Load(
      "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: soon\n"
      "    steps:\n      - run: echo\n        uses: x/y@v1\n  b:\n    needs: c\n"
      "    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "5:22: Unexpected value 'soon' (expected a number or an expression)\n"
            "8:9: Unexpected value 'uses' (a step cannot have both 'run' and 'uses')\n"
            "10:12: Job 'b' depends on unknown job 'c'.\n");
}

TEST(LoaderTest, LoadWorkflowFileReportsAnUnreadableFile) {
  LoadResult r = LoadWorkflowFile("/nonexistent/dir/ci.yml");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].file, "/nonexistent/dir/ci.yml");
  EXPECT_EQ(r.diagnostics[0].pos.line, 0);
  EXPECT_EQ(r.diagnostics[0].message.rfind("cannot read the file", 0), 0u);
}

TEST(LoaderTest, LoadWorkflowFileUsesThePathAsTheFileName) {
  auto path = std::filesystem::temp_directory_path() / "gantry_loader_test_ci.yml";
  std::ofstream(path) << "on: push\njobs:\n  a:\n    runs-on: x\n  b:\n    runs-on: x\n"
                         "    needs: zz\n";
  LoadResult r = LoadWorkflowFile(path);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            path.string() + ":7:12: Job 'b' depends on unknown job 'zz'.");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace gantry::workflow
