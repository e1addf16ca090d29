// SqlStore: artifacts, caches, executors, patterns and the audit trail.

#include "store/sql_store.h"

namespace gantry::store {
namespace {

constexpr const char* kArtifactColumns = "id, run_id, job_id, name, path, size, sha256, created_at";

Artifact ArtifactFrom(const Row& r) {
  Artifact a;
  a.id = r.Int(0);
  a.run_id = r.Int(1);
  a.job_id = r.Int(2);
  a.name = r.Text(3);
  a.path = r.Text(4);
  a.size = r.Int(5);
  a.sha256 = r.Text(6);
  a.created_at = r.Int(7);
  return a;
}

constexpr const char* kCacheColumns = "project_id, key, version, path, size, created_at";

CacheEntry CacheFrom(const Row& r) {
  return CacheEntry{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.Int(5)};
}

constexpr const char* kExecutorColumns =
    "id, name, token_hash, labels, version, state, capacity, last_seen, created_at";

Executor ExecutorFrom(const Row& r) {
  Executor e;
  e.id = r.Int(0);
  e.name = r.Text(1);
  e.token_hash = r.Text(2);
  e.labels = r.Text(3);
  e.version = r.Text(4);
  e.state = r.Text(5);
  e.capacity = static_cast<int>(r.Int(6));
  e.last_seen = r.Int(7);
  e.created_at = r.Int(8);
  return e;
}

Pattern PatternFrom(const Row& r) { return Pattern{r.Text(0), r.Text(1), r.Text(2)}; }

AuditEvent AuditFrom(const Row& r) {
  return AuditEvent{r.Int(0), r.Int(1), r.Int(2), r.Text(3), r.Text(4), r.Text(5), r.Int(6)};
}

}  // namespace

core::Result<Artifact> SqlStore::CreateArtifact(const Artifact& artifact) {
  Artifact out = artifact;
  out.created_at = sql::OrNow(artifact.created_at);
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Row> id = sql::One(
        conn.Query(
            "INSERT INTO artifacts (run_id, job_id, name, path, size, sha256, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, name) DO UPDATE SET "
            "job_id = excluded.job_id, path = excluded.path, size = excluded.size, "
            "sha256 = excluded.sha256, created_at = excluded.created_at RETURNING id",
            {out.run_id, out.job_id, out.name, out.path, out.size, out.sha256, out.created_at}),
        "artifact");
    if (!id.ok()) return id.status();
    out.id = id->Int(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<Artifact>> SqlStore::ListArtifacts(Id run_id) {
  std::vector<Artifact> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        std::string("SELECT ") + kArtifactColumns +
                            " FROM artifacts WHERE run_id = $1 ORDER BY name",
                        {run_id}, ArtifactFrom, &out);
  }));
  return out;
}

core::Result<Artifact> SqlStore::GetArtifact(Id id) {
  Artifact out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(
        conn.Query(std::string("SELECT ") + kArtifactColumns + " FROM artifacts WHERE id = $1",
                   {id}),
        "artifact " + std::to_string(id));
    if (!row.ok()) return row.status();
    out = ArtifactFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Status SqlStore::PutCache(const CacheEntry& entry) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO caches (project_id, key, version, path, size, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, key, version) DO UPDATE "
            "SET path = excluded.path, size = excluded.size, created_at = excluded.created_at",
            {entry.project_id, entry.key, entry.version, entry.path, entry.size,
             sql::OrNow(entry.created_at)})
        .status();
  });
}

core::Result<CacheEntry> SqlStore::FindCache(Id project_id, const std::string& key,
                                             const std::vector<std::string>& restore_keys,
                                             const std::string& version) {
  CacheEntry out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Rows> exact = conn.Query(std::string("SELECT ") + kCacheColumns +
                                              " FROM caches WHERE project_id = $1 AND key = $2 "
                                              "AND version = $3",
                                          {project_id, key, version});
    if (!exact.ok()) return exact.status();
    if (!exact->empty()) {
      out = CacheFrom(exact->front());
      return core::Status::Ok();
    }
    // A prefix test both dialects evaluate alike (LIKE is case-insensitive in SQLite and
    // would need its wildcards escaped).
    for (const std::string& prefix : restore_keys) {
      core::Result<Rows> rows = conn.Query(
          std::string("SELECT ") + kCacheColumns +
              " FROM caches WHERE project_id = $1 AND version = $2 AND "
              "substr(key, 1, length($3)) = $3 ORDER BY created_at DESC, key DESC LIMIT 1",
          {project_id, version, prefix});
      if (!rows.ok()) return rows.status();
      if (!rows->empty()) {
        out = CacheFrom(rows->front());
        return core::Status::Ok();
      }
    }
    return core::Status::NotFound("no cache entry for key " + key);
  }));
  return out;
}

core::Result<Executor> SqlStore::CreateExecutor(const Executor& executor) {
  Executor out = executor;
  out.created_at = sql::OrNow(executor.created_at);
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Row> id = sql::One(
        conn.Query("INSERT INTO executors (name, token_hash, labels, version, state, capacity, "
                   "last_seen, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                   {out.name, out.token_hash, out.labels, out.version, out.state, out.capacity,
                    out.last_seen, out.created_at}),
        "executor");
    if (!id.ok()) return id.status();
    out.id = id->Int(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<Executor> SqlStore::FindExecutorByTokenHash(const std::string& hash) {
  Executor out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(conn.Query(std::string("SELECT ") + kExecutorColumns +
                                                    " FROM executors WHERE token_hash = $1",
                                                {hash}),
                                     "executor");
    if (!row.ok()) return row.status();
    out = ExecutorFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<Executor>> SqlStore::ListExecutors() {
  std::vector<Executor> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        std::string("SELECT ") + kExecutorColumns + " FROM executors ORDER BY id",
                        {}, ExecutorFrom, &out);
  }));
  return out;
}

core::Status SqlStore::UpdateExecutor(const Executor& executor) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("UPDATE executors SET name = $2, token_hash = $3, labels = $4, version = $5, "
                  "state = $6, capacity = $7, last_seen = $8 WHERE id = $1",
                  {executor.id, executor.name, executor.token_hash, executor.labels,
                   executor.version, executor.state, executor.capacity, executor.last_seen}),
        "executor " + std::to_string(executor.id));
  });
}

core::Status SqlStore::DeleteExecutor(Id id) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("DELETE FROM executors WHERE id = $1", {id}),
                         "executor " + std::to_string(id));
  });
}

core::Result<RegistrationToken> SqlStore::CreateRegistrationToken(const RegistrationToken& token) {
  RegistrationToken out = token;
  out.created_at = sql::OrNow(token.created_at);
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Row> id = sql::One(
        conn.Query("INSERT INTO registration_tokens (token_hash, created_by, uses_left, "
                   "expires_at, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                   {out.token_hash, out.created_by, out.uses_left, out.expires_at, out.created_at}),
        "registration token");
    if (!id.ok()) return id.status();
    out.id = id->Int(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Status SqlStore::UseRegistrationToken(const std::string& hash, int64_t now) {
  return Write([&](Connection& conn) -> core::Status {
    core::Result<Row> row = sql::One(
        conn.Query("SELECT uses_left, expires_at FROM registration_tokens WHERE token_hash = $1",
                   {hash}),
        "registration token");
    if (!row.ok()) return row.status();
    if (row->Int(1) <= now) {
      return core::Status::PermissionDenied("the registration token expired");
    }
    if (row->Int(0) <= 0) {
      return core::Status::PermissionDenied("the registration token was used up");
    }
    return sql::Affected(conn.Exec("UPDATE registration_tokens SET uses_left = uses_left - 1 "
                                   "WHERE token_hash = $1 AND uses_left > 0",
                                   {hash}),
                         "registration token");
  });
}

core::Result<std::vector<Pattern>> SqlStore::ListPatterns() {
  std::vector<Pattern> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn, "SELECT name, description, workflow FROM patterns ORDER BY name", {},
                        PatternFrom, &out);
  }));
  return out;
}

core::Result<Pattern> SqlStore::GetPattern(const std::string& name) {
  Pattern out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(
        conn.Query("SELECT name, description, workflow FROM patterns WHERE name = $1", {name}),
        "pattern '" + name + "'");
    if (!row.ok()) return row.status();
    out = PatternFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Status SqlStore::Audit(const AuditEvent& event) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO audit_events (user_id, project_id, action, target, details, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            {event.user_id, event.project_id, event.action, event.target, event.details,
             sql::OrNow(event.created_at)})
        .status();
  });
}

core::Result<std::vector<AuditEvent>> SqlStore::ListAudit(Id project_id, int limit) {
  std::vector<AuditEvent> out;
  const int64_t n = limit > 0 ? limit : 100;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    const std::string columns =
        "SELECT id, user_id, project_id, action, target, details, created_at FROM audit_events";
    if (project_id == 0) {
      return sql::Collect(conn, columns + " ORDER BY id DESC LIMIT $1", {n}, AuditFrom, &out);
    }
    return sql::Collect(conn, columns + " WHERE project_id = $1 ORDER BY id DESC LIMIT $2",
                        {project_id, n}, AuditFrom, &out);
  }));
  return out;
}

}  // namespace gantry::store
