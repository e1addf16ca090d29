// The Store contract, run against SQLite and PostgreSQL (store_test_util.h): users, tokens,
// projects, members, secrets, variables, deliveries, runs and jobs.

#include "store/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/migrations.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

// gtest owns the environment (its documented registration idiom).
::testing::Environment* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);  // NOLINT

TEST_P(StoreTest, ReportsDialectAndPings) {
  EXPECT_EQ(store().Dialect(), GetParam());
  EXPECT_TRUE(store().Ping().ok());
  core::Result<int> version = store().SchemaVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, LoadMigrations(Dialect::kSqlite, "")->latest());
}

TEST_P(StoreTest, FirstUserBecomesAdminAndUsernamesAreUnique) {
  User alice = MakeUser("alice");
  User bob = MakeUser("bob");
  EXPECT_TRUE(alice.is_admin);
  EXPECT_FALSE(bob.is_admin);
  EXPECT_GT(alice.created_at, 0);

  User again;
  again.username = "alice";
  core::Result<User> dup = store().CreateUser(again);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), core::StatusCode::kAlreadyExists) << dup.status().ToString();

  core::Result<User> by_name = store().GetUserByName("bob");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->id, bob.id);
  EXPECT_EQ(by_name->email, "bob@example.com");
  EXPECT_EQ(store().GetUser(alice.id)->username, "alice");
  EXPECT_EQ(store().GetUser(9999).status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(store().GetUserByName("carol").status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(*store().CountUsers(), 2);
}

TEST_P(StoreTest, TokensExpireAndRecordTheirLastUse) {
  User alice = MakeUser("alice");
  Token session{0, alice.id, "session", "", "hash-session", "", 2000, 1000, 0};
  Token pat{0, alice.id, "pat", "ci", "hash-pat", "repo,workflow", 0, 1000, 0};
  ASSERT_TRUE(store().CreateToken(session).ok());
  core::Result<Token> created = store().CreateToken(pat);
  ASSERT_TRUE(created.ok());
  EXPECT_GT(created->id, 0);

  core::Result<Token> found = store().FindToken("hash-session", 1500);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->user_id, alice.id);
  EXPECT_EQ(found->last_used_at, 1500);
  EXPECT_EQ(store().FindToken("hash-session", 2000).status().code(),
            core::StatusCode::kNotFound);  // expired at 2000
  EXPECT_EQ(store().FindToken("nope", 1500).status().code(), core::StatusCode::kNotFound);
  core::Result<Token> forever = store().FindToken("hash-pat", 1'000'000'000'000);
  ASSERT_TRUE(forever.ok());
  EXPECT_EQ(forever->scopes, "repo,workflow");

  EXPECT_EQ(store().ListTokens(alice.id, "")->size(), 2u);
  core::Result<std::vector<Token>> pats = store().ListTokens(alice.id, "pat");
  ASSERT_EQ(pats->size(), 1u);
  EXPECT_EQ(pats->front().last_used_at, 1'000'000'000'000);

  EXPECT_EQ(store().CreateToken(pat).status().code(), core::StatusCode::kAlreadyExists);
  EXPECT_EQ(store().DeleteToken(alice.id + 1, created->id).code(), core::StatusCode::kNotFound);
  EXPECT_TRUE(store().DeleteToken(alice.id, created->id).ok());
  EXPECT_TRUE(store().DeleteTokenByHash("hash-session").ok());
  EXPECT_EQ(store().DeleteTokenByHash("hash-session").code(), core::StatusCode::kNotFound);
  EXPECT_TRUE(store().ListTokens(alice.id, "")->empty());
}

TEST_P(StoreTest, ProjectsHaveMembersWithRoles) {
  User alice = MakeUser("alice");
  User bob = MakeUser("bob");
  Project shop = MakeProject("shop", alice.id);
  Project blog = MakeProject("blog", bob.id);
  EXPECT_GT(shop.id, 0);

  Project dup;
  dup.owner = "alice";
  dup.name = "shop";
  EXPECT_EQ(store().CreateProject(dup, alice.id).status().code(), core::StatusCode::kAlreadyExists);

  EXPECT_EQ(*store().MemberRole(shop.id, alice.id), "owner");
  EXPECT_EQ(*store().MemberRole(shop.id, bob.id), "");
  ASSERT_TRUE(store().PutMember(shop.id, bob.id, "viewer").ok());
  ASSERT_TRUE(store().PutMember(shop.id, bob.id, "developer").ok());
  EXPECT_EQ(*store().MemberRole(shop.id, bob.id), "developer");

  core::Result<std::vector<Member>> members = store().ListMembers(shop.id);
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ(members->at(0).username, "alice");
  EXPECT_EQ(members->at(0).role, "owner");
  EXPECT_EQ(members->at(1).username, "bob");
  EXPECT_EQ(members->at(1).role, "developer");

  EXPECT_EQ(store().ListProjects(alice.id, false)->size(), 1u);
  EXPECT_EQ(store().ListProjects(bob.id, false)->size(), 2u);
  core::Result<std::vector<Project>> all = store().ListProjects(alice.id, true);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).name, "blog");  // by owner/name

  core::Result<Project> by_name = store().GetProjectByName("alice", "shop");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->repository, shop.repository);
  EXPECT_EQ(by_name->default_branch, "main");
  ASSERT_TRUE(store().UpdateProjectPoll(shop.id, R"({"refs/heads/main":"abc"})").ok());
  EXPECT_EQ(store().GetProject(shop.id)->last_polled_sha, R"({"refs/heads/main":"abc"})");

  ASSERT_TRUE(store().DeleteMember(shop.id, bob.id).ok());
  EXPECT_EQ(store().DeleteMember(shop.id, bob.id).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE(store().DeleteProject(blog.id).ok());
  EXPECT_EQ(store().GetProject(blog.id).status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteProject(blog.id).code(), core::StatusCode::kNotFound);
  EXPECT_TRUE(store().ListProjects(bob.id, false)->empty());
}

TEST_P(StoreTest, WebhookSecretsAreBytes) {
  User alice = MakeUser("alice");
  Project p;
  p.owner = "alice";
  p.name = "bytes";
  p.webhook_secret = {0, 1, 2, 0xfe, 0xff, '\\', 'x'};
  core::Result<Project> created = store().CreateProject(p, alice.id);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(store().GetProject(created->id)->webhook_secret, p.webhook_secret);
}

TEST_P(StoreTest, UpdateProjectWritesItsSettings) {
  User alice = MakeUser("alice");
  Project p = MakeProject("shop", alice.id);
  p.repository = "/srv/git/other.git";
  p.default_branch = "trunk";
  p.poll_interval_seconds = 120;
  p.webhook_secret = {9, 0, 8};
  p.last_polled_sha = R"({"refs/heads/trunk":"abc"})";
  ASSERT_TRUE(store().UpdateProject(p).ok());
  core::Result<Project> got = store().GetProject(p.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->owner, "alice");
  EXPECT_EQ(got->name, "shop");
  EXPECT_EQ(got->repository, "/srv/git/other.git");
  EXPECT_EQ(got->default_branch, "trunk");
  EXPECT_EQ(got->poll_interval_seconds, 120);
  EXPECT_EQ(got->webhook_secret, p.webhook_secret);
  EXPECT_EQ(got->last_polled_sha, p.last_polled_sha);
  p.id = 999999;
  EXPECT_EQ(store().UpdateProject(p).code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, SecretsAndVariablesAreUpserted) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  ASSERT_TRUE(store().PutSecret(shop.id, {"TOKEN", {1, 2, 3}, 10}).ok());
  ASSERT_TRUE(store().PutSecret(shop.id, {"TOKEN", {4, 5}, 20}).ok());
  ASSERT_TRUE(store().PutSecret(shop.id, {"API_KEY", {0, 255}, 30}).ok());
  core::Result<std::vector<Secret>> secrets = store().ListSecrets(shop.id);
  ASSERT_EQ(secrets->size(), 2u);
  EXPECT_EQ(secrets->at(0).name, "API_KEY");
  EXPECT_EQ(secrets->at(0).ciphertext, (std::vector<uint8_t>{0, 255}));
  EXPECT_EQ(secrets->at(1).ciphertext, (std::vector<uint8_t>{4, 5}));
  EXPECT_EQ(secrets->at(1).updated_at, 20);
  ASSERT_TRUE(store().DeleteSecret(shop.id, "TOKEN").ok());
  EXPECT_EQ(store().DeleteSecret(shop.id, "TOKEN").code(), core::StatusCode::kNotFound);

  ASSERT_TRUE(store().PutVariable(shop.id, {"REGION", "eu", 1}).ok());
  ASSERT_TRUE(store().PutVariable(shop.id, {"REGION", "us", 2}).ok());
  core::Result<std::vector<Variable>> vars = store().ListVariables(shop.id);
  ASSERT_EQ(vars->size(), 1u);
  EXPECT_EQ(vars->at(0).value, "us");
  ASSERT_TRUE(store().DeleteVariable(shop.id, "REGION").ok());
  EXPECT_TRUE(store().ListVariables(shop.id)->empty());
}

TEST_P(StoreTest, ReplayedDeliveryIsRejected) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  Project blog = MakeProject("blog", alice.id);
  EXPECT_TRUE(store().RecordDelivery(shop.id, "d-1", 1).ok());
  EXPECT_EQ(store().RecordDelivery(shop.id, "d-1", 2).code(), core::StatusCode::kAlreadyExists);
  EXPECT_TRUE(store().RecordDelivery(blog.id, "d-1", 3).ok());
}

TEST_P(StoreTest, RunNumbersCountPerWorkflowFile) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  Project blog = MakeProject("blog", alice.id);
  EXPECT_EQ(MakeRun(shop.id).number, 1);
  EXPECT_EQ(MakeRun(shop.id).number, 2);
  EXPECT_EQ(MakeRun(shop.id, ".github/workflows/release.yml").number, 1);
  EXPECT_EQ(MakeRun(blog.id).number, 1);
  store::Run third = MakeRun(shop.id);
  EXPECT_EQ(third.number, 3);
  core::Result<store::Run> got = store().GetRun(third.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->number, 3);
  EXPECT_EQ(got->status, "queued");
  EXPECT_EQ(got->attempt, 1);
  EXPECT_EQ(got->sha, "0123456789abcdef");
  EXPECT_EQ(store().GetRun(9999).status().code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, ConcurrentRunsGetDistinctNumbers) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  std::mutex mu;
  std::set<int64_t> numbers;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        store::Run r;
        r.project_id = shop.id;
        r.workflow_file = "ci.yml";
        core::Result<store::Run> created = store().CreateRun(r);
        ASSERT_TRUE(created.ok()) << created.status().ToString();
        std::lock_guard<std::mutex> lock(mu);
        numbers.insert(created->number);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(numbers.size(), 40u);
  EXPECT_EQ(*numbers.rbegin(), 40);
}

TEST_P(StoreTest, ListRunsFiltersAndPagesNewestFirst) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  Project blog = MakeProject("blog", alice.id);
  std::vector<Id> ids;
  for (int i = 0; i < 7; ++i) {
    store::Run r;
    r.project_id = shop.id;
    r.workflow_file = i % 2 == 0 ? "ci.yml" : "release.yml";
    r.event = i < 5 ? "push" : "pull_request";
    r.ref = i == 3 ? "refs/heads/feature" : "refs/heads/main";
    r.actor = i == 6 ? "bob" : "alice";
    core::Result<store::Run> created = store().CreateRun(r);
    ASSERT_TRUE(created.ok());
    ids.push_back(created->id);
  }
  MakeRun(blog.id);
  store::Run done = *store().GetRun(ids[1]);
  done.status = "completed";
  done.conclusion = "failure";
  done.completed_at = 99;
  ASSERT_TRUE(store().UpdateRun(done).ok());

  // The ids ListRuns returns for shop with the filter `set` prepares.
  auto list = [&](const std::function<void(RunFilter&)>& set) {
    RunFilter f;
    f.project_id = shop.id;
    set(f);
    std::vector<Id> out;
    core::Result<std::vector<store::Run>> runs = store().ListRuns(f);
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    if (runs.ok()) {
      for (const store::Run& r : *runs) out.push_back(r.id);
    }
    return out;
  };
  using V = std::vector<Id>;
  EXPECT_EQ(list([](RunFilter&) {}), (V{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}));
  EXPECT_EQ(list([](RunFilter& f) { f.limit = 3; }), (V{ids[6], ids[5], ids[4]}));
  EXPECT_EQ(list([&](RunFilter& f) {
              f.before = ids[4];
              f.limit = 3;
            }),
            (V{ids[3], ids[2], ids[1]}));
  EXPECT_EQ(list([&](RunFilter& f) {
              f.before = ids[1];
              f.limit = 3;
            }),
            (V{ids[0]}));
  // `after` pages towards newer runs, nearest first, still listed newest first.
  EXPECT_EQ(list([&](RunFilter& f) {
              f.after = ids[1];
              f.limit = 3;
            }),
            (V{ids[4], ids[3], ids[2]}));
  EXPECT_EQ(list([&](RunFilter& f) {
              f.after = ids[4];
              f.limit = 3;
            }),
            (V{ids[6], ids[5]}));
  EXPECT_EQ(list([&](RunFilter& f) {
              f.after = ids[0];
              f.limit = 2;
              f.workflow_file = "ci.yml";
            }),
            (V{ids[4], ids[2]}));
  RunFilter ci;
  ci.project_id = shop.id;
  ci.workflow_file = "ci.yml";
  ci.after = ids[5];
  ci.limit = 1;
  EXPECT_EQ(*store().CountRuns(ci), 4);  // cursors and limits do not count
  EXPECT_EQ(list([](RunFilter& f) { f.status = "failure"; }), (V{ids[1]}));
  EXPECT_EQ(list([](RunFilter& f) { f.status = "completed"; }), (V{ids[1]}));
  EXPECT_EQ(list([](RunFilter& f) { f.branch = "feature"; }), (V{ids[3]}));
  EXPECT_EQ(list([](RunFilter& f) { f.event = "pull_request"; }), (V{ids[6], ids[5]}));
  EXPECT_EQ(list([](RunFilter& f) {
              f.workflow_file = "release.yml";
              f.actor = "alice";
            }),
            (V{ids[5], ids[3], ids[1]}));
  RunFilter every;
  every.limit = 100;
  EXPECT_EQ(store().ListRuns(every)->size(), 8u);  // every project

  core::Result<std::vector<store::Run>> active = store().ListActiveRuns();
  EXPECT_EQ(active->size(), 7u);
  core::Result<store::Run> after = store().GetRun(ids[1]);
  EXPECT_EQ(after->completed_at, 99);
  EXPECT_EQ(after->conclusion, "failure");
}

TEST_P(StoreTest, UpdateRunKeepsTimesGivenAsZero) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  run.status = "in_progress";
  run.started_at = 50;
  ASSERT_TRUE(store().UpdateRun(run).ok());
  run.status = "completed";
  run.conclusion = "success";
  run.started_at = 0;
  run.completed_at = 80;
  ASSERT_TRUE(store().UpdateRun(run).ok());
  core::Result<store::Run> got = store().GetRun(run.id);
  EXPECT_EQ(got->started_at, 50);
  EXPECT_EQ(got->completed_at, 80);
  run.id = 9999;
  EXPECT_EQ(store().UpdateRun(run).code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, CancelAndNewAttempt) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  ASSERT_TRUE(store().RequestCancel(run.id).ok());
  EXPECT_TRUE(store().GetRun(run.id)->cancel_requested);
  run.status = "completed";
  run.conclusion = "cancelled";
  ASSERT_TRUE(store().UpdateRun(run).ok());
  MakeJob(run.id, "build");

  core::Result<store::Run> again = store().NewAttempt(run.id);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->attempt, 2);
  EXPECT_EQ(again->status, "queued");
  EXPECT_EQ(again->conclusion, "");
  EXPECT_FALSE(again->cancel_requested);
  EXPECT_EQ(again->number, run.number);
  EXPECT_TRUE(store().ListJobs(run.id, 0)->empty());  // the newest attempt has no jobs yet
  EXPECT_EQ(store().ListJobs(run.id, 1)->size(), 1u);
  EXPECT_EQ(store().RequestCancel(9999).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(store().NewAttempt(9999).status().code(), core::StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Dialects, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace gantry::store
