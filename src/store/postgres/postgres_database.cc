// The PostgreSQL driver: a small pool of libpq connections; statements go through
// PQexecParams with text parameters (integers typed int8, bytes as bytea hex).

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/postgres/libpq.h"

namespace gantry::store {
namespace {

using postgres::LibPq;

// Type OIDs of pg_type.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kOidOid = 26;

constexpr int kMaxAttempts = 5;

std::string Excerpt(std::string_view sql) {
  std::string s(sql.substr(0, 120));
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return sql.size() > 120 ? s + "…" : s;
}

std::string TrimEnd(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string HexEncode(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

// bytea in the server's default output format (hex, "\x0a1b...").
std::string HexDecode(const char* text, int length) {
  std::string out;
  if (length < 2 || text[0] != '\\' || text[1] != 'x') return std::string(text, length);
  out.reserve((length - 2) / 2);
  for (int i = 2; i + 1 < length; i += 2) {
    out += static_cast<char>(HexDigit(text[i]) * 16 + HexDigit(text[i + 1]));
  }
  return out;
}

void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

class PgConnection final : public Connection {
 public:
  PgConnection(const LibPq& pq, PGconn* conn) : pq_(pq), conn_(conn) {}
  ~PgConnection() override { pq_.finish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  static core::Result<std::unique_ptr<PgConnection>> Open(const LibPq& pq, const std::string& url) {
    auto conn = std::make_unique<PgConnection>(pq, pq.connectdb(url.c_str()));
    if (conn->conn_ == nullptr || pq.status(conn->conn_) != CONNECTION_OK) {
      std::string why = conn->conn_ != nullptr ? TrimEnd(pq.error_message(conn->conn_)) : "?";
      return core::Status::Unavailable("cannot connect to PostgreSQL: " + why);
    }
    // CREATE TABLE IF NOT EXISTS and friends send notices libpq would print on stderr.
    pq.set_notice_processor(conn->conn_, IgnoreNotice, nullptr);
    return conn;
  }

  bool healthy() const { return pq_.status(conn_) == CONNECTION_OK; }
  bool in_transaction() const { return pq_.transaction_status(conn_) != PQTRANS_IDLE; }
  /// Whether the last error was a serialization failure or deadlock (the transaction may be
  /// retried) or a lost connection.
  bool retryable() const { return retryable_; }
  void clear_retryable() { retryable_ = false; }

  core::Result<Rows> Query(std::string_view sql, const Params& params) override {
    Rows rows;
    core::Result<int64_t> n = Run(sql, params, &rows);
    if (!n.ok()) return n.status();
    return rows;
  }

  core::Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    return Run(sql, params, nullptr);
  }

  core::Status ExecScript(const std::string& sql) override {
    Result result(pq_, pq_.exec(conn_, sql.c_str()));
    return Check(result.get(), sql);
  }

 private:
  // Owns a PGresult.
  class Result {
   public:
    Result(const LibPq& pq, PGresult* r) : pq_(pq), r_(r) {}
    ~Result() {
      if (r_ != nullptr) pq_.clear(r_);
    }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    PGresult* get() const { return r_; }

   private:
    const LibPq& pq_;
    PGresult* r_;
  };

  core::Status Check(PGresult* r, std::string_view sql) {
    ExecStatusType st = r != nullptr ? pq_.result_status(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
      return core::Status::Ok();
    }
    std::string message = TrimEnd(r != nullptr ? pq_.result_error_message(r)
                                               : pq_.error_message(conn_));
    const char* code = r != nullptr ? pq_.result_error_field(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = code != nullptr ? code : "";
    std::string text = "PostgreSQL: " + message + " [in: " + Excerpt(sql) + "]";
    if (sqlstate == "23505") return core::Status::AlreadyExists(text);
    if (sqlstate == "40001" || sqlstate == "40P01") {
      retryable_ = true;
      return core::Status::Unavailable(text);
    }
    if (!healthy() || sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01") {
      retryable_ = true;
      return core::Status::Unavailable(text);
    }
    return core::Status::Internal(text);
  }

  core::Result<int64_t> Run(std::string_view sql, const Params& params, Rows* rows) {
    std::vector<Oid> types(params.size(), 0);
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value::Data& v = params[i].data();
      if (const auto* i64 = std::get_if<int64_t>(&v)) {
        types[i] = kInt8Oid;
        texts[i] = std::to_string(*i64);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        types[i] = kTextOid;
        texts[i] = *s;
      } else if (const auto* b = std::get_if<Bytes>(&v)) {
        types[i] = kByteaOid;
        texts[i] = HexEncode(b->data);
      } else {
        continue;  // NULL: type left for the server to infer
      }
      values[i] = texts[i].c_str();
    }
    std::string statement(sql);
    Result result(pq_, pq_.exec_params(conn_, statement.c_str(), static_cast<int>(params.size()),
                                       types.data(), values.data(), nullptr, nullptr, 0));
    GANTRY_RETURN_IF_ERROR(Check(result.get(), sql));
    PGresult* r = result.get();
    if (rows != nullptr && pq_.result_status(r) == PGRES_TUPLES_OK) {
      int n = pq_.ntuples(r);
      int columns = pq_.nfields(r);
      rows->reserve(n);
      for (int row = 0; row < n; ++row) {
        std::vector<Row::Cell> cells;
        cells.reserve(columns);
        for (int c = 0; c < columns; ++c) {
          if (pq_.getisnull(r, row, c) != 0) {
            cells.emplace_back(std::monostate{});
            continue;
          }
          const char* text = pq_.getvalue(r, row, c);
          int length = pq_.getlength(r, row, c);
          switch (pq_.ftype(r, c)) {
            case kInt8Oid:
            case kInt4Oid:
            case kInt2Oid:
            case kOidOid:
              cells.emplace_back(static_cast<int64_t>(std::strtoll(text, nullptr, 10)));
              break;
            case kBoolOid:
              cells.emplace_back(static_cast<int64_t>(text[0] == 't' ? 1 : 0));
              break;
            case kByteaOid:
              cells.emplace_back(HexDecode(text, length));
              break;
            default:
              cells.emplace_back(std::string(text, length));
          }
        }
        rows->emplace_back(std::move(cells));
      }
    }
    const char* affected = pq_.cmd_tuples(r);
    return static_cast<int64_t>(affected != nullptr ? std::strtoll(affected, nullptr, 10) : 0);
  }

  const LibPq& pq_;
  PGconn* conn_;
  bool retryable_ = false;
};

class PgDatabase final : public Database {
 public:
  PgDatabase(const LibPq& pq, std::string url, int pool_size)
      : pq_(pq), url_(std::move(url)), pool_size_(pool_size) {}

  Dialect dialect() const override { return Dialect::kPostgres; }

  /// Returns an idle or new connection to the pool (dropping a broken one).
  void Release(std::unique_ptr<PgConnection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn->healthy() && !conn->in_transaction()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    cv_.notify_one();
  }

  core::Result<std::unique_ptr<PgConnection>> Acquire() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < pool_size_; });
      if (!idle_.empty()) {
        std::unique_ptr<PgConnection> conn = std::move(idle_.back());
        idle_.pop_back();
        return conn;
      }
      ++open_;  // reserved; connecting happens outside the lock
    }
    core::Result<std::unique_ptr<PgConnection>> conn = PgConnection::Open(pq_, url_);
    if (!conn.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
      cv_.notify_one();
    }
    return conn;
  }

  core::Status Transact(TxMode mode,
                        const std::function<core::Status(Connection&)>& body) override {
    core::Status st;
    for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
      core::Result<std::unique_ptr<PgConnection>> acquired = Acquire();
      if (!acquired.ok()) return acquired.status();
      std::unique_ptr<PgConnection> conn = std::move(*acquired);
      conn->clear_retryable();
      bool committing = false;
      st = RunIn(*conn, mode, body, &committing);
      // A commit whose answer was lost may have happened: never run the body twice then.
      bool retry = !st.ok() && conn->retryable() && !committing;
      Release(std::move(conn));
      if (!retry) return st;
      std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt));
    }
    return st;
  }

 private:
  static core::Status RunIn(PgConnection& conn, TxMode mode,
                            const std::function<core::Status(Connection&)>& body,
                            bool* committing) {
    core::Result<int64_t> begun =
        conn.Exec(mode == TxMode::kRead ? "BEGIN READ ONLY" : "BEGIN", {});
    if (!begun.ok()) return begun.status();
    core::Status st = body(conn);
    if (st.ok()) {
      *committing = true;
      core::Result<int64_t> committed = conn.Exec("COMMIT", {});
      if (committed.ok()) return st;
      st = committed.status();
    }
    if (conn.in_transaction()) (void)conn.Exec("ROLLBACK", {});
    return st;
  }

  const LibPq& pq_;
  std::string url_;
  int pool_size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                                     // GUARDED_BY(mu_): idle + in use
};

}  // namespace

core::Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, int pool_size) {
  core::Result<const LibPq*> pq = postgres::LoadLibPq();
  if (!pq.ok()) return pq.status();
  auto db = std::make_unique<PgDatabase>(**pq, url, pool_size < 1 ? 1 : pool_size);
  core::Result<std::unique_ptr<PgConnection>> first = db->Acquire();
  if (!first.ok()) return first.status();
  db->Release(std::move(*first));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace gantry::store
