// The SQLite driver: one writer connection behind a mutex (BEGIN IMMEDIATE) and a pool of read
// connections that run in parallel with it (WAL). Each connection keeps its prepared
// statements, so the server's hot paths never re-parse SQL.

#include <sqlite3.h>

#include <charconv>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/database.h"

namespace gantry::store {
namespace {

constexpr int kBusyTimeoutMs = 10000;

std::string Excerpt(std::string_view sql) {
  std::string s(sql.substr(0, 120));
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return sql.size() > 120 ? s + "…" : s;
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  static core::Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto conn = std::make_unique<SqliteConnection>(db, path);
    if (rc != SQLITE_OK) {
      return core::Status::Unavailable("cannot open the SQLite database " + path + ": " +
                                       (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    // WAL lets readers run beside the writer; NORMAL syncs at checkpoints only, which in WAL
    // mode can lose the last transactions on power loss but never corrupts the database.
    // A page cache of 512 KiB per connection instead of SQLite's 2 MiB: the readers' pool
    // grows to the server's concurrency (a dozen connections and more), and the operating
    // system's file cache already holds the database's pages for all of them.
    GANTRY_RETURN_IF_ERROR(conn->ExecScript(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
        " PRAGMA cache_size = -512;"));
    return conn;
  }

  core::Result<Rows> Query(std::string_view sql, const Params& params) override {
    Rows rows;
    GANTRY_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }

  core::Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    GANTRY_RETURN_IF_ERROR(Run(sql, params, nullptr));
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  core::Status ExecScript(const std::string& sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return core::Status::Ok();
    std::string message = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Error(rc, message, sql);
  }

 private:
  core::Status Error(int rc, const std::string& message, std::string_view sql) const {
    std::string text = "SQLite (" + path_ + "): " + message + " [in: " + Excerpt(sql) + "]";
    int ext = sqlite3_extended_errcode(db_);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return core::Status::AlreadyExists(text);
    }
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      return core::Status::Unavailable(text);
    }
    return core::Status::Internal(text);
  }

  core::Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return Error(rc, sqlite3_errmsg(db_), sql);
    if (stmt == nullptr) return core::Status::Internal("empty SQL statement: " + Excerpt(sql));
    // Query and Exec run one statement; a second one would be silently ignored.
    for (; tail != nullptr && *tail != '\0'; ++tail) {
      if (*tail != ' ' && *tail != '\n' && *tail != ';') {
        sqlite3_finalize(stmt);
        return core::Status::Internal("more than one SQL statement (use ExecScript): " +
                                      Excerpt(sql));
      }
    }
    cache_.emplace(std::move(key), stmt);
    return stmt;
  }

  core::Status Bind(sqlite3_stmt* stmt, const Params& params, std::string_view sql) {
    int count = sqlite3_bind_parameter_count(stmt);
    for (int i = 1; i <= count; ++i) {
      // "$N" is a named parameter in SQLite; its index is the order of first appearance.
      const char* name = sqlite3_bind_parameter_name(stmt, i);
      size_t n = 0;
      if (name == nullptr || name[0] != '$' ||
          std::from_chars(name + 1, name + std::char_traits<char>::length(name), n).ec !=
              std::errc() ||
          n < 1 || n > params.size()) {
        return core::Status::Internal("SQL parameter " + std::string(name ? name : "?") +
                                      " has no value (" + std::to_string(params.size()) +
                                      " given) [in: " + Excerpt(sql) + "]");
      }
      const Value::Data& v = params[n - 1].data();
      int rc = SQLITE_OK;
      if (const auto* i64 = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, i, *i64);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, i, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (const auto* b = std::get_if<Bytes>(&v)) {
        rc = sqlite3_bind_blob64(stmt, i, b->data.data(), b->data.size(), SQLITE_STATIC);
      } else {
        rc = sqlite3_bind_null(stmt, i);
      }
      if (rc != SQLITE_OK) return Error(rc, sqlite3_errmsg(db_), sql);
    }
    return core::Status::Ok();
  }

  core::Status Run(std::string_view sql, const Params& params, Rows* rows) {
    core::Result<sqlite3_stmt*> prepared = Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    sqlite3_stmt* stmt = *prepared;
    // Resets the statement whatever happens, so the cached one is ready for the next call and
    // holds no read lock.
    struct Reset {
      sqlite3_stmt* stmt;
      ~Reset() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } reset{stmt};
    GANTRY_RETURN_IF_ERROR(Bind(stmt, params, sql));
    int columns = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return core::Status::Ok();
      if (rc != SQLITE_ROW) return Error(rc, sqlite3_errmsg(db_), sql);
      if (rows == nullptr) continue;
      std::vector<Row::Cell> cells;
      cells.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            cells.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_NULL:
            cells.emplace_back(std::monostate{});
            break;
          case SQLITE_BLOB: {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
            cells.emplace_back(std::string(p != nullptr ? p : "", sqlite3_column_bytes(stmt, c)));
            break;
          }
          default: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            cells.emplace_back(std::string(p != nullptr ? p : "", sqlite3_column_bytes(stmt, c)));
          }
        }
      }
      rows->emplace_back(std::move(cells));
    }
  }

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, std::unique_ptr<SqliteConnection> writer)
      : path_(std::move(path)), writer_(std::move(writer)) {}

  Dialect dialect() const override { return Dialect::kSqlite; }

  core::Status Transact(TxMode mode,
                        const std::function<core::Status(Connection&)>& body) override {
    // An in-memory database exists only in its one connection.
    if (mode == TxMode::kWrite || path_ == ":memory:") {
      std::lock_guard<std::mutex> lock(writer_mu_);
      return RunIn(*writer_, "BEGIN IMMEDIATE", body);
    }
    core::Result<std::unique_ptr<SqliteConnection>> reader = TakeReader();
    if (!reader.ok()) return reader.status();
    core::Status st = RunIn(**reader, "BEGIN", body);
    std::lock_guard<std::mutex> lock(readers_mu_);
    readers_.push_back(std::move(*reader));
    return st;
  }

 private:
  static core::Status RunIn(SqliteConnection& conn, std::string_view begin,
                            const std::function<core::Status(Connection&)>& body) {
    core::Result<int64_t> begun = conn.Exec(begin, {});
    if (!begun.ok()) return begun.status();
    core::Status st = body(conn);
    if (st.ok()) {
      core::Result<int64_t> committed = conn.Exec("COMMIT", {});
      if (committed.ok()) return st;
      st = committed.status();
    }
    (void)conn.Exec("ROLLBACK", {});  // fails harmlessly when SQLite already rolled back
    return st;
  }

  core::Result<std::unique_ptr<SqliteConnection>> TakeReader() {
    {
      std::lock_guard<std::mutex> lock(readers_mu_);
      if (!readers_.empty()) {
        std::unique_ptr<SqliteConnection> conn = std::move(readers_.back());
        readers_.pop_back();
        return conn;
      }
    }
    // One more reader: the pool grows to the number of concurrent readers and stays there.
    return SqliteConnection::Open(path_);
  }

  std::string path_;
  std::mutex writer_mu_;
  std::unique_ptr<SqliteConnection> writer_;  // GUARDED_BY(writer_mu_)
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;  // GUARDED_BY(readers_mu_), idle
};

}  // namespace

core::Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path) {
  core::Result<std::unique_ptr<SqliteConnection>> writer = SqliteConnection::Open(path);
  if (!writer.ok()) return writer.status();
  return std::unique_ptr<Database>(std::make_unique<SqliteDatabase>(path, std::move(*writer)));
}

}  // namespace gantry::store
