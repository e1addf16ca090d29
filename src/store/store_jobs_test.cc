// The Store contract for jobs, leases, steps, logs and annotations, on both dialects.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/store.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

TEST_P(StoreTest, UpsertJobIsIdempotent) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  Job first = MakeJob(run.id, "test", 0);
  Job second = MakeJob(run.id, "test", 1);
  EXPECT_NE(first.id, second.id);
  Job replay;
  replay.run_id = run.id;
  replay.job_id = "test";
  replay.instance = 0;
  replay.name = "changed";
  core::Result<Job> again = store().UpsertJob(replay);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->id, first.id);
  EXPECT_EQ(again->name, "test");  // unchanged
  EXPECT_EQ(again->labels, R"(["ubuntu-latest"])");
  core::Result<std::vector<Job>> jobs = store().ListJobs(run.id, 0);
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ(jobs->at(0).id, first.id);
  EXPECT_EQ(jobs->at(1).id, second.id);
  EXPECT_EQ(store().GetJob(9999).status().code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, UpdateJobWritesEveryField) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  Job job = MakeJob(run.id, "build");
  job.status = "waiting";
  job.matrix = R"({"os":"linux"})";
  job.needs = "{}";
  job.summary = "# done";
  job.continued_on_error = true;
  job.started_at = 7;
  ASSERT_TRUE(store().UpdateJob(job).ok());
  core::Result<Job> got = store().GetJob(job.id);
  EXPECT_EQ(got->status, "waiting");
  EXPECT_EQ(got->matrix, R"({"os":"linux"})");
  EXPECT_EQ(got->summary, "# done");
  EXPECT_TRUE(got->continued_on_error);
  EXPECT_EQ(got->started_at, 7);
  job.id = 9999;
  EXPECT_EQ(store().UpdateJob(job).code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, LeaseJobHandsOutEachQueuedJobOnceAcrossThreads) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  std::vector<Id> ids;
  for (int r = 0; r < 5; ++r) {
    store::Run run = MakeRun(shop.id);
    for (int j = 0; j < 8; ++j) ids.push_back(MakeJob(run.id, "job" + std::to_string(j)).id);
  }
  std::mutex mu;
  std::map<Id, int> leased;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0;; ++n) {
        LeaseRequest req{"exec-" + std::to_string(t),
                         "lease-" + std::to_string(t) + "-" + std::to_string(n), 1000, 61000};
        core::Result<std::optional<Job>> job = store().LeaseJob(ids, req);
        if (!job.ok()) {
          ADD_FAILURE() << job.status().ToString();
          ++errors;
          return;
        }
        if (!job->has_value()) return;
        EXPECT_EQ((*job)->status, "in_progress");
        EXPECT_EQ((*job)->lease_id, req.lease_id);
        EXPECT_EQ((*job)->executor, req.executor);
        std::lock_guard<std::mutex> lock(mu);
        ++leased[(*job)->id];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(leased.size(), ids.size());
  for (const auto& [id, count] : leased) EXPECT_EQ(count, 1) << "job " << id;
  EXPECT_TRUE(store().ListQueuedJobs(100)->empty());
}

TEST_P(StoreTest, LeaseJobTakesOldestCandidateOfActiveRuns) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  store::Run done = MakeRun(shop.id);
  Job orphan = MakeJob(done.id, "build");
  done.status = "completed";
  ASSERT_TRUE(store().UpdateRun(done).ok());
  store::Run run = MakeRun(shop.id);
  Job a = MakeJob(run.id, "a");
  Job b = MakeJob(run.id, "b");
  Job c = MakeJob(run.id, "c");

  core::Result<std::vector<Job>> queued = store().ListQueuedJobs(10);
  ASSERT_EQ(queued->size(), 3u);
  EXPECT_EQ(queued->at(0).id, a.id);

  LeaseRequest req{"e1", "l1", 100, 200};
  EXPECT_FALSE(store().LeaseJob({orphan.id}, req)->has_value());
  EXPECT_FALSE(store().LeaseJob({}, req)->has_value());
  core::Result<std::optional<Job>> got = store().LeaseJob({c.id, b.id}, req);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->id, b.id);
  EXPECT_EQ((*got)->started_at, 100);
  EXPECT_EQ((*got)->lease_expires_at, 200);
  EXPECT_EQ(store().ListQueuedJobs(10)->size(), 2u);
}

TEST_P(StoreTest, LeasesRenewAndExpire) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  Job a = MakeJob(run.id, "a");
  Job b = MakeJob(run.id, "b");
  ASSERT_TRUE(store().LeaseJob({a.id}, {"e1", "la", 0, 1000})->has_value());
  ASSERT_TRUE(store().LeaseJob({b.id}, {"e2", "lb", 0, 1000})->has_value());
  ASSERT_TRUE(store().RenewLease(b.id, "lb", 5000).ok());
  EXPECT_EQ(store().RenewLease(b.id, "wrong", 5000).code(), core::StatusCode::kNotFound);

  EXPECT_TRUE(store().ListExpiredLeases(1000)->empty());
  core::Result<std::vector<Job>> expired = store().ListExpiredLeases(1001);
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ(expired->at(0).id, a.id);
  EXPECT_EQ(store().ListExpiredLeases(6000)->size(), 2u);
}

TEST_P(StoreTest, RunOwnershipIsClaimedOnceAndTakenOverWhenItLapses) {
  User alice = MakeUser("alice");
  Id project = MakeProject("shop", alice.id).id;
  store::Run r1 = MakeRun(project);
  store::Run r2 = MakeRun(project);
  ASSERT_TRUE(store().SetRunOwner(r1.id, "a", 10000).ok());
  ASSERT_TRUE(store().SetRunOwner(r2.id, "b", 10000).ok());
  // Before the claims lapse nobody takes anything over; a restarted owner gets its own back.
  EXPECT_TRUE(store().ClaimRuns("b", 9000, 20000, false)->empty());
  core::Result<std::vector<store::Run>> own = store().ClaimRuns("a", 9000, 20000, true);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ(own->at(0).id, r1.id);
  EXPECT_EQ(*store().RenewRunOwnership("b", 30000), 1);
  // a stops renewing: after its claim ends (20000), b takes r1 over, once.
  core::Result<std::vector<store::Run>> taken = store().ClaimRuns("b", 25000, 40000, false);
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ(taken->at(0).id, r1.id);
  EXPECT_TRUE(store().ClaimRuns("c", 25000, 40000, false)->empty());
  EXPECT_EQ(*store().RenewRunOwnership("b", 50000), 2);
  EXPECT_EQ(*store().RenewRunOwnership("a", 50000), 0);

  // Progress: b hears of cancels and completions of its runs.
  Job j = MakeJob(r1.id, "build");
  ASSERT_TRUE(store().RequestCancel(r1.id).ok());
  ASSERT_TRUE(store().LeaseJob({j.id}, {"e1", "l1", 0, 1000})->has_value());
  Job done = j;
  done.conclusion = "success";
  done.lease_id = "l1";
  ASSERT_TRUE(store().CompleteJob(done).ok());
  core::Result<std::vector<RunProgress>> progress = store().ListRunProgress("b");
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  ASSERT_EQ(progress->size(), 2u);
  EXPECT_EQ(progress->at(0).run_id, r1.id);
  EXPECT_TRUE(progress->at(0).cancel_requested);
  EXPECT_EQ(progress->at(0).completed_jobs, 1);
  EXPECT_FALSE(progress->at(1).cancel_requested);
  EXPECT_EQ(progress->at(1).completed_jobs, 0);

  // StartRun moves a queued run only.
  ASSERT_TRUE(store().StartRun(r2.id, 777).ok());
  EXPECT_EQ(store().GetRun(r2.id)->status, "in_progress");
  EXPECT_EQ(store().GetRun(r2.id)->started_at, 777);
  ASSERT_TRUE(store().StartRun(r2.id, 888).ok());
  EXPECT_EQ(store().GetRun(r2.id)->started_at, 777);
}

TEST_P(StoreTest, RequeueAndCompletionNeedTheLeaseThatHoldsTheJob) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  Job j = MakeJob(run.id, "build");
  ASSERT_TRUE(store().LeaseJob({j.id}, {"e1", "l1", 0, 1000})->has_value());
  ASSERT_TRUE(store().AppendLogs(j.id, {{j.id, 1, 0, "one\n", 0}, {j.id, 2, 0, "two\n", 0}}).ok());
  EXPECT_EQ(store().RequeueJob(j.id, "other", 1000, true).code(), core::StatusCode::kNotFound);
  // A heartbeat renewed the lease after it was listed as expired: it stays.
  ASSERT_TRUE(store().RenewLease(j.id, "l1", 5000).ok());
  EXPECT_EQ(store().RequeueJob(j.id, "l1", 1000, true).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE(store().RequeueJob(j.id, "l1", 5000, true).ok());
  Job again = *store().GetJob(j.id);
  EXPECT_EQ(again.status, "queued");
  EXPECT_EQ(again.requeues, 1);
  EXPECT_TRUE(again.lease_id.empty());
  // The lost executor's lines stay; the next executor's sequence numbers start over.
  ASSERT_TRUE(store().AppendLogs(j.id, {{j.id, 1, 0, "three\n", 0}}).ok());
  std::string text;
  core::Result<std::vector<LogChunk>> log = store().ReadLogs(j.id, 0, 1 << 20);
  ASSERT_TRUE(log.ok());
  for (const LogChunk& c : *log) text += c.data;
  EXPECT_EQ(text, "one\ntwo\nthree\n");

  // A completion on behalf of an old lease changes nothing once another lease holds the job.
  ASSERT_TRUE(store().LeaseJob({j.id}, {"e2", "l2", 0, 1000})->has_value());
  Job stale = again;
  stale.lease_id = "l1";
  stale.conclusion = "failure";
  EXPECT_EQ(store().CompleteJob(stale).status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(store().GetJob(j.id)->status, "in_progress");
  ASSERT_TRUE(store().RequestJobCancel(j.id).ok());
  EXPECT_TRUE(store().GetJob(j.id)->cancel_requested);
}

TEST_P(StoreTest, CompleteJobNumbersCompletionsAndRejectsDuplicates) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  Job a = MakeJob(run.id, "a");
  Job b = MakeJob(run.id, "b");
  Job c = MakeJob(run.id, "c");
  ASSERT_TRUE(store().LeaseJob({b.id}, {"e1", "lb", 77, 1000})->has_value());

  b.conclusion = "success";
  b.outputs = R"({"v":"1"})";
  b.completed_at = 500;
  core::Result<Job> done_b = store().CompleteJob(b);
  ASSERT_TRUE(done_b.ok()) << done_b.status().ToString();
  EXPECT_EQ(done_b->completion_seq, 1);
  EXPECT_EQ(done_b->status, "completed");
  EXPECT_EQ(done_b->outputs, R"({"v":"1"})");
  EXPECT_EQ(done_b->lease_id, "");
  EXPECT_EQ(done_b->lease_expires_at, 0);
  EXPECT_EQ(done_b->completed_at, 500);

  EXPECT_EQ(done_b->started_at, 77);  // kept from the lease: b.started_at is 0
  EXPECT_EQ(done_b->executor, "e1");
  c.conclusion = "failure";
  c.started_at = 42;  // carried over from an earlier attempt
  c.executor = "old-executor";
  core::Result<Job> done_c = store().CompleteJob(c);
  ASSERT_TRUE(done_c.ok());
  EXPECT_EQ(done_c->completion_seq, 2);
  EXPECT_EQ(done_c->started_at, 42);
  EXPECT_EQ(done_c->executor, "old-executor");
  a.conclusion = "skipped";
  EXPECT_EQ(store().CompleteJob(a)->completion_seq, 3);
  EXPECT_EQ(store().CompleteJob(a).status().code(), core::StatusCode::kInvalidArgument);
  Job missing;
  missing.id = 9999;
  EXPECT_EQ(store().CompleteJob(missing).status().code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, ConcurrentCompletionsGetDistinctSequenceNumbers) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  std::vector<Job> jobs;
  jobs.reserve(12);
  for (int i = 0; i < 12; ++i) jobs.push_back(MakeJob(run.id, "j" + std::to_string(i)));
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < jobs.size(); i += 4) {
        Job j = jobs[i];
        j.conclusion = "success";
        core::Result<Job> done = store().CompleteJob(j);
        EXPECT_TRUE(done.ok()) << done.status().ToString();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int64_t> seqs;
  core::Result<std::vector<Job>> done = store().ListJobs(run.id, 0);
  ASSERT_TRUE(done.ok());
  for (const Job& j : *done) seqs.insert(j.completion_seq);
  EXPECT_EQ(seqs.size(), 12u);
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), 12);
}

TEST_P(StoreTest, StepsAreUpsertedAndListedInStageOrder) {
  User alice = MakeUser("alice");
  Job job = MakeJob(MakeRun(MakeProject("shop", alice.id).id).id, "build");
  Step post{job.id, 0, "post", "Post checkout", "completed", "success", "success", "",
            false,  9, 10};
  Step main1{job.id, 1, "", "Test", "in_progress", "", "", "", false, 5, 0};
  Step main0{job.id, 0, "", "Checkout", "completed", "success", "success", "", false, 1, 4};
  Step pre{job.id, 0, "pre", "Pre", "completed", "success", "success", "", true, 0, 1};
  for (const Step& s : {post, main1, main0, pre}) ASSERT_TRUE(store().PutStep(s).ok());
  main1.status = "completed";
  main1.conclusion = "failure";
  main1.completed_at = 8;
  ASSERT_TRUE(store().PutStep(main1).ok());
  core::Result<std::vector<Step>> steps = store().ListSteps(job.id);
  ASSERT_EQ(steps->size(), 4u);
  EXPECT_EQ(steps->at(0).stage, "pre");
  EXPECT_TRUE(steps->at(0).background);
  EXPECT_EQ(steps->at(1).name, "Checkout");
  EXPECT_EQ(steps->at(2).name, "Test");
  EXPECT_EQ(steps->at(2).conclusion, "failure");
  EXPECT_EQ(steps->at(2).completed_at, 8);
  EXPECT_EQ(steps->at(3).stage, "post");
}

TEST_P(StoreTest, AppendLogsIgnoresRepeatedSeqsAndReadsFromOffsets) {
  User alice = MakeUser("alice");
  Job job = MakeJob(MakeRun(MakeProject("shop", alice.id).id).id, "build");
  core::Result<int64_t> size =
      store().AppendLogs(job.id, {{job.id, 1, 0, "hello\n", 0}, {job.id, 2, 0, "world\n", 0}});
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  EXPECT_EQ(*size, 12);
  // A retry of seq 2 with seq 3: only seq 3 is new.
  size = store().AppendLogs(job.id, {{job.id, 2, 0, "world\n", 0}, {job.id, 3, 1, "é\n", 0}});
  EXPECT_EQ(*size, 15);
  EXPECT_EQ(*store().AppendLogs(job.id, {}), 15);

  core::Result<std::vector<LogChunk>> all = store().ReadLogs(job.id, 0, 1 << 20);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->at(0).offset, 0);
  EXPECT_EQ(all->at(1).offset, 6);
  EXPECT_EQ(all->at(2).offset, 12);
  EXPECT_EQ(all->at(2).data, "é\n");
  EXPECT_EQ(all->at(2).step, 1);
  EXPECT_EQ(all->at(2).seq, 3);

  core::Result<std::vector<LogChunk>> mid = store().ReadLogs(job.id, 8, 1 << 20);
  ASSERT_EQ(mid->size(), 2u);  // the chunk holding byte 8, then the rest
  EXPECT_EQ(mid->at(0).seq, 2);
  EXPECT_EQ(store().ReadLogs(job.id, 6, 1 << 20)->front().seq, 2);
  EXPECT_TRUE(store().ReadLogs(job.id, 15, 1 << 20)->empty());
  core::Result<std::vector<LogChunk>> small = store().ReadLogs(job.id, 0, 1);
  ASSERT_EQ(small->size(), 1u);  // at least one chunk even past the limit
  EXPECT_EQ(store().ReadLogs(job.id, 0, 12)->size(), 2u);
}

TEST_P(StoreTest, LogsKeepArbitraryBytes) {
  User alice = MakeUser("alice");
  Job job = MakeJob(MakeRun(MakeProject("shop", alice.id).id).id, "build");
  std::string bytes("a\0b\xff\xfe\\x00\n", 9);
  ASSERT_TRUE(store().AppendLogs(job.id, {{job.id, 1, 0, bytes, 0}}).ok());
  core::Result<std::vector<LogChunk>> read = store().ReadLogs(job.id, 0, 100);
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ(read->at(0).data, bytes);
}

TEST_P(StoreTest, AnnotationsKeepTheirOrder) {
  User alice = MakeUser("alice");
  Job job = MakeJob(MakeRun(MakeProject("shop", alice.id).id).id, "build");
  Annotation a{job.id, 1, 1, "error", "boom", "Build", "src/a.cc", 3, 4, 5, 6};
  Annotation b{job.id, 2, 2, "warning", "hmm", "", "", 0, 0, 0, 0};
  ASSERT_TRUE(store().AddAnnotations(job.id, {a, b}).ok());
  // A batch sent again (its reply was lost) stores nothing twice; one without numbers does.
  ASSERT_TRUE(store().AddAnnotations(job.id, {a, b}).ok());
  Annotation c{job.id, 2, 0, "notice", "no number", "", "", 0, 0, 0, 0};
  ASSERT_TRUE(store().AddAnnotations(job.id, {c, c}).ok());
  core::Result<std::vector<Annotation>> got = store().ListAnnotations(job.id);
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ(got->at(0).message, "boom");
  EXPECT_EQ(got->at(0).file, "src/a.cc");
  EXPECT_EQ(got->at(0).end_column, 6);
  EXPECT_EQ(got->at(1).level, "warning");
}

// The store's share of a no-op run as the server drives it (issue 10 asks ≥ 200 runs/s of the
// whole server on SQLite): every call a no-op run makes, in order, one transaction each.
TEST_P(StoreTest, NoOpRunLifecycleIsFast) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  constexpr int kRuns = 200;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) {
    ASSERT_TRUE(store().RecordDelivery(shop.id, "d" + std::to_string(i), i).ok());
    store::Run run = MakeRun(shop.id);
    run.status = "in_progress";
    run.started_at = 1;
    ASSERT_TRUE(store().UpdateRun(run).ok());
    Job job = MakeJob(run.id, "noop");
    ASSERT_FALSE(store().ListQueuedJobs(100)->empty());
    core::Result<std::optional<Job>> leased = store().LeaseJob({job.id}, {"e", "l", 1, 2});
    ASSERT_TRUE(leased.ok() && leased->has_value());
    Step step{job.id, 0, "", "true", "in_progress", "", "", "", false, 1, 0};
    ASSERT_TRUE(store().PutStep(step).ok());
    ASSERT_TRUE(store().AppendLogs(job.id, {{job.id, 1, 0, "ok\n", 0}}).ok());
    step.status = "completed";
    step.conclusion = step.outcome = "success";
    ASSERT_TRUE(store().PutStep(step).ok());
    job.conclusion = "success";
    ASSERT_TRUE(store().CompleteJob(job).ok());
    ASSERT_EQ(store().ListJobs(run.id, 0)->size(), 1u);
    run.status = "completed";
    run.conclusion = "success";
    run.completed_at = 2;
    ASSERT_TRUE(store().UpdateRun(run).ok());
    ASSERT_TRUE(store().GetRun(run.id).ok());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double rate = kRuns / seconds;
  std::printf("%s: %.0f no-op run lifecycles/s (13 transactions each)\n", GetParam().c_str(), rate);
  // Far above the server's target, so only a gross regression (a reopen or a sync per call)
  // fails here, even on a loaded machine.
  if (GetParam() == "sqlite") {
    EXPECT_GT(rate, 200);
  }
}

}  // namespace
}  // namespace gantry::store
