// The Store contract for artifacts, caches, executors, patterns, audit and migrations, on both
// dialects.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/migrations.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace gantry::store {
namespace {

TEST_P(StoreTest, ArtifactsAreUpsertedByRunAndName) {
  User alice = MakeUser("alice");
  store::Run run = MakeRun(MakeProject("shop", alice.id).id);
  Artifact a{0, run.id, 0, "dist", "artifacts/1/dist.zip", 100, "aa", 10};
  core::Result<Artifact> first = store().CreateArtifact(a);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  a.size = 200;
  a.sha256 = "bb";
  core::Result<Artifact> second = store().CreateArtifact(a);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->id, first->id);
  a.name = "coverage";
  ASSERT_TRUE(store().CreateArtifact(a).ok());
  core::Result<std::vector<Artifact>> list = store().ListArtifacts(run.id);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->at(0).name, "coverage");
  EXPECT_EQ(list->at(1).size, 200);
  EXPECT_EQ(store().GetArtifact(first->id)->sha256, "bb");
  EXPECT_EQ(store().GetArtifact(9999).status().code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, CachesRestoreExactKeyThenNewestPrefix) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  Project blog = MakeProject("blog", alice.id);
  ASSERT_TRUE(store().PutCache({shop.id, "npm-linux-aaa", "v1", "c/1", 10, 100}).ok());
  ASSERT_TRUE(store().PutCache({shop.id, "npm-linux-bbb", "v1", "c/2", 20, 300}).ok());
  ASSERT_TRUE(store().PutCache({shop.id, "npm-linux-ccc", "v2", "c/3", 30, 500}).ok());
  ASSERT_TRUE(store().PutCache({shop.id, "NPM-linux-zzz", "v1", "c/4", 40, 900}).ok());
  ASSERT_TRUE(store().PutCache({blog.id, "npm-linux-ddd", "v1", "c/5", 50, 999}).ok());

  core::Result<CacheEntry> exact = store().FindCache(shop.id, "npm-linux-aaa", {"npm-"}, "v1");
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->path, "c/1");
  core::Result<CacheEntry> prefix =
      store().FindCache(shop.id, "npm-linux-xxx", {"pip-", "npm-linux-"}, "v1");
  ASSERT_TRUE(prefix.ok()) << prefix.status().ToString();
  EXPECT_EQ(prefix->path, "c/2");  // newest with that prefix and version, case-sensitive
  EXPECT_EQ(store().FindCache(shop.id, "npm-linux-xxx", {"npm-linux-"}, "v2")->path, "c/3");
  EXPECT_EQ(store().FindCache(shop.id, "x", {"pip-"}, "v1").status().code(),
            core::StatusCode::kNotFound);
  EXPECT_EQ(store().FindCache(shop.id, "x", {"npm_"}, "v1").status().code(),
            core::StatusCode::kNotFound);  // "_" is no wildcard

  ASSERT_TRUE(store().PutCache({shop.id, "npm-linux-aaa", "v1", "c/6", 60, 1000}).ok());
  EXPECT_EQ(store().FindCache(shop.id, "npm-linux-aaa", {}, "v1")->path, "c/6");
}

TEST_P(StoreTest, ExecutorsAreFoundByTokenHash) {
  Executor e;
  e.name = "runner-1";
  e.token_hash = "h1";
  e.labels = R"(["linux","x64"])";
  e.capacity = 4;
  core::Result<Executor> created = store().CreateExecutor(e);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(store().CreateExecutor(e).status().code(), core::StatusCode::kAlreadyExists);
  core::Result<Executor> found = store().FindExecutorByTokenHash("h1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, created->id);
  EXPECT_EQ(found->capacity, 4);
  EXPECT_EQ(found->state, "online");
  found->state = "offline";
  found->last_seen = 1234;
  ASSERT_TRUE(store().UpdateExecutor(*found).ok());
  core::Result<std::vector<Executor>> all = store().ListExecutors();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(0).state, "offline");
  EXPECT_EQ(all->at(0).last_seen, 1234);
  EXPECT_EQ(store().FindExecutorByTokenHash("h2").status().code(), core::StatusCode::kNotFound);
  found->id = 9999;
  EXPECT_EQ(store().UpdateExecutor(*found).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteExecutor(9999).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE(store().DeleteExecutor(created->id).ok());
  EXPECT_TRUE(store().ListExecutors()->empty());
}

TEST_P(StoreTest, RegistrationTokensAreUsedUpOrExpire) {
  RegistrationToken t;
  t.token_hash = "r1";
  t.uses_left = 2;
  t.expires_at = 5000;
  ASSERT_TRUE(store().CreateRegistrationToken(t).ok());
  EXPECT_EQ(store().CreateRegistrationToken(t).status().code(), core::StatusCode::kAlreadyExists);
  EXPECT_TRUE(store().UseRegistrationToken("r1", 1000).ok());
  EXPECT_EQ(store().UseRegistrationToken("r1", 6000).code(), core::StatusCode::kPermissionDenied);
  EXPECT_TRUE(store().UseRegistrationToken("r1", 2000).ok());
  core::Status used_up = store().UseRegistrationToken("r1", 3000);
  EXPECT_EQ(used_up.code(), core::StatusCode::kPermissionDenied);
  EXPECT_NE(used_up.message().find("used up"), std::string::npos) << used_up.message();
  EXPECT_EQ(store().UseRegistrationToken("nope", 1000).code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, PatternsComeFromTheSeed) {
  core::Result<std::vector<Pattern>> patterns = store().ListPatterns();
  ASSERT_TRUE(patterns.ok()) << patterns.status().ToString();
  ASSERT_FALSE(patterns->empty());
  core::Result<Pattern> first = store().GetPattern(patterns->front().name);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->workflow.empty());
  EXPECT_EQ(store().GetPattern("no-such-pattern").status().code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, AuditEventsListNewestFirst) {
  ASSERT_TRUE(store().Audit({0, 1, 7, "project.create", "alice/shop", "{}", 10}).ok());
  ASSERT_TRUE(store().Audit({0, 1, 7, "secret.put", "TOKEN", "{}", 20}).ok());
  ASSERT_TRUE(store().Audit({0, 0, 8, "run.cancel", "1", "{}", 30}).ok());
  core::Result<std::vector<AuditEvent>> shop = store().ListAudit(7, 10);
  ASSERT_EQ(shop->size(), 2u);
  EXPECT_EQ(shop->at(0).action, "secret.put");
  EXPECT_EQ(shop->at(1).target, "alice/shop");
  core::Result<std::vector<AuditEvent>> all = store().ListAudit(0, 2);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).action, "run.cancel");
}

TEST_P(StoreTest, RunsCountAndPageByOffsetAndCreationTime) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  std::vector<Id> ids;
  for (int i = 0; i < 5; ++i) {
    store::Run r;
    r.project_id = shop.id;
    r.workflow_file = i < 3 ? ".github/workflows/ci.yml" : ".github/workflows/old.yml";
    r.workflow_name = i == 0 ? "CI first" : (i < 3 ? "CI" : "Old");
    r.event = "push";
    r.ref = "refs/heads/main";
    r.sha = i == 4 ? "feedbeef" : "0123";
    r.created_at = int64_t{1000} * (i + 1);
    core::Result<store::Run> created = store().CreateRun(r);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ids.push_back(created->id);
  }
  RunFilter f;
  f.project_id = shop.id;
  EXPECT_EQ(*store().CountRuns(f), 5);
  f.limit = 2;
  f.offset = 2;
  core::Result<std::vector<store::Run>> page = store().ListRuns(f);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, ids[2]);
  EXPECT_EQ((*page)[1].id, ids[1]);
  EXPECT_EQ(*store().CountRuns(f), 5);  // limit and offset do not change the count

  RunFilter range;
  range.project_id = shop.id;
  range.created_from = 2000;
  range.created_to = 4000;
  EXPECT_EQ(*store().CountRuns(range), 2);
  core::Result<std::vector<store::Run>> in_range = store().ListRuns(range);
  ASSERT_EQ(in_range->size(), 2u);
  EXPECT_EQ((*in_range)[0].id, ids[2]);
  RunFilter by_sha;
  by_sha.project_id = shop.id;
  by_sha.sha = "feedbeef";
  EXPECT_EQ(*store().CountRuns(by_sha), 1);

  core::Result<std::vector<RunWorkflow>> workflows = store().ListRunWorkflows(shop.id);
  ASSERT_TRUE(workflows.ok()) << workflows.status().ToString();
  ASSERT_EQ(workflows->size(), 2u);
  EXPECT_EQ((*workflows)[0].file, ".github/workflows/ci.yml");
  EXPECT_EQ((*workflows)[0].name, "CI");  // the newest run's name
  EXPECT_EQ((*workflows)[1].file, ".github/workflows/old.yml");
  EXPECT_EQ((*workflows)[1].name, "Old");
  EXPECT_TRUE(store().ListRunWorkflows(shop.id + 1000)->empty());
}

TEST_P(StoreTest, DeletingAProjectDeletesItsRunsAndJobs) {
  User alice = MakeUser("alice");
  Project shop = MakeProject("shop", alice.id);
  store::Run run = MakeRun(shop.id);
  Job job = MakeJob(run.id, "build");
  ASSERT_TRUE(store().AppendLogs(job.id, {{job.id, 1, 0, "x\n", 0}}).ok());
  ASSERT_TRUE(store().DeleteProject(shop.id).ok());
  EXPECT_EQ(store().GetRun(run.id).status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(store().GetJob(job.id).status().code(), core::StatusCode::kNotFound);
  EXPECT_TRUE(store().ReadLogs(job.id, 0, 100)->empty());
}

TEST_P(StoreTest, MigrationsAreAppliedOnce) {
  store_.reset();
  core::Result<std::pair<int, int>> again = Migrate(url_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  // (before, after): the opening applied them all, so nothing is applied again.
  EXPECT_GE(again->first, 2);
  EXPECT_EQ(again->first, again->second);
  std::unique_ptr<Database> db = OpenDb();
  int64_t rows = 0;
  ASSERT_TRUE(db->Transact(TxMode::kRead, [&](Connection& conn) {
                  core::Result<Rows> r = conn.Query("SELECT COUNT(*) FROM schema_version", {});
                  if (!r.ok()) return r.status();
                  rows = r->front().Int(0);
                  return core::Status::Ok();
                }).ok());
  // One row per migration file (versions may leave gaps: 005 can land before 004).
  EXPECT_EQ(rows, static_cast<int64_t>(LoadMigrations(Dialect::kSqlite, "")->migrations.size()));
}

TEST_P(StoreTest, MigrationsFromADirectoryApplyInOrderOnce) {
  ResetDatabase();
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("gantry-migrations-" + GetParam() + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / GetParam());
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  };
  write(GetParam() + "/002_more.sql", "ALTER TABLE t ADD COLUMN note TEXT NOT NULL DEFAULT '';");
  write(GetParam() + "/001_first.sql", "CREATE TABLE t (id BIGINT PRIMARY KEY);");
  write("seed_base.sql",
        "INSERT INTO t (id, note) VALUES (1, 'seed') ON CONFLICT (id) DO NOTHING;");

  core::Result<std::pair<int, int>> first = Migrate(url_, dir.string());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, std::make_pair(0, 2));
  core::Result<std::pair<int, int>> second = Migrate(url_, dir.string());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(*second, std::make_pair(2, 2));
  write(GetParam() + "/003_index.sql", "CREATE INDEX t_note ON t (note);");
  EXPECT_EQ(*Migrate(url_, dir.string()), std::make_pair(2, 3));
  write(GetParam() + "/009_later.sql", "CREATE INDEX t_later ON t (id, note);");
  EXPECT_EQ(*Migrate(url_, dir.string()), std::make_pair(3, 9));

  // This binary's own migrations stop below 9: the database is newer, so it is refused.
  core::Result<std::unique_ptr<Store>> refused = OpenStore(url_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("schema version 9"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("upgrade gantry"), std::string::npos);
  EXPECT_FALSE(OpenStore(url_, false).ok());
  EXPECT_FALSE(Migrate(url_).ok());

  write(GetParam() + "/010_broken.sql", "CREATE TABLE t (id BIGINT);");
  core::Result<std::pair<int, int>> broken = Migrate(url_, dir.string());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("010_broken.sql"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_P(StoreTest, NewerSchemaIsRefused) {
  store_.reset();
  std::unique_ptr<Database> db = OpenDb();
  ASSERT_TRUE(db->Transact(TxMode::kWrite, [](Connection& conn) {
                  return conn
                      .Exec(
                          "INSERT INTO schema_version (version, name, applied_at) "
                          "VALUES (99, '099_future.sql', 0)",
                          {})
                      .status();
                }).ok());
  core::Result<std::unique_ptr<Store>> opened = OpenStore(url_);
  ASSERT_FALSE(opened.ok());
  const int latest = LoadMigrations(Dialect::kSqlite, "")->latest();
  EXPECT_EQ(opened.status().message(),
            "the database is at schema version 99; this gantry knows up to " +
                std::to_string(latest) +
                ": upgrade gantry (or point it at a database of its version)");
}

TEST(OpenStoreTest, AcceptsSqliteUrlsAndBarePaths) {
  char tmpl[] = "/tmp/gantry-open-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  core::Result<std::unique_ptr<Store>> url = OpenStore("sqlite://" + dir + "/a.db");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ((*url)->Dialect(), "sqlite");
  core::Result<std::unique_ptr<Store>> bare = OpenStore(dir + "/b.db");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir + "/b.db"));
  EXPECT_EQ(OpenStore("mysql://x/y").status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("").status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(OpenStore(dir + "/missing/dir/c.db").ok());
  std::filesystem::remove_all(dir);
}

TEST(MigrationsTest, EmbeddedSetsHaveTheSameVersionsForBothDialects) {
  core::Result<MigrationSet> sqlite = LoadMigrations(Dialect::kSqlite, "");
  core::Result<MigrationSet> postgres = LoadMigrations(Dialect::kPostgres, "");
  ASSERT_TRUE(sqlite.ok() && postgres.ok());
  ASSERT_EQ(sqlite->migrations.size(), postgres->migrations.size());
  for (size_t i = 0; i < sqlite->migrations.size(); ++i) {
    EXPECT_EQ(sqlite->migrations[i].name, postgres->migrations[i].name);
  }
  EXPECT_GE(sqlite->latest(), 1);
  EXPECT_FALSE(sqlite->seed.empty());
  // The source tree's folder holds the same files as the binary.
  core::Result<MigrationSet> from_dir = LoadMigrations(Dialect::kSqlite, GANTRY_MIGRATIONS_DIR);
  ASSERT_TRUE(from_dir.ok()) << from_dir.status().ToString();
  EXPECT_EQ(from_dir->latest(), sqlite->latest());
  EXPECT_EQ(from_dir->seed, sqlite->seed);
}

}  // namespace
}  // namespace gantry::store
