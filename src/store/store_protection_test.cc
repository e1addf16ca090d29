// The Store contract for branch protection rules and the latest run of a ref, on both dialects.

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

TEST_P(StoreTest, BranchProtectionRulesArePutListedAndDeleted) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  Project blog = MakeProject("blog", alice.id);
  ASSERT_TRUE(store().PutBranchProtection(shop.id, {"release/*", {"CI / build"}, 0, 0}).ok());
  ASSERT_TRUE(
      store().PutBranchProtection(shop.id, {"main", {"CI / test", "CI / lint"}, 1000, 1000}).ok());
  ASSERT_TRUE(store().PutBranchProtection(blog.id, {"main", {"docs"}, 0, 0}).ok());

  auto rules = store().ListBranchProtection(shop.id);
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].pattern, "main");  // sorted by pattern
  EXPECT_EQ((*rules)[0].required_checks, (std::vector<std::string>{"CI / test", "CI / lint"}));
  EXPECT_EQ((*rules)[0].created_at, 1000);
  EXPECT_EQ((*rules)[1].pattern, "release/*");
  EXPECT_GT((*rules)[1].created_at, 0);

  // Replacing keeps created_at and updates the checks.
  ASSERT_TRUE(store().PutBranchProtection(shop.id, {"main", {"CI / test"}, 0, 5000}).ok());
  rules = store().ListBranchProtection(shop.id);
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ((*rules)[0].required_checks, (std::vector<std::string>{"CI / test"}));
  EXPECT_EQ((*rules)[0].created_at, 1000);
  EXPECT_EQ((*rules)[0].updated_at, 5000);

  ASSERT_TRUE(store().DeleteBranchProtection(shop.id, "main").ok());
  core::Status again = store().DeleteBranchProtection(shop.id, "main");
  EXPECT_EQ(again.code(), core::StatusCode::kNotFound);
  EXPECT_NE(again.message().find("'main'"), std::string::npos) << again.message();
  EXPECT_EQ(store().ListBranchProtection(shop.id)->size(), 1u);
  EXPECT_EQ(store().ListBranchProtection(blog.id)->size(), 1u);

  ASSERT_TRUE(store().DeleteProject(shop.id).ok());  // rules go with their project
  EXPECT_TRUE(store().ListBranchProtection(shop.id)->empty());
}

TEST_P(StoreTest, LatestRunOfRefIsTheNewest) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  EXPECT_EQ(store().LatestRunOfRef(shop.id, "refs/pull/7/head").status().code(),
            core::StatusCode::kNotFound);
  store::Run pr = MakeRun(shop.id);
  pr.ref = "refs/pull/7/head";
  pr.event = "pull_request";
  auto first = store().CreateRun(pr);
  auto second = store().CreateRun(pr);
  pr.ref = "refs/pull/8/head";
  ASSERT_TRUE(store().CreateRun(pr).ok());
  ASSERT_TRUE(first.ok() && second.ok());
  auto latest = store().LatestRunOfRef(shop.id, "refs/pull/7/head");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->id, second->id);
  EXPECT_EQ(latest->event, "pull_request");
}

}  // namespace
}  // namespace gantry::store
