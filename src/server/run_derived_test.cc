#include "server/run_derived.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

store::Job Done(const std::string& conclusion, int64_t created, int64_t started,
                int64_t completed) {
  store::Job j;
  j.status = "completed";
  j.conclusion = conclusion;
  j.created_at = created;
  j.started_at = started;
  j.completed_at = completed;
  return j;
}

TEST(RunDerivedTest, AttemptConcludesFromItsJobsLikeTheScheduler) {
  store::Run run;
  AttemptState ok = AttemptStateOf(run, {Done("success", 10, 12, 20), Done("skipped", 10, 0, 11)});
  EXPECT_EQ(ok.status, "completed");
  EXPECT_EQ(ok.conclusion, "success");
  EXPECT_EQ(ok.started_at, 12);
  EXPECT_EQ(ok.completed_at, 20);

  store::Job allowed = Done("failure", 10, 11, 30);
  allowed.continued_on_error = true;
  EXPECT_EQ(AttemptStateOf(run, {Done("success", 10, 12, 20), allowed}).conclusion, "success");
  EXPECT_EQ(
      AttemptStateOf(run, {Done("success", 10, 12, 20), Done("failure", 10, 13, 25)}).conclusion,
      "failure");
  EXPECT_EQ(
      AttemptStateOf(run, {Done("failure", 10, 12, 20), Done("cancelled", 10, 13, 25)}).conclusion,
      "cancelled");
}

TEST(RunDerivedTest, CarriedOverJobsDoNotMoveTheAttemptsStart) {
  store::Run run;
  // Attempt 2 re-ran the failed job; the successful one was carried over from attempt 1.
  AttemptState s =
      AttemptStateOf(run, {Done("success", 100, 5, 9), Done("success", 100, 104, 120)});
  EXPECT_EQ(s.started_at, 104);
  EXPECT_EQ(s.completed_at, 120);
  // Every job carried over: it began when its rows were made.
  EXPECT_EQ(AttemptStateOf(run, {Done("success", 100, 5, 9)}).started_at, 100);
}

TEST(RunDerivedTest, UnfinishedAndEmptyAttempts) {
  store::Run run;
  run.started_at = 7;
  run.completed_at = 8;
  store::Job queued;
  queued.created_at = 10;
  AttemptState q = AttemptStateOf(run, {queued});
  EXPECT_EQ(q.status, "queued");
  EXPECT_EQ(q.conclusion, "");
  AttemptState p = AttemptStateOf(run, {Done("success", 10, 12, 20), queued});
  EXPECT_EQ(p.status, "in_progress");
  EXPECT_EQ(p.completed_at, 0);
  AttemptState none = AttemptStateOf(run, {});
  EXPECT_EQ(none.status, "completed");
  EXPECT_EQ(none.conclusion, "");
  EXPECT_EQ(none.started_at, 7);
}

TEST(RunDerivedTest, SetAttemptStateRewritesTheRunFields) {
  store::Run run;
  nlohmann::json j = {{"status", "in_progress"}, {"conclusion", nullptr}, {"id", 3}};
  SetAttemptState(j, run, {Done("failure", 1000, 2000, 3000)});
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["conclusion"], "failure");
  EXPECT_EQ(j["started_at"], "1970-01-01T00:00:02Z");
  EXPECT_EQ(j["completed_at"], "1970-01-01T00:00:03Z");
  EXPECT_EQ(j["id"], 3);
}

TEST(RunDerivedTest, PullRequestNumberFromThePayloadOrTheRef) {
  store::Run run;
  run.event = "pull_request";
  run.event_payload = R"({"number": 42, "pull_request": {"number": 42}})";
  run.ref = "refs/pull/42/head";
  EXPECT_EQ(PullRequestNumber(run), 42);
  run.event_payload = R"({"pull_request": {"number": "17"}})";
  EXPECT_EQ(PullRequestNumber(run), 17);
  run.event_payload = "{}";
  EXPECT_EQ(PullRequestNumber(run), 42);
  run.event_payload = "not json";
  run.ref = "refs/pull/9/merge";
  EXPECT_EQ(PullRequestNumber(run), 9);
  run.ref = "refs/pull//head";
  EXPECT_EQ(PullRequestNumber(run), std::nullopt);
  run.event = "push";
  run.ref = "refs/pull/42/head";
  EXPECT_EQ(PullRequestNumber(run), std::nullopt);
}

}  // namespace
}  // namespace gantry::server
