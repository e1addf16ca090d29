// The Store contract for reports and security findings, on both dialects.

#include <gtest/gtest.h>

#include <map>

#include "store/store.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

StoredReport Report(const Job& job, const std::string& kind, const std::string& data) {
  StoredReport r;
  r.run_id = job.run_id;
  r.job_id = job.id;
  r.attempt = job.attempt;
  r.job_key = job.job_id + "#0";
  r.job_name = job.name;
  r.step = 1;
  r.kind = kind;
  r.data = data;
  return r;
}

SecurityFinding Finding(const std::string& fingerprint, const std::string& tool = "semgrep") {
  SecurityFinding f;
  f.fingerprint = fingerprint;
  f.tool = tool;
  f.rule_id = "rule-" + fingerprint;
  f.severity = "high";
  f.message = "bad " + fingerprint;
  f.file = "src/a.c";
  f.line = 3;
  return f;
}

TEST_P(StoreTest, ReportsAreStoredOncePerJobStepAndKind) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  Job job = MakeJob(run.id, "test");
  StoredReport r = Report(job, "coverage", R"({"lines_total":10})");
  r.lines_total = 10;
  r.lines_covered = 5;
  ASSERT_TRUE(store().PutReport(r).ok());
  r.lines_covered = 7;  // sent again: replaces
  ASSERT_TRUE(store().PutReport(r).ok());
  ASSERT_TRUE(store().PutReport(Report(job, "tests", "{}")).ok());
  auto all = store().ListReports(run.id, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).kind, "coverage");
  EXPECT_EQ(all->at(0).lines_covered, 7);
  EXPECT_EQ(all->at(0).job_key, "test#0");
  EXPECT_EQ(store().ListReports(run.id, "tests")->size(), 1u);
  EXPECT_TRUE(store().ListReports(run.id, "security")->empty());
}

TEST_P(StoreTest, RunsWithReportsAreCompletedOnesOfTheRefNewestFirst) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  std::vector<store::Run> runs;
  for (int i = 0; i < 3; ++i) {
    store::Run run = MakeRun(shop.id);
    Job job = MakeJob(run.id, "test");
    ASSERT_TRUE(store().PutReport(Report(job, "coverage", "{}")).ok());
    if (i < 2) {
      run.status = "completed";
      run.conclusion = "success";
      ASSERT_TRUE(store().UpdateRun(run).ok());
    }
    runs.push_back(run);
  }
  MakeRun(shop.id);  // completed-less and report-less runs do not count
  auto got = store().ListRunsWithReports(shop.id, "refs/heads/main", "coverage", 0, 10);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ(got->at(0).id, runs[1].id);
  EXPECT_EQ(got->at(1).id, runs[0].id);
  got = store().ListRunsWithReports(shop.id, "refs/heads/main", "coverage", runs[1].id, 10);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->at(0).id, runs[0].id);
  EXPECT_TRUE(store().ListRunsWithReports(shop.id, "refs/heads/dev", "coverage", 0, 10)->empty());
  EXPECT_TRUE(store().ListRunsWithReports(shop.id, "refs/heads/main", "tests", 0, 10)->empty());
}

TEST_P(StoreTest, FindingsOpenThenFixedWhenANewerRunOfTheToolMissesThem) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  store::Run r1 = MakeRun(shop.id);
  store::Run r2 = MakeRun(shop.id);
  ASSERT_TRUE(store()
                  .RecordFindings(shop.id, "main", r1.id,
                                  {Finding("a"), Finding("b"), Finding("z", "trivy")}, {"semgrep"},
                                  1)
                  .ok());
  auto open = store().ListFindings(shop.id, "main", "open");
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_EQ(open->size(), 3u);
  // r2 reports only "b" and "c" with semgrep: "a" is fixed in r2, trivy's "z" stays open.
  ASSERT_TRUE(
      store()
          .RecordFindings(shop.id, "main", r2.id, {Finding("b"), Finding("c")}, {"semgrep"}, 2)
          .ok());
  auto all = store().ListFindings(shop.id, "main", "");
  ASSERT_EQ(all->size(), 4u);
  std::map<std::string, SecurityFinding> by;
  for (const SecurityFinding& f : *all) by[f.fingerprint] = f;
  EXPECT_EQ(by["a"].state, "fixed");
  EXPECT_EQ(by["a"].fixed_run_id, r2.id);
  EXPECT_EQ(by["b"].state, "open");
  EXPECT_EQ(by["b"].first_seen_run_id, r1.id);
  EXPECT_EQ(by["b"].last_seen_run_id, r2.id);
  EXPECT_EQ(by["c"].first_seen_run_id, r2.id);
  EXPECT_EQ(by["z"].state, "open");
  // A late report of the older run changes nothing the newer one saw.
  ASSERT_TRUE(store().RecordFindings(shop.id, "main", r1.id, {Finding("a")}, {"semgrep"}, 3).ok());
  EXPECT_EQ(store().ListFindings(shop.id, "main", "fixed")->size(), 1u);
  // Another branch has findings of its own.
  EXPECT_TRUE(store().ListFindings(shop.id, "dev", "")->empty());
  // An empty report (no tools named) fixes every tool's findings not seen by the run.
  store::Run r3 = MakeRun(shop.id);
  ASSERT_TRUE(store().RecordFindings(shop.id, "main", r3.id, {}, {}, 4).ok());
  EXPECT_TRUE(store().ListFindings(shop.id, "main", "open")->empty());
}

}  // namespace
}  // namespace gantry::store
