// Integration tests of `gantry exec`: the real binary on small workflow folders.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;

const char kTwoJobs[] = R"(name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: ${{ steps.v.outputs.version }}
    steps:
      - id: v
        run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: test "${{ needs.build.outputs.version }}" = 1.2.3
      - run: echo "tested ${{ needs.build.outputs.version }}"
)";

const char kFailing[] = R"(name: Failing
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo before
      - name: Break
        run: exit 3
      - run: echo never
  cleanup:
    needs: test
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo "cleaning up"
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy
)";

TEST(ExecTest, ExitZeroAndOutputsFlowAcrossNeeds) {
  Project p;
  p.Workflow("ci.yml", kTwoJobs);
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("[test] tested 1.2.3"));
  EXPECT_THAT(f.out, HasSubstr("Success: 2 success"));
}

TEST(ExecTest, ExitOneWhenAJobFailsCleanupRunsDependentsSkipped) {
  Project p;
  p.Workflow("fail.yml", kFailing);
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("[cleanup] cleaning up"));
  EXPECT_EQ(f.out.find("[test] never"), std::string::npos);
  EXPECT_EQ(f.out.find("[deploy] deploy"), std::string::npos);
  // Summary in plan order with the failed step.
  size_t summary = f.out.find("Summary: Failing");
  ASSERT_NE(summary, std::string::npos) << f.out;
  size_t test = f.out.find("test ", summary);
  size_t cleanup = f.out.find("cleanup ", summary);
  size_t deploy = f.out.find("deploy ", summary);
  EXPECT_LT(test, cleanup);
  EXPECT_LT(cleanup, deploy);
  EXPECT_THAT(f.out.substr(summary), HasSubstr("Break"));
  EXPECT_THAT(f.out.substr(summary), HasSubstr("skipped"));
}

TEST(ExecTest, MatrixFailFastCancelsTheOtherInstances) {
  Project p;
  p.Workflow("m.yml", R"(on: push
jobs:
  test:
    strategy:
      matrix:
        n: [fast-fail, slow]
    runs-on: ubuntu-latest
    steps:
      - run: |
          if [ "${{ matrix.n }}" = fast-fail ]; then sleep 0.2; exit 1; fi
          sleep 60
)");
  auto start = std::chrono::steady_clock::now();
  Finished f = p.Run({"exec", "-p", "2"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_LT(took, std::chrono::seconds(30));
  size_t summary = f.out.find("Summary:");
  ASSERT_NE(summary, std::string::npos) << f.out;
  EXPECT_THAT(f.out.substr(summary), HasSubstr("cancelled"));
}

TEST(ExecTest, WorkflowErrorsAreFileLineColAndExitTwo) {
  Project p;
  p.Workflow("bad.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_THAT(f.err, HasSubstr(".github/workflows/bad.yml:5:5: "));
  Finished json = p.Run({"exec", "--json"});
  EXPECT_EQ(json.exit_code, 2);
  auto error = nlohmann::json::parse(json.out.substr(0, json.out.find('\n')));
  EXPECT_EQ(error["type"], "error");
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("bad.yml:5:5: "));
}

TEST(ExecTest, UsageErrorsExitTwo) {
  Project p;
  p.Workflow("ci.yml", kTwoJobs);
  EXPECT_EQ(p.Run({"exec", "-W", "missing.yml"}).exit_code, 2);
  EXPECT_EQ(p.Run({"exec", "--var", "novalue"}).exit_code, 2);
  EXPECT_EQ(p.Run({"exec", "-j", "nosuchjob"}).exit_code, 2);
  EXPECT_EQ(p.Run({"exec", "--secret", "UNSET_SECRET_FOR_TEST"}).exit_code, 2);
  EXPECT_EQ(p.Run({"exec", "--bogus-flag"}).exit_code, 2);
}

TEST(ExecTest, ListPrintsStagesAndMatrixInstancesWithoutRunning) {
  Project p;
  p.Workflow("m.yml", R"(name: M
on: push
jobs:
  test:
    strategy:
      matrix:
        os: [linux, mac]
    runs-on: ubuntu-latest
    steps:
      - run: touch ran-${{ matrix.os }}
  gate:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: touch ran-gate
)");
  Finished f = p.Run({"exec", "--list"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("2 jobs, 3 instances, 2 stages"));
  EXPECT_THAT(f.out, HasSubstr("stage 1"));
  EXPECT_THAT(f.out, HasSubstr("test (linux)"));
  EXPECT_THAT(f.out, HasSubstr("test (mac)"));
  EXPECT_THAT(f.out, HasSubstr("gate  needs: test"));
  Finished dry = p.Run({"exec", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_THAT(dry.out, HasSubstr("1. Run touch ran-${{ matrix.os }}"));
  EXPECT_FALSE(fs::exists(p.root() / "ran-gate"));
  EXPECT_FALSE(fs::exists(p.root() / "ran-linux"));
}

TEST(ExecTest, JsonLinesAreParseableEvents) {
  Project p;
  p.Workflow("ci.yml", kTwoJobs);
  Finished f = p.Run({"exec", "--json"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  std::istringstream in(f.out);
  std::string line;
  std::vector<std::string> types;
  nlohmann::json last;
  while (std::getline(in, line)) {
    last = nlohmann::json::parse(line);  // throws (fails the test) on a bad line
    types.push_back(last["type"]);
  }
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "run_started");
  EXPECT_EQ(types.back(), "summary");
  EXPECT_EQ(last["exit_code"], 0);
  EXPECT_EQ(last["jobs"][0]["outputs"]["version"], "1.2.3");
  for (const char* t : {"job_started", "step_started", "log", "step_finished", "outputs",
                        "job_finished", "run_finished"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), t), types.end()) << t;
  }
  Finished list = p.Run({"exec", "--list", "--json"});
  auto plan = nlohmann::json::parse(list.out);
  EXPECT_EQ(plan["workflows"][0]["jobs"][1]["needs"][0], "build");
}

TEST(ExecTest, EventAndBranchFiltersSelectWorkflows) {
  Project p;
  p.Workflow("main-only.yml", R"(on:
  push:
    branches: [main]
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo main-only
)");
  p.Workflow("feature.yml", R"(on:
  push:
    branches: ['feature/**']
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - run: echo feature
)");
  p.Workflow("docs.yml", R"(on:
  push:
    paths: ['docs/**']
jobs:
  c:
    runs-on: ubuntu-latest
    steps:
      - run: echo docs
)");
  p.Write("src/a.txt", "x");
  p.GitInit("main");
  Finished f = p.Run({"exec", "--list"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("main-only.yml"));
  EXPECT_EQ(f.out.find("feature.yml"), std::string::npos);
  EXPECT_EQ(f.out.find("docs.yml"), std::string::npos);  // the commit touched no docs/
  p.Sh(
      "git checkout -q -b feature/x && mkdir -p docs && echo d > docs/d.md && git add -A && "
      "git commit -q -m docs");
  Finished g = p.Run({"exec", "--list"});
  EXPECT_THAT(g.out, HasSubstr("feature.yml"));
  EXPECT_THAT(g.out, HasSubstr("docs.yml"));
  EXPECT_EQ(g.out.find("main-only.yml"), std::string::npos);
  Finished none = p.Run({"exec", "pull_request"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_THAT(none.err, HasSubstr("no workflow"));
  // A job whose workflow the branch filter leaves out is named with the reason.
  Finished filtered = p.Run({"exec", "-j", "a"});
  EXPECT_EQ(filtered.exit_code, 2);
  EXPECT_THAT(filtered.err, HasSubstr("job 'a' is in"));
  EXPECT_THAT(filtered.err, HasSubstr("main-only.yml, which push on refs/heads/feature/x does "
                                      "not trigger"));
  Finished missing = p.Run({"exec", "-j", "nope"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("no workflow triggered by push has a job 'nope'"));
}

TEST(ExecTest, JobSelectionRunsItsNeedsUnlessNoDeps) {
  Project p;
  p.Workflow("ci.yml", R"(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps: [{run: echo job-a}]
  b:
    needs: a
    runs-on: ubuntu-latest
    steps: [{run: echo job-b}]
  c:
    runs-on: ubuntu-latest
    steps: [{run: echo job-c}]
)");
  Finished f = p.Run({"exec", "-j", "b"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("[a] job-a"));
  EXPECT_THAT(f.out, HasSubstr("[b] job-b"));
  EXPECT_EQ(f.out.find("job-c"), std::string::npos);
  Finished g = p.Run({"exec", "-j", "b", "--no-deps"});
  EXPECT_EQ(g.out.find("job-a"), std::string::npos);
  EXPECT_THAT(g.out, HasSubstr("[b] job-b"));
}

TEST(ExecTest, InputsVarsEnvFileAndMatrixFilter) {
  Project p;
  p.Workflow("d.yml", R"(on:
  workflow_dispatch:
    inputs:
      level:
        type: number
        default: 3
      flag:
        type: boolean
jobs:
  check:
    strategy:
      matrix:
        os: [linux, mac, win]
    runs-on: ubuntu-latest
    steps:
      - run: test "${{ inputs.level }}" = 7 && test "${{ inputs.flag }}" = false
      - run: test "${{ vars.COLOR }}" = blue && test "${{ env.FROM_FILE }}" = "a b" && test "$FROM_FILE" = "a b"
      - run: echo "os=${{ matrix.os }}"
)");
  p.Write("vars.env", "FROM_FILE=\"a b\"\n");
  // Repeatable options take one value each: the event may come last.
  Finished f = p.Run({"exec", "--input", "level=7", "--var", "COLOR=blue", "--env-file", "vars.env",
                      "--matrix", "os:mac", "workflow_dispatch"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("os=mac"));
  EXPECT_EQ(f.out.find("os=linux"), std::string::npos);
  EXPECT_EQ(p.Run({"exec", "workflow_dispatch", "--input", "flag=maybe"}).exit_code, 2);
}

}  // namespace
}  // namespace gantry::exec_test

namespace gantry::exec_test {
namespace {

// --env-secret / --env-var: a job whose environment: names ENV sees them over the run's
// secrets and vars (masked); a job without it sees the run's.
TEST(ExecTest, EnvironmentSecretsAndVarsReachJobsOfThatEnvironment) {
  Project p;
  p.Workflow("cd.yml", R"(on: push
jobs:
  plain:
    runs-on: ubuntu-latest
    steps:
      - run: echo "plain token=${{ secrets.TOKEN }} region=${{ vars.REGION }}"
  deploy:
    runs-on: ubuntu-latest
    environment:
      name: ${{ 'Production' }}
      url: https://example.invalid
    steps:
      - run: echo "deploy token=${{ secrets.TOKEN }} region=${{ vars.REGION }}"
      - run: test "${{ secrets.TOKEN }}" = prod-s3cret
)");
  Finished f = p.Run({"exec", "--secret", "TOKEN=run-s3cret", "--var", "REGION=us", "--env-secret",
                      "production:TOKEN=prod-s3cret", "--env-var", "production:REGION=eu"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("plain token=*** region=us"));
  EXPECT_THAT(f.out, HasSubstr("deploy token=*** region=eu"));
  EXPECT_THAT(f.out, ::testing::Not(HasSubstr("prod-s3cret")));
  EXPECT_EQ(p.Run({"exec", "--env-secret", "nocolon"}).exit_code, 2);
}

// Job-level `concurrency:` within one run: jobs of a group never run at once (each holds a
// directory lock while it sleeps); of three matrix instances sharing one, the first and the
// last run and the middle one is cancelled, as on GitHub.
TEST(ExecTest, JobConcurrencyGroupsSerializeAndCancelTheWaitingOne) {
  Project p;
  const std::string lock = (p.base() / "lock").string();
  p.Workflow("c.yml", R"(on: push
jobs:
  one:
    runs-on: ubuntu-latest
    concurrency: deploy-${{ github.ref_name }}
    steps:
      - run: mkdir )" + lock +
                          R"( && sleep 0.5 && rmdir )" + lock + R"(
  two:
    runs-on: ubuntu-latest
    concurrency: deploy-${{ github.ref_name }}
    steps:
      - run: mkdir )" + lock +
                          R"( && sleep 0.5 && rmdir )" + lock + R"(
)");
  Finished f = p.Run({"exec", "-p", "4"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;

  Project m;
  const std::string mlock = (m.base() / "lock").string();
  m.Workflow("m.yml", R"(on: push
jobs:
  deploy:
    strategy:
      matrix:
        n: [1, 2, 3]
    runs-on: ubuntu-latest
    concurrency: m
    steps:
      - run: mkdir )" + mlock +
                          R"( && sleep 0.5 && rmdir )" + mlock + R"( && echo "ran ${{ matrix.n }}"
)");
  Finished g = m.Run({"exec", "-p", "4"});
  EXPECT_NE(g.exit_code, 0) << g.out << g.err;
  EXPECT_THAT(g.out + g.err,
              HasSubstr("Canceling since a higher priority waiting request for 'm' exists"));
  EXPECT_THAT(g.out, HasSubstr("ran 1"));
  EXPECT_THAT(g.out, HasSubstr("ran 3"));
  EXPECT_THAT(g.out, ::testing::Not(HasSubstr("ran 2")));
  EXPECT_THAT(g.out + g.err, ::testing::Not(HasSubstr("File exists")));
}

}  // namespace
}  // namespace gantry::exec_test
