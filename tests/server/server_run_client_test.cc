// `gantry run list|view|watch|rerun|cancel|download`: the real binary against the real server
// (GANTRY_URL/GANTRY_TOKEN), its output and exit codes checked; `watch` also under a real
// terminal (tmux on a private socket).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run_client_util.h"
#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const char kCi[] = R"(name: CI
on: [push, workflow_dispatch]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Greet
        run: echo "hello from build"
      - name: Warn
        run: echo "::warning file=src/app.c,line=7::check this"
      - name: Summarize
        run: |
          printf '## Build report\n\n**All** good: `make`\n\n| Suite | Passed |\n|---|--:|\n' >> "$GITHUB_STEP_SUMMARY"
          printf '| unit | 12 |\n\n- see [the docs](https://docs.invalid/d)\n\033[31mred\n' >> "$GITHUB_STEP_SUMMARY"
      - name: Pack
        run: mkdir -p out && echo "hello artifact" > out/a.txt
      - uses: actions/upload-artifact@v4
        with:
          name: bundle
          path: out/
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - name: Prepare
        run: echo "preparing"
      - name: Unit tests
        run: echo "boom happened"; exit 3
)";

// One project with a finished failing run of kCi, shared by the tests below.
class RunClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    user_ = new User(SignUp(Url(), Unique("runcli")));
    project_ = new Project(MakeProject(*user_, Unique("runs"),
                                       {{".github/workflows/ci.yml", kCi},
                                        {".github/workflows/live.yml", kLive},
                                        {".github/workflows/fail.yml", kFail},
                                        {".github/workflows/long.yml", kLong}}));
    std::string sha = project_->repo->Commit("Add the CI");
    HttpReply hook = Push(*project_, sha, Unique("runcli-push"));
    ASSERT_EQ(hook.status, 202) << hook.body;
    run_id_ = hook.Json()["runs"][0].get<int64_t>();
    *run_ = WaitRun(*user_, run_id_);
  }
  static void TearDownTestSuite() {
    delete user_;
    delete project_;
  }
  static std::string P() { return " -p " + project_->name; }
  static std::string Id() { return std::to_string(run_id_); }
  static int64_t JobId(const std::string& name) {
    const json* job = JobNamed(*run_, name);
    return job == nullptr ? 0 : (*job)["id"].get<int64_t>();
  }

  static User* user_;
  static Project* project_;
  static int64_t run_id_;
  static json* run_;
};

User* RunClientTest::user_ = nullptr;
Project* RunClientTest::project_ = nullptr;
int64_t RunClientTest::run_id_ = 0;
json* RunClientTest::run_ = new json();

TEST_F(RunClientTest, ViewShowsJobsAnnotationsArtifactsAndTheRenderedSummary) {
  ASSERT_EQ(run_->value("conclusion", ""), "failure") << run_->dump(2);
  CliResult r = Gantry(*user_, "run view " + Id());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, StartsWith("X main · CI #"));
  EXPECT_THAT(r.out, HasSubstr("Triggered via push by alice"));
  EXPECT_THAT(r.out, HasSubstr("· ID " + Id() + "\n"));
  EXPECT_THAT(r.out, HasSubstr("JOBS\n✓ build in "));
  EXPECT_THAT(r.out, HasSubstr("(ID " + std::to_string(JobId("build")) + ")\nX test in "));
  EXPECT_THAT(r.out, HasSubstr("ANNOTATIONS\n! warning build: src/app.c:7: check this\n"));
  EXPECT_THAT(r.out, HasSubstr("ARTIFACTS\nbundle ("));
  // The summary is rendered: no markdown markers, a table, escaped control characters.
  EXPECT_THAT(r.out, HasSubstr("SUMMARY OF build\n  Build report\n\n  All good: make\n"));
  EXPECT_THAT(r.out, HasSubstr("  Suite │ Passed\n  ──────┼───────\n  unit  │     12\n"));
  EXPECT_THAT(r.out, HasSubstr("  • see the docs (https://docs.invalid/d)\n  ^[[31mred\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(r.out, Not(HasSubstr("Greet")));  // steps only with -v
  CliResult verbose = Gantry(*user_, "run view -v " + Id());
  EXPECT_THAT(verbose.out, HasSubstr("  ✓ Greet ("));
  EXPECT_THAT(verbose.out, HasSubstr("  X Unit tests ("));
  // --job: that job and its steps only.
  CliResult job = Gantry(*user_, "run view " + Id() + " --job " + std::to_string(JobId("test")));
  EXPECT_EQ(job.code, 0) << job.err;
  EXPECT_THAT(job.out, HasSubstr("JOBS\nX test in "));
  EXPECT_THAT(job.out, HasSubstr("  ✓ Prepare ("));
  EXPECT_THAT(job.out, Not(HasSubstr("build")));
  // Without an ID: the project's latest run.
  CliResult latest = Gantry(*user_, "run view" + P());
  EXPECT_THAT(latest.out, HasSubstr("Triggered via"));
}

TEST_F(RunClientTest, ViewExitStatusJsonAndErrors) {
  EXPECT_EQ(Gantry(*user_, "run view " + Id()).code, 0);
  CliResult failed = Gantry(*user_, "run view --exit-status " + Id());
  EXPECT_EQ(failed.code, 1);
  EXPECT_THAT(failed.out, HasSubstr("X test in "));
  CliResult j = Gantry(*user_, "run view " + Id() + " --json id,status,conclusion,jobs");
  ASSERT_EQ(j.code, 0) << j.err;
  json parsed = json::parse(j.out, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << j.out;
  EXPECT_EQ(parsed["id"], run_id_);
  EXPECT_EQ(parsed["conclusion"], "failure");
  EXPECT_EQ(parsed["jobs"].size(), 2U);
  EXPECT_EQ(parsed["jobs"][0]["annotations"][0]["message"], "check this");
  CliResult bad_field = Gantry(*user_, "run view " + Id() + " --json nope");
  EXPECT_EQ(bad_field.code, 1);
  EXPECT_THAT(bad_field.err, HasSubstr("nope"));
  CliResult missing = Gantry(*user_, "run view 99999999");
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "gantry: run 99999999 not found on " + Url() + "\n");
  EXPECT_EQ(missing.out, "");
  CliResult garbage = Gantry(*user_, "run view abc");
  EXPECT_EQ(garbage.code, 1);
  EXPECT_THAT(garbage.err, StartsWith("gantry: invalid run ID 'abc'"));
}

TEST_F(RunClientTest, LogAndLogFailedPrintJobStepAndLine) {
  CliResult all = Gantry(*user_, "run view " + Id() + " --log");
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("build\tGreet\t"));
  EXPECT_THAT(all.out, HasSubstr("Z hello from build\n"));
  EXPECT_THAT(all.out, HasSubstr("test\tPrepare\t"));
  EXPECT_THAT(all.out, HasSubstr("test\tUnit tests\t"));
  // Each line is under the step that printed it.
  for (std::string line : {"hello from build", "preparing", "boom happened"}) {
    size_t at = all.out.find(line);
    ASSERT_NE(at, std::string::npos) << line;
    size_t start = all.out.rfind('\n', at) + 1;
    std::string row = all.out.substr(start, all.out.find('\n', at) - start);
    EXPECT_EQ(Count(row, "\t"), 2U) << row;
    if (line == "boom happened") {
      EXPECT_THAT(row, StartsWith("test\tUnit tests\t"));
    }
    if (line == "preparing") {
      EXPECT_THAT(row, StartsWith("test\tPrepare\t"));
    }
  }
  CliResult failed = Gantry(*user_, "run view " + Id() + " --log-failed");
  ASSERT_EQ(failed.code, 0) << failed.err;
  EXPECT_THAT(failed.out, HasSubstr("test\tUnit tests\t"));
  EXPECT_THAT(failed.out, HasSubstr("boom happened"));
  EXPECT_THAT(failed.out, Not(HasSubstr("preparing")));
  EXPECT_THAT(failed.out, Not(HasSubstr("hello from build")));
  // The server's ?step=N answers only that step's lines.
  HttpReply step =
      Http("GET", Url() + "/api/v1/jobs/" + std::to_string(JobId("test")) + "/logs?step=0", "",
           user_->Auth());
  EXPECT_THAT(step.body, HasSubstr("preparing"));
  EXPECT_THAT(step.body, Not(HasSubstr("boom")));
  HttpReply bad =
      Http("GET", Url() + "/api/v1/jobs/" + std::to_string(JobId("test")) + "/logs?step=x", "",
           user_->Auth());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["error"].value("field", ""), "step");
}

TEST_F(RunClientTest, ListFiltersAndLimits) {
  project_->repo->Commit("feature work", "feature");
  int64_t dispatched = Dispatch(*user_, *project_, "ci.yml", "feature");
  json done = WaitRun(*user_, dispatched);
  CliResult all = Gantry(*user_, "run list" + P());
  ASSERT_EQ(all.code, 0) << all.err;
  // Not a terminal: status and conclusion as words, tab-separated, newest first.
  EXPECT_THAT(all.out, HasSubstr("completed\tfailure\ta change\tCI\tmain\tpush\t" + Id() + "\t"));
  EXPECT_THAT(all.out, StartsWith("completed\tfailure\t"));
  EXPECT_THAT(all.out,
              HasSubstr("\tCI\tfeature\tworkflow_dispatch\t" + std::to_string(dispatched)));
  CliResult branch = Gantry(*user_, "run list -b feature" + P());
  EXPECT_EQ(Count(branch.out, "\n"), 1U) << branch.out;
  EXPECT_THAT(branch.out, HasSubstr("\tfeature\t"));
  CliResult event = Gantry(*user_, "run list -e push -w ci.yml" + P());
  EXPECT_THAT(event.out, HasSubstr("\tpush\t" + Id() + "\t"));
  EXPECT_THAT(event.out, Not(HasSubstr("workflow_dispatch")));
  CliResult limited = Gantry(*user_, "run list -L 1" + P());
  EXPECT_EQ(Count(limited.out, "\n"), 1U) << limited.out;
  CliResult none = Gantry(*user_, "run list -s success" + P());
  EXPECT_EQ(none.code, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_THAT(none.err, HasSubstr("no runs found"));
  CliResult j = Gantry(*user_, "run list -b feature --json id,head_branch" + P());
  EXPECT_EQ(
      json::parse(j.out, nullptr, false),
      json::parse("[{\"id\":" + std::to_string(dispatched) + ",\"head_branch\":\"feature\"}]"))
      << j.out << j.err;
  CliResult nowhere = Gantry(*user_, "run list -p " + user_->name + "/nothing");
  EXPECT_EQ(nowhere.code, 1);
  EXPECT_THAT(nowhere.err, StartsWith("gantry: project " + user_->name + "/nothing not found"));
}

TEST_F(RunClientTest, RerunFailedThenOneJobMakesNewAttempts) {
  CliResult failed = Gantry(*user_, "run rerun " + Id() + " --failed");
  ASSERT_EQ(failed.code, 0) << failed.err;
  EXPECT_EQ(failed.out,
            "✓ Requested a re-run of the failed jobs of run " + Id() + " (attempt 2)\n");
  json second = WaitRun(*user_, run_id_);
  EXPECT_EQ(second.value("attempt", 0), 2);
  const json* build = JobNamed(second, "build");
  ASSERT_NE(build, nullptr);
  // build succeeded before: carried over, not run again.
  EXPECT_EQ((*build)["started_at"], (*JobNamed(*run_, "build"))["started_at"]);
  EXPECT_EQ(JobLog(*user_, *build), "");
  CliResult view = Gantry(*user_, "run view " + Id());
  EXPECT_THAT(view.out, HasSubstr("· attempt 2"));
  // --job: the test job of attempt 2 (and nothing needs it) runs again; build is carried.
  int64_t test_job = (*JobNamed(second, "test"))["id"].get<int64_t>();
  CliResult job = Gantry(*user_, "run rerun --job " + std::to_string(test_job));
  ASSERT_EQ(job.code, 0) << job.err;
  EXPECT_EQ(job.out, "✓ Requested a re-run of job " + std::to_string(test_job) + " of run " + Id() +
                         " (attempt 3)\n");
  json third = WaitRun(*user_, run_id_);
  EXPECT_EQ(third.value("attempt", 0), 3);
  // A job that ran has its own log; a carried one has none.
  EXPECT_EQ(JobLog(*user_, *JobNamed(third, "build")), "");
  EXPECT_THAT(JobLog(*user_, *JobNamed(third, "test")), HasSubstr("boom happened"));
  // Re-running the build job takes test along.
  int64_t build_job = (*JobNamed(third, "build"))["id"].get<int64_t>();
  ASSERT_EQ(Gantry(*user_, "run rerun -j " + std::to_string(build_job)).code, 0);
  json fourth = WaitRun(*user_, run_id_);
  EXPECT_EQ(fourth.value("attempt", 0), 4);
  EXPECT_THAT(JobLog(*user_, *JobNamed(fourth, "build")), HasSubstr("hello from build"));
  EXPECT_THAT(JobLog(*user_, *JobNamed(fourth, "test")), HasSubstr("boom happened"))
      << fourth.dump(1);
  *run_ = fourth;
}

TEST_F(RunClientTest, DownloadUnzipsEachArtifact) {
  ScratchDir scratch("runcli-download");
  const std::string& dir = scratch.path();
  CliResult all = Gantry(*user_, "run download " + Id() + " -D " + Quote(dir));
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(all.out, "✓ Downloaded bundle to " + dir + "/bundle\n");
  EXPECT_EQ(ReadFile(dir + "/bundle/a.txt"), "hello artifact\n");
  CliResult one = Gantry(*user_, "run download " + Id() + " -n bundle -D " + Quote(dir + "/one"));
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(ReadFile(dir + "/one/a.txt"), "hello artifact\n");
  CliResult missing = Gantry(*user_, "run download " + Id() + " -n nope -D " + Quote(dir));
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "gantry: no artifact named 'nope' in run " + Id() + "\n");
}

TEST_F(RunClientTest, CancelStopsALongRun) {
  int64_t id = Dispatch(*user_, *project_, "long.yml");
  ASSERT_TRUE(Eventually(
      [&] {
        return Http("GET", Url() + "/api/v1/runs/" + std::to_string(id), "", user_->Auth())
                   .Json()
                   .value("status", "") == "in_progress";
      },
      30));
  CliResult cancel = Gantry(*user_, "run cancel " + std::to_string(id));
  ASSERT_EQ(cancel.code, 0) << cancel.err;
  EXPECT_EQ(cancel.out, "✓ Request to cancel run " + std::to_string(id) + " submitted.\n");
  json done = WaitRun(*user_, id, 30);
  EXPECT_EQ(done.value("conclusion", ""), "cancelled");
  CliResult again = Gantry(*user_, "run cancel " + std::to_string(id));
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err, "gantry: the run is already completed\n");
}

}  // namespace
}  // namespace gantry::testing
