#pragma once

// A small SQL driver interface under the Store: one implementation per database (sqlite/,
// postgres/). SQL uses positional parameters $1, $2 ... in both dialects; results are
// materialised rows with typed access (int64, text, blob, null).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace gantry::store {

enum class Dialect { kSqlite, kPostgres };

/// Bytes bound as a BLOB (SQLite) or bytea (PostgreSQL) rather than as text.
struct Bytes {
  std::string data;
};

/// One parameter value: NULL, an integer, text or bytes. Implicit from the usual C++ types so
/// that parameter lists read `{id, name, 0}`.
class Value {
 public:
  using Data = std::variant<std::monostate, int64_t, std::string, Bytes>;

  Value() = default;
  Value(std::nullptr_t) {}                                   // NOLINT(google-explicit-constructor)
  Value(int v) : data_(int64_t{v}) {}                        // NOLINT(google-explicit-constructor)
  Value(int64_t v) : data_(v) {}                             // NOLINT(google-explicit-constructor)
  Value(bool v) : data_(int64_t{v ? 1 : 0}) {}               // NOLINT(google-explicit-constructor)
  Value(std::string v) : data_(std::move(v)) {}              // NOLINT(google-explicit-constructor)
  Value(std::string_view v) : data_(std::string(v)) {}       // NOLINT(google-explicit-constructor)
  Value(const char* v) : data_(std::string(v)) {}            // NOLINT(google-explicit-constructor)
  Value(Bytes v) : data_(std::move(v)) {}                    // NOLINT(google-explicit-constructor)
  Value(const std::vector<uint8_t>& v)                       // NOLINT(google-explicit-constructor)
      : data_(Bytes{std::string(v.begin(), v.end())}) {}

  const Data& data() const { return data_; }

 private:
  Data data_;
};

using Params = std::vector<Value>;

/// One result row. Cells hold NULL, an integer or a string of bytes (text and blobs alike);
/// the getters convert between integer and text. Asking for a column the query did not select
/// is a bug and aborts.
class Row {
 public:
  using Cell = std::variant<std::monostate, int64_t, std::string>;

  explicit Row(std::vector<Cell> cells) : cells_(std::move(cells)) {}

  size_t size() const { return cells_.size(); }
  bool IsNull(size_t col) const;
  /// 0 for NULL; text is parsed as a decimal integer (0 when it is not one).
  int64_t Int(size_t col) const;
  /// "" for NULL.
  std::string Text(size_t col) const;
  std::vector<uint8_t> Blob(size_t col) const;

 private:
  const Cell& At(size_t col) const;
  std::vector<Cell> cells_;
};

using Rows = std::vector<Row>;

/// A connection inside a transaction (Database::Transact). Not thread-safe: it belongs to the
/// body that received it. Errors carry the database's message; a unique-constraint violation
/// is AlreadyExists, a lost connection or lock timeout Unavailable, anything else Internal.
class Connection {
 public:
  virtual ~Connection() = default;

  /// Runs one statement and returns its rows (none for statements without results).
  virtual core::Result<Rows> Query(std::string_view sql, const Params& params) = 0;
  /// Runs one statement; returns the number of rows it inserted, updated or deleted.
  virtual core::Result<int64_t> Exec(std::string_view sql, const Params& params) = 0;
  /// Runs a script of several statements without parameters (migrations).
  virtual core::Status ExecScript(const std::string& sql) = 0;
};

enum class TxMode {
  kRead,   // reads only (SQLite: a read connection, in parallel with the writer)
  kWrite,  // may write (SQLite: BEGIN IMMEDIATE on the one writer connection)
};

/// A database: a pool of connections. Thread-safe.
class Database {
 public:
  virtual ~Database() = default;

  virtual Dialect dialect() const = 0;
  /// Runs `body` in one transaction: commits when it returns OK, rolls back otherwise and
  /// returns its error. PostgreSQL retries the whole body a few times on serialization
  /// failures and deadlocks, so `body` must not have effects outside the database.
  virtual core::Status Transact(TxMode mode, const std::function<core::Status(Connection&)>& body) = 0;
};

/// Opens a SQLite database file (created when missing) in WAL mode with foreign keys on.
core::Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path);

/// Opens a PostgreSQL database (libpq connection string or postgres:// URL). libpq is loaded
/// on first use (Unavailable when it is not installed); connections are made lazily, at most
/// `pool_size` at a time. The first connection is made here so a wrong URL fails early.
core::Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, int pool_size = 4);

}  // namespace gantry::store
