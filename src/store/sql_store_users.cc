// SqlStore: the shared helpers, users and tokens.

#include <chrono>

#include "store/migrations.h"
#include "store/sql_store.h"

namespace gantry::store {
namespace sql {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::Result<Row> One(core::Result<Rows> rows, const std::string& what) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return core::Status::NotFound(what + " not found");
  return std::move(rows->front());
}

core::Status Affected(const core::Result<int64_t>& affected, const std::string& what) {
  if (!affected.ok()) return affected.status();
  if (*affected == 0) return core::Status::NotFound(what + " not found");
  return core::Status::Ok();
}

}  // namespace sql

namespace {

constexpr const char* kUserColumns = "id, username, email, password_hash, is_admin, created_at";

User UserFrom(const Row& r) {
  User u;
  u.id = r.Int(0);
  u.username = r.Text(1);
  u.email = r.Text(2);
  u.password_hash = r.Text(3);
  u.is_admin = r.Int(4) != 0;
  u.created_at = r.Int(5);
  return u;
}

constexpr const char* kTokenColumns =
    "id, user_id, kind, name, hash, scopes, expires_at, created_at, last_used_at";

Token TokenFrom(const Row& r) {
  Token t;
  t.id = r.Int(0);
  t.user_id = r.Int(1);
  t.kind = r.Text(2);
  t.name = r.Text(3);
  t.hash = r.Text(4);
  t.scopes = r.Text(5);
  t.expires_at = r.Int(6);
  t.created_at = r.Int(7);
  t.last_used_at = r.Int(8);
  return t;
}

}  // namespace

std::string SqlStore::Dialect() const { return postgres() ? "postgres" : "sqlite"; }

core::Result<int> SqlStore::SchemaVersion() { return store::SchemaVersion(*db_); }

core::Status SqlStore::Ping() {
  return Read([](Connection& conn) { return conn.Query("SELECT 1", {}).status(); });
}

core::Result<User> SqlStore::CreateUser(const User& user) {
  User out = user;
  out.created_at = sql::OrNow(user.created_at);
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    // The first user administers the server (there is nobody else to grant it).
    core::Result<Rows> any = conn.Query("SELECT 1 FROM users LIMIT 1", {});
    if (!any.ok()) return any.status();
    out.is_admin = user.is_admin || any->empty();
    core::Result<Row> id = sql::One(
        conn.Query("INSERT INTO users (username, email, password_hash, is_admin, created_at) "
                   "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                   {out.username, out.email, out.password_hash, out.is_admin, out.created_at}),
        "user");
    if (!id.ok()) {
      if (id.status().code() == core::StatusCode::kAlreadyExists) {
        return core::Status::AlreadyExists("the username '" + user.username + "' is taken");
      }
      return id.status();
    }
    out.id = id->Int(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<User> SqlStore::GetUser(Id id) {
  User out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(
        conn.Query(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = $1", {id}),
        "user " + std::to_string(id));
    if (!row.ok()) return row.status();
    out = UserFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<User> SqlStore::GetUserByName(const std::string& username) {
  User out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(
        conn.Query(std::string("SELECT ") + kUserColumns + " FROM users WHERE username = $1",
                   {username}),
        "user '" + username + "'");
    if (!row.ok()) return row.status();
    out = UserFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<int64_t> SqlStore::CountUsers() {
  int64_t count = 0;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(conn.Query("SELECT COUNT(*) FROM users", {}), "count");
    if (!row.ok()) return row.status();
    count = row->Int(0);
    return core::Status::Ok();
  }));
  return count;
}

core::Result<Token> SqlStore::CreateToken(const Token& token) {
  Token out = token;
  out.created_at = sql::OrNow(token.created_at);
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Row> id = sql::One(
        conn.Query("INSERT INTO tokens (user_id, kind, name, hash, scopes, expires_at, "
                   "created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                   "RETURNING id",
                   {out.user_id, out.kind, out.name, out.hash, out.scopes, out.expires_at,
                    out.created_at, out.last_used_at}),
        "token");
    if (!id.ok()) return id.status();
    out.id = id->Int(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<Token> SqlStore::FindToken(const std::string& hash, int64_t now) {
  Token out;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Row> row = sql::One(
        conn.Query(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE hash = $1",
                   {hash}),
        "token");
    if (!row.ok()) return row.status();
    out = TokenFrom(*row);
    if (out.expires_at != 0 && out.expires_at <= now) {
      return core::Status::NotFound("token expired");
    }
    out.last_used_at = now;
    return conn.Exec("UPDATE tokens SET last_used_at = $2 WHERE id = $1", {out.id, now}).status();
  }));
  return out;
}

core::Result<std::vector<Token>> SqlStore::ListTokens(Id user_id, const std::string& kind) {
  std::vector<Token> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    if (kind.empty()) {
      return sql::Collect(
          conn, std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE user_id = $1 "
                "ORDER BY id", {user_id}, TokenFrom, &out);
    }
    return sql::Collect(conn,
                        std::string("SELECT ") + kTokenColumns +
                            " FROM tokens WHERE user_id = $1 AND kind = $2 ORDER BY id",
                        {user_id, kind}, TokenFrom, &out);
  }));
  return out;
}

core::Status SqlStore::DeleteToken(Id user_id, Id token_id) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("DELETE FROM tokens WHERE id = $1 AND user_id = $2", {token_id, user_id}),
        "token " + std::to_string(token_id));
  });
}

core::Status SqlStore::DeleteTokenByHash(const std::string& hash) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("DELETE FROM tokens WHERE hash = $1", {hash}), "token");
  });
}

}  // namespace gantry::store
