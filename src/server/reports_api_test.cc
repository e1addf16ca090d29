// Reports of runs over a real SQLite store: coverage delta, flaky tests, findings and the
// pull-request comment.

#include "server/reports_api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "reports/report.h"
#include "server/run_comment.h"

namespace gantry::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ReportsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gantry-reports-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = store::OpenStore("sqlite://" + (dir_ / "gantry.db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    ctx_.store = store_.get();
    ctx_.config.base_url = "https://ci.example.org";
    ctx_.now_ms = [] { return int64_t{1'765'000'000'000}; };
    store::User u;
    u.username = "alice";
    auto user = store_->CreateUser(u);
    ASSERT_TRUE(user.ok());
    store::Project p;
    p.owner = "alice";
    p.name = "shop";
    p.repository = "/srv/shop.git";
    p.default_branch = "main";
    auto project = store_->CreateProject(p, user->id);
    ASSERT_TRUE(project.ok());
    project_ = project.value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  store::Run MakeRun(const std::string& ref, bool completed = true,
                     const std::string& event = "push", const std::string& payload = "{}") {
    store::Run r;
    r.project_id = project_.id;
    r.workflow_file = ".github/workflows/ci.yml";
    r.workflow_name = "CI";
    r.event = event;
    r.ref = ref;
    r.sha = "0123456789abcdef";
    r.event_payload = payload;
    auto created = store_->CreateRun(r);
    EXPECT_TRUE(created.ok());
    if (completed) {
      created->status = "completed";
      created->conclusion = "success";
      EXPECT_TRUE(store_->UpdateRun(*created).ok());
    }
    return *created;
  }
  store::Job MakeJob(const store::Run& run, const std::string& id, int attempt = 1) {
    store::Job j;
    j.run_id = run.id;
    j.attempt = attempt;
    j.job_id = id;
    j.name = id;
    auto created = store_->UpsertJob(j);
    EXPECT_TRUE(created.ok());
    return *created;
  }
  void Put(const store::Job& job, std::string_view kind, const std::string& wire) {
    core::Status s = StoreReport(ctx_, job, 2, kind, json::parse(wire));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static std::string Coverage(int64_t covered_a, int64_t covered_b) {
    reports::CoverageReport c;
    c.format = "lcov";
    c.files = {{"src/a.cc", 100, covered_a}, {"src/b.cc", 100, covered_b}};
    c.lines_total = 200;
    c.lines_covered = covered_a + covered_b;
    return reports::ToJson(c);
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  store::Project project_;
  ApiContext ctx_;
};

TEST_F(ReportsApiTest, CoverageDeltaIsAgainstThePreviousRunOnTheDefaultBranch) {
  store::Run first = MakeRun("refs/heads/main");
  Put(MakeJob(first, "test"), reports::kCoverageKind, Coverage(50, 50));
  store::Run second = MakeRun("refs/heads/main");
  Put(MakeJob(second, "test"), reports::kCoverageKind, Coverage(60, 50));
  auto got = RunReportsJson(ctx_, second, 0);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const json& cov = (*got)["coverage"];
  EXPECT_DOUBLE_EQ(cov["percent"].get<double>(), 55.0);
  EXPECT_EQ(cov["base"]["run_id"], first.id);
  EXPECT_EQ(cov["base"]["branch"], "main");
  EXPECT_DOUBLE_EQ(cov["delta"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(cov["files"][0]["delta"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(cov["files"][1]["delta"].get<double>(), 0.0);
  EXPECT_TRUE((*got)["tests"].is_null());
  EXPECT_TRUE((*got)["security"].is_null());
  // The first run has no base: no delta.
  EXPECT_TRUE(RunReportsJson(ctx_, first, 0)->at("coverage")["delta"].is_null());
}

TEST_F(ReportsApiTest, ACaseThatFailedAndPassedInTheReRunIsFlaky) {
  store::Run run = MakeRun("refs/heads/main");
  reports::TestReport failed;
  failed.passed = 1;
  failed.failed = 1;
  failed.cases = {{"s", "C", "ok", "", 0, reports::TestStatus::kPassed, "", ""},
                  {"s", "C", "shaky", "t.cc", 0, reports::TestStatus::kFailed, "boom", "trace"}};
  Put(MakeJob(run, "test", 1), reports::kTestsKind, reports::ToJson(failed));
  auto first = RunReportsJson(ctx_, run, 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["tests"]["failed"], 1);
  EXPECT_EQ((*first)["tests"]["failures"][0]["name"], "shaky");
  EXPECT_EQ((*first)["tests"]["failures"][0]["job"], "test");
  EXPECT_TRUE((*first)["tests"]["flaky"].empty());
  reports::TestReport passed;
  passed.passed = 2;
  passed.cases = {{"s", "C", "ok", "", 0, reports::TestStatus::kPassed, "", ""},
                  {"s", "C", "shaky", "", 0, reports::TestStatus::kPassed, "", ""}};
  Put(MakeJob(run, "test", 2), reports::kTestsKind, reports::ToJson(passed));
  auto second = RunReportsJson(ctx_, run, 2);
  EXPECT_EQ((*second)["tests"]["failed"], 0);
  EXPECT_EQ((*second)["tests"]["passed"], 2);
  ASSERT_EQ((*second)["tests"]["flaky"].size(), 1u) << second->dump();
  EXPECT_EQ((*second)["tests"]["flaky"][0]["name"], "shaky");
}

TEST_F(ReportsApiTest, AMalformedReportIsRefusedNamingTheField) {
  store::Run run = MakeRun("refs/heads/main");
  core::Status s = StoreReport(ctx_, MakeJob(run, "test"), 1, reports::kCoverageKind,
                               json{{"lines_total", "many"}});
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("lines_total"), std::string::npos) << s.message();
}

TEST_F(ReportsApiTest, PullRequestCommentHasCoverageTestsAndNewFindings) {
  store::Run base = MakeRun("refs/heads/main");
  Put(MakeJob(base, "test"), reports::kCoverageKind, Coverage(50, 50));
  reports::SecurityReport old_findings;
  old_findings.findings = {{"semgrep", "old-rule", "low", "known", "a.cc", 1, "fp-old"}};
  Put(MakeJob(base, "scan"), reports::kSecurityKind, reports::ToJson(old_findings));
  store::Run pr = MakeRun(
      "refs/pull/7/merge", true, "pull_request",
      R"({"number":7,"pull_request":{"number":7,"base":{"ref":"main"},"head":{"ref":"feature"}}})");
  Put(MakeJob(pr, "test"), reports::kCoverageKind, Coverage(40, 50));
  reports::TestReport tests;
  tests.passed = 3;
  tests.failed = 1;
  tests.cases = {{"s", "Cart", "adds | items", "", 0, reports::TestStatus::kFailed, "no", ""}};
  Put(MakeJob(pr, "test"), reports::kTestsKind, reports::ToJson(tests));
  reports::SecurityReport findings;
  findings.findings = {
      {"semgrep", "old-rule", "low", "known", "a.cc", 1, "fp-old"},
      {"semgrep", "sql-injection", "critical", "query built", "db.cc", 9, "fp-new"}};
  Put(MakeJob(pr, "scan"), reports::kSecurityKind, reports::ToJson(findings));

  auto body = RunCommentMarkdown(ctx_, pr.id);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  const std::string& md = body.value();
  EXPECT_EQ(md.rfind("### Gantry: CI #", 0), 0u) << md;
  EXPECT_NE(md.find("(https://ci.example.org/alice/shop/runs/" + std::to_string(pr.id) + ")"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("**Coverage** 45.0% (-5.0 vs main #"), std::string::npos) << md;
  EXPECT_NE(md.find("| `src/a.cc` | 40.0% | -10.0 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("src/b.cc"), std::string::npos) << md;  // unchanged files are left out
  EXPECT_NE(md.find("**Tests** 3 passed, 1 failed, 0 skipped"), std::string::npos) << md;
  EXPECT_NE(md.find("`Cart.adds \\| items`"), std::string::npos) << md;
  EXPECT_NE(md.find("**Security** 2 findings, 1 new"), std::string::npos) << md;
  EXPECT_NE(md.find("**critical** sql-injection"), std::string::npos) << md;
  EXPECT_EQ(md.find("old-rule"), std::string::npos) << md;  // open on main already
}

TEST_F(ReportsApiTest, ACaseThatFailedInOneJobAndPassedInAnotherIsFlaky) {
  store::Run run = MakeRun("refs/heads/main");
  reports::TestReport failed;
  failed.failed = 1;
  failed.cases = {{"s", "C", "racy", "", 0, reports::TestStatus::kFailed, "timeout", ""}};
  reports::TestReport passed;
  passed.passed = 1;
  passed.cases = {{"s", "C", "racy", "", 0, reports::TestStatus::kPassed, "", ""}};
  Put(MakeJob(run, "linux"), reports::kTestsKind, reports::ToJson(failed));
  Put(MakeJob(run, "mac"), reports::kTestsKind, reports::ToJson(passed));
  auto got = RunReportsJson(ctx_, run, 0);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["tests"]["passed"], 1);
  EXPECT_EQ((*got)["tests"]["failed"], 1);
  ASSERT_EQ((*got)["tests"]["flaky"].size(), 1u) << got->dump();
  EXPECT_EQ((*got)["tests"]["flaky"][0]["name"], "racy");
}

}  // namespace
}  // namespace gantry::server
