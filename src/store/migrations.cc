#include "store/migrations.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gantry::store {
namespace {

namespace fs = std::filesystem;

const char* DialectDir(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "sqlite" : "postgres";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "001_init_schema.sql" -> 1; 0 when the name does not start with a version.
int VersionOf(const std::string& file_name) {
  int version = 0;
  auto [end, ec] = std::from_chars(file_name.data(), file_name.data() + file_name.size(), version);
  if (ec != std::errc() || end == file_name.data() || *end != '_') return 0;
  return version;
}

core::Status AddMigration(MigrationSet& set, const std::string& where, const std::string& name,
                          std::string sql) {
  int version = VersionOf(name);
  if (version <= 0) {
    return core::Status::InvalidArgument("migration " + where +
                                         ": the name must start with a version, e.g. "
                                         "002_add_index.sql");
  }
  for (const Migration& m : set.migrations) {
    if (m.version == version) {
      return core::Status::InvalidArgument("migrations " + m.name + " and " + name +
                                           " have the same version " + std::to_string(version));
    }
  }
  set.migrations.push_back({version, name, std::move(sql)});
  return core::Status::Ok();
}

core::Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::NotFound("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// PostgreSQL: one migrator at a time (several API replicas may start together); SQLite's
// BEGIN IMMEDIATE already serialises writers.
core::Status LockMigrations(Database& db, Connection& conn) {
  if (db.dialect() != Dialect::kPostgres) return core::Status::Ok();
  core::Result<Rows> locked = conn.Query("SELECT pg_advisory_xact_lock(7204011)", {});
  return locked.status();
}

core::Status CreateVersionTable(Connection& conn) {
  return conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
      " applied_at BIGINT NOT NULL)");
}

core::Result<int> ReadVersion(Connection& conn) {
  core::Result<Rows> rows = conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_version", {});
  if (!rows.ok()) return rows.status();
  return static_cast<int>(rows->at(0).Int(0));
}

}  // namespace

core::Result<MigrationSet> LoadMigrations(Dialect dialect, const std::string& dir) {
  MigrationSet set;
  const std::string prefix = std::string(DialectDir(dialect)) + "/";
  if (dir.empty()) {
    for (const MigrationFile& file : EmbeddedMigrations()) {
      if (file.path == "seed_base.sql") {
        set.seed = file.text;
      } else if (file.path.rfind(prefix, 0) == 0 && file.path.find('/', prefix.size()) ==
                                                          std::string::npos) {
        GANTRY_RETURN_IF_ERROR(
            AddMigration(set, file.path, file.path.substr(prefix.size()), file.text));
      }
    }
  } else {
    fs::path root(dir);
    std::error_code ec;
    fs::directory_iterator it(root / DialectDir(dialect), ec);
    if (ec) {
      return core::Status::NotFound("cannot list the migrations in " +
                                    (root / DialectDir(dialect)).string() + ": " + ec.message());
    }
    for (const fs::directory_entry& entry : it) {
      if (entry.path().extension() != ".sql") continue;
      core::Result<std::string> sql = ReadFile(entry.path());
      if (!sql.ok()) return sql.status();
      GANTRY_RETURN_IF_ERROR(
          AddMigration(set, entry.path().string(), entry.path().filename().string(), *sql));
    }
    if (fs::exists(root / "seed_base.sql")) {
      core::Result<std::string> seed = ReadFile(root / "seed_base.sql");
      if (!seed.ok()) return seed.status();
      set.seed = *seed;
    }
  }
  std::sort(set.migrations.begin(), set.migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return set;
}

core::Status CheckNotNewer(int current, int latest) {
  if (current <= latest) return core::Status::Ok();
  return core::Status::InvalidArgument(
      "the database is at schema version " + std::to_string(current) + "; this gantry knows up to " +
      std::to_string(latest) + ": upgrade gantry (or point it at a database of its version)");
}

core::Result<int> SchemaVersion(Database& db) {
  int version = 0;
  GANTRY_RETURN_IF_ERROR(db.Transact(TxMode::kRead, [&](Connection& conn) {
    // An empty database has no schema_version table yet: version 0.
    core::Result<Rows> exists = conn.Query(
        db.dialect() == Dialect::kSqlite
            ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()"
              " AND table_name = 'schema_version'",
        {});
    if (!exists.ok()) return exists.status();
    if (exists->empty()) return core::Status::Ok();
    core::Result<int> v = ReadVersion(conn);
    if (!v.ok()) return v.status();
    version = *v;
    return core::Status::Ok();
  }));
  return version;
}

core::Result<std::pair<int, int>> ApplyMigrations(Database& db, const MigrationSet& set) {
  core::Result<int> before = SchemaVersion(db);
  if (!before.ok()) return before.status();
  GANTRY_RETURN_IF_ERROR(CheckNotNewer(*before, set.latest()));
  int after = *before;
  for (const Migration& m : set.migrations) {
    if (m.version <= after) continue;
    GANTRY_RETURN_IF_ERROR(db.Transact(TxMode::kWrite, [&](Connection& conn) {
      GANTRY_RETURN_IF_ERROR(LockMigrations(db, conn));
      GANTRY_RETURN_IF_ERROR(CreateVersionTable(conn));
      // Another process may have applied it since we looked.
      core::Result<int> current = ReadVersion(conn);
      if (!current.ok()) return current.status();
      if (*current >= m.version) return core::Status::Ok();
      core::Status st = conn.ExecScript(m.sql);
      if (!st.ok()) {
        return core::Status(st.code(), "migration " + m.name + " failed: " + st.message());
      }
      core::Result<int64_t> recorded =
          conn.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
                    {m.version, m.name, NowMs()});
      return recorded.status();
    }));
    after = m.version;
  }
  if (!set.seed.empty()) {
    GANTRY_RETURN_IF_ERROR(db.Transact(TxMode::kWrite, [&](Connection& conn) {
      core::Status st = conn.ExecScript(set.seed);
      if (!st.ok()) return core::Status(st.code(), "seed_base.sql failed: " + st.message());
      return st;
    }));
  }
  core::Result<int> final_version = SchemaVersion(db);
  if (!final_version.ok()) return final_version.status();
  return std::make_pair(*before, *final_version);
}

}  // namespace gantry::store
