#pragma once

// The fixture of the store tests: each test runs against SQLite (a file in a fresh temp dir)
// and PostgreSQL (a server started by scripts/pg-up.sh, one database per test binary run whose
// schema is emptied before each test). Without PostgreSQL binaries the PostgreSQL cases fail,
// unless GANTRY_SKIP_POSTGRES=1 skips them.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store/database.h"
#include "store/store.h"

namespace gantry::store {

/// Starts (or reuses) the test PostgreSQL once per binary run and drops its database at the end.
class PostgresEnvironment : public ::testing::Environment {
 public:
  static bool Skipped() {
    const char* skip = std::getenv("GANTRY_SKIP_POSTGRES");
    return skip != nullptr && std::string(skip) == "1";
  }
  /// The URL of this run's database, or "" when it could not be made (see error()).
  static const std::string& url() { return url_; }
  static const std::string& error() { return error_; }

  void SetUp() override {
    if (Skipped()) return;
    std::filesystem::path root = std::filesystem::path(GANTRY_MIGRATIONS_DIR).parent_path();
    db_name_ = "gantry_test_" + std::to_string(getpid());
    std::string command = (root / "scripts" / "pg-up.sh").string() + " " + db_name_ + " 2>&1";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      error_ = "cannot run " + command;
      return;
    }
    char buffer[4096];
    size_t n = 0;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    int rc = pclose(pipe);
    while (!output.empty() && output.back() == '\n') output.pop_back();
    size_t last_line = output.rfind('\n');
    std::string last = last_line == std::string::npos ? output : output.substr(last_line + 1);
    if (rc != 0 || last.rfind("postgres://", 0) != 0) {
      error_ = "scripts/pg-up.sh failed (set GANTRY_SKIP_POSTGRES=1 to skip the PostgreSQL "
               "cases):\n" + output;
      return;
    }
    url_ = last;
  }

  void TearDown() override {
    if (url_.empty()) return;
    // The stores of the tests are closed by now; FORCE ends any connection left over.
    std::string base = url_.substr(0, url_.rfind('/')) + "/postgres";
    std::string command = "psql -q '" + base + "' -c 'DROP DATABASE IF EXISTS " + db_name_ +
                          " WITH (FORCE)' >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "note: could not drop the test database %s\n", db_name_.c_str());
    }
  }

 private:
  std::string db_name_;
  static inline std::string url_;
  static inline std::string error_;
};

/// Parameter: "sqlite" or "postgres".
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      if (PostgresEnvironment::Skipped()) GTEST_SKIP() << "GANTRY_SKIP_POSTGRES=1";
      ASSERT_FALSE(PostgresEnvironment::url().empty()) << PostgresEnvironment::error();
      url_ = PostgresEnvironment::url();
    } else {
      char tmpl[] = "/tmp/gantry-store-test.XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      url_ = "sqlite://" + dir_ + "/gantry.db";
    }
    ASSERT_NO_FATAL_FAILURE(ResetDatabase());
    core::Result<std::unique_ptr<Store>> opened = OpenStore(url_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  /// A driver-level handle on the test database.
  std::unique_ptr<Database> OpenDb() {
    core::Result<std::unique_ptr<Database>> db =
        GetParam() == "postgres" ? OpenPostgres(url_) : OpenSqlite(dir_ + "/gantry.db");
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }

  /// Empties the database (closes the store first): no tables at all.
  void ResetDatabase() {
    store_.reset();
    if (GetParam() == "postgres") {
      std::unique_ptr<Database> db = OpenDb();
      ASSERT_NE(db, nullptr);
      core::Status st = db->Transact(TxMode::kWrite, [](Connection& conn) {
        return conn.ExecScript("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
      });
      ASSERT_TRUE(st.ok()) << st.ToString();
    } else {
      for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(dir_ + "/gantry.db" + suffix);
      }
    }
  }

  Store& store() { return *store_; }

  User MakeUser(const std::string& name) {
    User u;
    u.username = name;
    u.email = name + "@example.com";
    core::Result<User> created = store_->CreateUser(u);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : User{};
  }

  Project MakeProject(const std::string& name, Id creator) {
    Project p;
    p.owner = "alice";
    p.name = name;
    p.repository = "https://git.example.com/alice/" + name;
    p.default_branch = "main";
    core::Result<Project> created = store_->CreateProject(p, creator);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : Project{};
  }

  store::Run MakeRun(Id project_id, const std::string& workflow = ".github/workflows/ci.yml") {
    store::Run r;
    r.project_id = project_id;
    r.workflow_file = workflow;
    r.workflow_name = "CI";
    r.event = "push";
    r.ref = "refs/heads/main";
    r.sha = "0123456789abcdef";
    r.actor = "alice";
    core::Result<store::Run> created = store_->CreateRun(r);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : store::Run{};
  }

  Job MakeJob(Id run_id, const std::string& job_id, int instance = 0) {
    Job j;
    j.run_id = run_id;
    j.job_id = job_id;
    j.instance = instance;
    j.name = job_id;
    j.labels = R"(["ubuntu-latest"])";
    core::Result<Job> created = store_->UpsertJob(j);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : Job{};
  }

  std::string url_;
  std::string dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace gantry::store
