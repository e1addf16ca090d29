// The Store contract for the outbox of outbound deliveries and their settings, on both
// dialects.

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

OutboundDelivery Delivery(Id project, const std::string& kind, const std::string& target,
                          int64_t due) {
  OutboundDelivery d;
  d.project_id = project;
  d.kind = kind;
  d.target = target;
  d.payload = "{}";
  d.next_attempt_at = due;
  d.created_at = 1;
  return d;
}

TEST_P(StoreTest, DeliveriesAreClaimedOnceInOrderPerTarget) {
  Project shop = MakeProject("shop", MakeUser("alice").id);
  Id a1 = store().EnqueueDelivery(Delivery(shop.id, "commit_status", "ctx-a", 10))->id;
  Id b1 = store().EnqueueDelivery(Delivery(shop.id, "commit_status", "ctx-b", 10))->id;
  Id a2 = store().EnqueueDelivery(Delivery(shop.id, "commit_status", "ctx-a", 10))->id;
  ASSERT_TRUE(store().EnqueueDelivery(Delivery(shop.id, "webhook", "later", 500)).ok());

  // a2 waits behind a1 (same target); "later" is not due yet.
  core::Result<std::vector<OutboundDelivery>> first = store().ClaimDeliveries("r1", 100, 1000, 10);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ(first->at(0).id, a1);
  EXPECT_EQ(first->at(1).id, b1);
  // Another replica gets nothing while the claims live.
  EXPECT_TRUE(store().ClaimDeliveries("r2", 200, 1000, 10)->empty());

  OutboundDelivery done = first->at(0);
  done.state = "delivered";
  done.attempts = 1;
  done.delivered_at = 150;
  EXPECT_EQ(store().FinishDelivery(done, "r2").code(), core::StatusCode::kNotFound);
  ASSERT_TRUE(store().FinishDelivery(done, "r1").ok());
  OutboundDelivery again = first->at(1);
  again.attempts = 1;
  again.last_error = "HTTP 500";
  again.next_attempt_at = 5000;
  ASSERT_TRUE(store().FinishDelivery(again, "r1").ok());

  // a2 is free now; b1 waits for its retry time.
  core::Result<std::vector<OutboundDelivery>> second = store().ClaimDeliveries("r2", 200, 300, 10);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->at(0).id, a2);
  // r2's claim expired at 300: r1 may take a2 over (r2 died) together with the due webhook.
  core::Result<std::vector<OutboundDelivery>> third = store().ClaimDeliveries("r1", 600, 900, 10);
  ASSERT_EQ(third->size(), 2u);
  EXPECT_EQ(third->at(0).id, a2);

  core::Result<std::vector<OutboundDelivery>> delivered =
      store().ListDeliveries(shop.id, "delivered", 10);
  ASSERT_EQ(delivered->size(), 1u);
  EXPECT_EQ(delivered->at(0).delivered_at, 150);
  core::Result<std::vector<OutboundDelivery>> all = store().ListDeliveries(shop.id, "", 10);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(all->at(2).id, b1);
  EXPECT_EQ(all->at(2).last_error, "HTTP 500");
  EXPECT_EQ(all->at(2).attempts, 1);

  ASSERT_TRUE(store().RetryDelivery(shop.id, b1, 700).ok());
  EXPECT_EQ(store().RetryDelivery(shop.id + 1, b1, 700).code(), core::StatusCode::kNotFound);
  core::Result<std::vector<OutboundDelivery>> retried = store().ClaimDeliveries("r1", 700, 900, 10);
  ASSERT_EQ(retried->size(), 1u);
  EXPECT_EQ(retried->at(0).id, b1);
  EXPECT_EQ(retried->at(0).attempts, 0);
}

TEST_P(StoreTest, DeliverySettingsArePutReadAndDeleted) {
  Project shop = MakeProject("shop", MakeUser("alice").id);
  EXPECT_EQ(store().GetDeliverySetting("forge", shop.id).status().code(),
            core::StatusCode::kNotFound);
  std::vector<uint8_t> sealed = {0, 1, 255, 7};
  ASSERT_TRUE(store().PutDeliverySetting("forge", shop.id, sealed, 5).ok());
  ASSERT_TRUE(store().PutDeliverySetting("forge", shop.id, {9, 9}, 6).ok());
  EXPECT_EQ(*store().GetDeliverySetting("forge", shop.id), (std::vector<uint8_t>{9, 9}));
  ASSERT_TRUE(store().DeleteDeliverySetting("forge", shop.id).ok());
  EXPECT_EQ(store().DeleteDeliverySetting("forge", shop.id).code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gantry::store
