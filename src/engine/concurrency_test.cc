#include "engine/concurrency.h"

#include <gtest/gtest.h>

namespace gantry::engine {
namespace {

using Ids = std::vector<int64_t>;

TEST(ConcurrencyTest, EmptyGroupCancelsNothing) {
  GroupEntry e = EnterGroup({5}, false, {});
  EXPECT_TRUE(e.cancel.empty());
  EXPECT_FALSE(e.cancel_self);
}

TEST(ConcurrencyTest, RunningOneIsKeptWithoutCancelInProgress) {
  GroupEntry e = EnterGroup({5}, false, {{4, false, false}});
  EXPECT_TRUE(e.cancel.empty());
  EXPECT_FALSE(e.cancel_self);
}

TEST(ConcurrencyTest, CancelInProgressCancelsTheRunningOne) {
  GroupEntry e = EnterGroup({5}, true, {{4, false, false}});
  EXPECT_EQ(e.cancel, Ids{4});
}

TEST(ConcurrencyTest, NewcomerCancelsTheOlderPendingOne) {
  GroupEntry e = EnterGroup({6}, false, {{4, false, false}, {5, true, false}});
  EXPECT_EQ(e.cancel, Ids{5});
  EXPECT_FALSE(e.cancel_self);
}

TEST(ConcurrencyTest, CancelInProgressCancelsRunningAndPending) {
  GroupEntry e = EnterGroup({6}, true, {{4, false, false}, {5, true, false}});
  EXPECT_EQ(e.cancel, (Ids{4, 5}));
}

TEST(ConcurrencyTest, RunsAlreadyCancelledAreLeftAlone) {
  GroupEntry e = EnterGroup({6}, true, {{4, false, true}, {5, true, true}});
  EXPECT_TRUE(e.cancel.empty());
  EXPECT_FALSE(e.cancel_self);
}

TEST(ConcurrencyTest, OlderRunEnteringAfterANewerOneCancelsItself) {
  GroupEntry e = EnterGroup({5}, true, {{4, false, false}, {6, true, false}});
  EXPECT_TRUE(e.cancel_self);
  EXPECT_TRUE(e.cancel.empty());  // the newer one cancels what it must
}

TEST(ConcurrencyTest, NewerRunThatWasCancelledDoesNotDisplaceAnOlderOne) {
  GroupEntry e = EnterGroup({5}, false, {{6, true, true}});
  EXPECT_FALSE(e.cancel_self);
}

TEST(ConcurrencyTest, MessageNamesTheGroup) {
  EXPECT_EQ(GroupCancelMessage("deploy-prod"),
            "Canceling since a higher priority waiting request for 'deploy-prod' exists");
}

TEST(ConcurrencyTest, AReRunEntersAfterNewerRunsDespiteItsSmallerId) {
  // Run 4 is re-run (it keeps its id) while run 6, which entered earlier, is pending.
  GroupEntry e =
      EnterGroup({4, true, false, 3}, false, {{5, false, false, 1}, {6, true, false, 2}});
  EXPECT_FALSE(e.cancel_self);
  EXPECT_EQ(e.cancel, std::vector<int64_t>{6});
}

}  // namespace
}  // namespace gantry::engine
