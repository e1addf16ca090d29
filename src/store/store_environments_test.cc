// The Store contract for environments, their secrets and variables, the jobs they gate and
// reviewers' decisions, on both dialects.

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

TEST_P(StoreTest, EnvironmentsArePutEnsuredListedAndDeleted) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  Environment prod;
  prod.name = "Production";
  prod.reviewers = {"alice"};
  prod.wait_timer = 30;
  prod.branches = {"main", "release/*"};
  ASSERT_TRUE(store().PutEnvironment(shop.id, prod).ok());
  // Names compare in any case; an existing one keeps its spelling and created_at.
  auto got = store().GetEnvironment(shop.id, "production");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->name, "Production");
  EXPECT_EQ(got->reviewers, (std::vector<std::string>{"alice"}));
  EXPECT_EQ(got->wait_timer, 30);
  EXPECT_EQ(got->branches, (std::vector<std::string>{"main", "release/*"}));
  prod.name = "production";
  prod.reviewers = {};
  ASSERT_TRUE(store().PutEnvironment(shop.id, prod).ok());
  got = store().GetEnvironment(shop.id, "PRODUCTION");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "Production");
  EXPECT_TRUE(got->reviewers.empty());

  auto staging = store().EnsureEnvironment(shop.id, "staging");
  ASSERT_TRUE(staging.ok()) << staging.status().ToString();
  EXPECT_EQ(staging->wait_timer, 0);
  EXPECT_TRUE(store().EnsureEnvironment(shop.id, "Staging").ok());
  auto list = store().ListEnvironments(shop.id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);

  ASSERT_TRUE(store().PutEnvironmentSecret(shop.id, "Production", {"TOKEN", {1, 2, 3}, 0}).ok());
  ASSERT_TRUE(store().PutEnvironmentVariable(shop.id, "production", {"URL", "https://x", 0}).ok());
  auto secrets = store().ListEnvironmentSecrets(shop.id, "PRODUCTION");
  ASSERT_TRUE(secrets.ok());
  ASSERT_EQ(secrets->size(), 1u);
  EXPECT_EQ((*secrets)[0].ciphertext, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(store().ListEnvironmentVariables(shop.id, "production")->at(0).value, "https://x");
  EXPECT_TRUE(store().ListEnvironmentSecrets(shop.id, "staging")->empty());
  EXPECT_EQ(store().DeleteEnvironmentVariable(shop.id, "production", "NOPE").code(),
            core::StatusCode::kNotFound);

  ASSERT_TRUE(store().DeleteEnvironment(shop.id, "production").ok());
  EXPECT_EQ(store().GetEnvironment(shop.id, "production").status().code(),
            core::StatusCode::kNotFound);
  EXPECT_TRUE(store().ListEnvironmentSecrets(shop.id, "production")->empty());
  EXPECT_EQ(store().DeleteEnvironment(shop.id, "production").code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, WaitingJobIsQueuedOnceAndItsRunFollows) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  store::Run run = MakeRun(shop.id);
  Job job;
  job.run_id = run.id;
  job.job_id = "deploy";
  job.name = "deploy";
  job.status = "waiting";
  auto stored = store().UpsertJob(job);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->status, "waiting");
  EXPECT_TRUE(store().ListQueuedJobs(10)->empty());  // not leasable
  JobEnvironment je;
  je.job_id = stored->id;
  je.run_id = run.id;
  je.environment = "production";
  je.url = "https://shop.example";
  je.needs_review = true;
  ASSERT_TRUE(store().PutJobEnvironment(je).ok());
  ASSERT_TRUE(store().SetRunWaiting(run.id).ok());
  EXPECT_EQ(store().GetRun(run.id)->status, "waiting");
  ASSERT_EQ(store().ListWaitingJobEnvironments()->size(), 1u);
  EXPECT_EQ(store().GetJobEnvironment(stored->id)->url, "https://shop.example");

  JobEnvironment approved = je;
  approved.state = "approved";
  approved.needs_review = false;
  EXPECT_TRUE(store().UpdateJobEnvironment(approved, "waiting").value());
  EXPECT_FALSE(store().UpdateJobEnvironment(approved, "waiting").value());  // decided already
  EXPECT_TRUE(store().QueueWaitingJob(stored->id).value());
  EXPECT_FALSE(store().QueueWaitingJob(stored->id).value());
  EXPECT_EQ(store().GetJob(stored->id)->status, "queued");
  EXPECT_EQ(store().GetRun(run.id)->status, "queued");  // it had not started
  EXPECT_EQ(store().ListQueuedJobs(10)->size(), 1u);
  EXPECT_TRUE(store().ListWaitingJobEnvironments()->empty());

  ASSERT_TRUE(
      store()
          .AddEnvironmentApproval({0, run.id, "production", alice.id, "alice", true, "ship it", 0})
          .ok());
  auto decisions = store().ListEnvironmentApprovals(run.id);
  ASSERT_TRUE(decisions.ok());
  ASSERT_EQ(decisions->size(), 1u);
  EXPECT_TRUE((*decisions)[0].approve);
  EXPECT_EQ((*decisions)[0].comment, "ship it");
  EXPECT_EQ(store().ListJobEnvironments(run.id)->at(0).state, "approved");
}

}  // namespace
}  // namespace gantry::store
