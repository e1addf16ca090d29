// The Store contract for `concurrency:` groups (runs waiting pending, jobs not leased while
// their group is held), on both dialects.

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

TEST_P(StoreTest, EnterRunGroupMakesTheRunPendingAndListsTheGroup) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  Project other = MakeProject("other", alice.id);
  store::Run a = MakeRun(shop.id);
  store::Run b = MakeRun(shop.id);
  store::Run elsewhere = MakeRun(other.id);
  ASSERT_TRUE(store().EnterRunGroup(elsewhere.id, "prod").ok());
  core::Result<std::vector<store::Run>> first = store().EnterRunGroup(a.id, "prod");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->empty());  // groups are per project
  EXPECT_EQ(store().GetRun(a.id)->status, "pending");
  core::Result<std::vector<store::Run>> second = store().EnterRunGroup(b.id, "prod");
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->at(0).id, a.id);
  EXPECT_EQ(second->at(0).status, "pending");
}

TEST_P(StoreTest, AdmitRunStartsOnlyWhenTheGroupIsFree) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  store::Run a = MakeRun(shop.id);
  store::Run b = MakeRun(shop.id);
  store::Run c = MakeRun(shop.id);
  ASSERT_TRUE(store().EnterRunGroup(a.id, "prod").ok());
  EXPECT_TRUE(store().AdmitRun(a.id).value());
  EXPECT_EQ(store().GetRun(a.id)->status, "queued");
  EXPECT_FALSE(store().AdmitRun(a.id).value());  // no longer pending
  ASSERT_TRUE(store().EnterRunGroup(b.id, "prod").ok());
  EXPECT_FALSE(store().AdmitRun(b.id).value());  // a holds the group
  ASSERT_TRUE(store().EnterRunGroup(c.id, "prod").ok());
  store::Run finished = store().GetRun(a.id).value();
  finished.status = "completed";
  finished.conclusion = "success";
  ASSERT_TRUE(store().UpdateRun(finished).ok());
  EXPECT_FALSE(store().AdmitRun(b.id).value());  // c, newer, waits too
  ASSERT_TRUE(store().RequestCancel(c.id).ok());
  EXPECT_FALSE(store().AdmitRun(c.id).value());  // cancelled
  EXPECT_TRUE(store().AdmitRun(b.id).value());
}

TEST_P(StoreTest, AReRunEntersItsGroupAfterTheRunsAlreadyThere) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  store::Run a = MakeRun(shop.id);
  store::Run b = MakeRun(shop.id);
  ASSERT_TRUE(store().EnterRunGroup(a.id, "prod").ok());
  ASSERT_TRUE(store().EnterRunGroup(b.id, "prod").ok());
  EXPECT_LT(store().GetRun(a.id)->group_order, store().GetRun(b.id)->group_order);
  // a enters again (its re-run): now it is the newer request and b no longer may start.
  core::Result<std::vector<store::Run>> again = store().EnterRunGroup(a.id, "prod");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->at(0).id, b.id);
  EXPECT_GT(store().GetRun(a.id)->group_order, store().GetRun(b.id)->group_order);
  EXPECT_FALSE(store().AdmitRun(b.id).value());
  EXPECT_TRUE(store().AdmitRun(a.id).value());
}

TEST_P(StoreTest, LeaseJobSkipsAJobWhoseGroupIsHeld) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  store::Run r1 = MakeRun(shop.id);
  store::Run r2 = MakeRun(shop.id);
  Job free = MakeJob(r2.id, "test");
  Job grouped;
  grouped.run_id = r1.id;
  grouped.job_id = "deploy2";
  grouped.name = "deploy2";
  grouped.labels = R"(["ubuntu-latest"])";
  grouped.concurrency_group = "prod";
  Job c = store().UpsertJob(grouped).value();
  EXPECT_EQ(c.concurrency_group, "prod");
  LeaseRequest req{"e1", "l1", 100, 200};
  core::Result<std::optional<Job>> first = store().LeaseJob({c.id}, req);
  ASSERT_TRUE(first.ok() && first->has_value());
  grouped.run_id = r2.id;
  Job d = store().UpsertJob(grouped).value();
  req.lease_id = "l2";
  EXPECT_FALSE(store().LeaseJob({d.id}, req)->has_value());  // c holds "prod"
  core::Result<std::optional<Job>> other = store().LeaseJob({d.id, free.id}, req);
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_EQ((*other)->id, free.id);
  Job done = (*first).value();
  done.conclusion = "success";
  ASSERT_TRUE(store().CompleteJob(done).ok());
  req.lease_id = "l3";
  core::Result<std::optional<Job>> next = store().LeaseJob({d.id}, req);
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, d.id);
}

}  // namespace
}  // namespace gantry::store
