// The Store contract for deployments recorded per environment, on both dialects.

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

Deployment MakeDeployment(Id project_id, const std::string& env, Id job_row_id,
                          const std::string& sha) {
  Deployment d;
  d.project_id = project_id;
  d.environment = env;
  d.sha = sha;
  d.ref = "refs/heads/main";
  d.workflow_file = ".github/workflows/deploy.yml";
  d.run_id = job_row_id;
  d.job_row_id = job_row_id;
  d.job_id = "deploy";
  d.actor = "alice";
  return d;
}

TEST_P(StoreTest, DeploymentsAreListedNewestFirstPerEnvironment) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  auto first = store().CreateDeployment(MakeDeployment(shop.id, "staging", 11, "aaa"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GT(first->id, 0);
  EXPECT_EQ(first->status, "queued");
  EXPECT_GT(first->created_at, 0);
  // A replayed hook returns the row it created.
  auto again = store().CreateDeployment(MakeDeployment(shop.id, "staging", 11, "zzz"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->sha, "aaa");
  ASSERT_TRUE(store().CreateDeployment(MakeDeployment(shop.id, "production", 12, "bbb")).ok());
  ASSERT_TRUE(store().CreateDeployment(MakeDeployment(shop.id, "staging", 13, "ccc")).ok());

  auto staging = store().ListDeployments(shop.id, "staging", 10);
  ASSERT_TRUE(staging.ok()) << staging.status().ToString();
  ASSERT_EQ(staging->size(), 2u);
  EXPECT_EQ((*staging)[0].sha, "ccc");
  EXPECT_EQ((*staging)[1].sha, "aaa");
  EXPECT_EQ((*staging)[1].workflow_file, ".github/workflows/deploy.yml");
  EXPECT_EQ(store().ListDeployments(shop.id, "", 10)->size(), 3u);
  EXPECT_EQ(store().ListDeployments(shop.id, "", 1)->size(), 1u);
  EXPECT_EQ(store().ListDeployments(shop.id, "", 10, (*staging)[0].id)->size(), 2u);
  EXPECT_EQ(store().GetDeployment(shop.id, first->id)->environment, "staging");
  EXPECT_EQ(store().GetDeployment(shop.id, 999).status().code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, NewerSuccessfulDeploymentMakesOlderOnesInactive) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  ASSERT_TRUE(store().CreateDeployment(MakeDeployment(shop.id, "staging", 21, "aaa")).ok());
  ASSERT_TRUE(store().CreateDeployment(MakeDeployment(shop.id, "production", 22, "aaa")).ok());
  ASSERT_TRUE(store().CreateDeployment(MakeDeployment(shop.id, "staging", 23, "bbb")).ok());
  ASSERT_TRUE(store().UpdateDeploymentStatus(21, "success", "https://s.example", 0).ok());
  ASSERT_TRUE(store().UpdateDeploymentStatus(22, "success", "", 0).ok());
  auto started = store().UpdateDeploymentStatus(23, "in_progress", "", 0);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->status, "in_progress");
  EXPECT_EQ(store().ListDeployments(shop.id, "staging", 10)->back().status, "success");

  auto done = store().UpdateDeploymentStatus(23, "success", "https://s2.example", 0);
  ASSERT_TRUE(done.ok());
  auto staging = store().ListDeployments(shop.id, "staging", 10);
  ASSERT_EQ(staging->size(), 2u);
  EXPECT_EQ((*staging)[0].status, "success");
  EXPECT_EQ((*staging)[0].url, "https://s2.example");
  EXPECT_EQ((*staging)[1].status, "inactive");
  EXPECT_EQ((*staging)[1].url, "https://s.example");
  // Another environment keeps its live deployment.
  EXPECT_EQ(store().ListDeployments(shop.id, "production", 10)->front().status, "success");
  EXPECT_EQ(store().UpdateDeploymentStatus(99, "success", "", 0).status().code(),
            core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gantry::store
