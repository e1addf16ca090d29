// SqlStore: projects, members, secrets, variables and webhook deliveries.

#include "store/sql_store.h"

namespace gantry::store {
namespace {

constexpr const char* kProjectColumns =
    "id, owner, name, repository, default_branch, webhook_secret, poll_interval_seconds, "
    "last_polled_sha, created_at";

Project ProjectFrom(const Row& r) {
  Project p;
  p.id = r.Int(0);
  p.owner = r.Text(1);
  p.name = r.Text(2);
  p.repository = r.Text(3);
  p.default_branch = r.Text(4);
  p.webhook_secret = r.Blob(5);
  p.poll_interval_seconds = static_cast<int>(r.Int(6));
  p.last_polled_sha = r.Text(7);
  p.created_at = r.Int(8);
  return p;
}

std::string ProjectName(Id id) { return "project " + std::to_string(id); }

}  // namespace

core::Result<Project> SqlStore::CreateProject(const Project& project, Id creator) {
  Project out = project;
  out.created_at = sql::OrNow(project.created_at);
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Row> id = sql::One(
        conn.Query("INSERT INTO projects (owner, name, repository, default_branch, "
                   "webhook_secret, poll_interval_seconds, last_polled_sha, created_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                   {out.owner, out.name, out.repository, out.default_branch, out.webhook_secret,
                    out.poll_interval_seconds, out.last_polled_sha, out.created_at}),
        "project");
    if (!id.ok()) {
      if (id.status().code() == core::StatusCode::kAlreadyExists) {
        return core::Status::AlreadyExists("the project " + project.owner + "/" + project.name +
                                           " exists");
      }
      return id.status();
    }
    out.id = id->Int(0);
    if (creator == 0) return core::Status::Ok();
    return conn
        .Exec("INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, 'owner')",
              {out.id, creator})
        .status();
  }));
  return out;
}

core::Result<Project> SqlStore::GetProject(Id id) {
  Project out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(
        conn.Query(std::string("SELECT ") + kProjectColumns + " FROM projects WHERE id = $1", {id}),
        ProjectName(id));
    if (!row.ok()) return row.status();
    out = ProjectFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<Project> SqlStore::GetProjectByName(const std::string& owner,
                                                 const std::string& name) {
  Project out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(conn.Query(std::string("SELECT ") + kProjectColumns +
                                                    " FROM projects WHERE owner = $1 AND name = $2",
                                                {owner, name}),
                                     "project " + owner + "/" + name);
    if (!row.ok()) return row.status();
    out = ProjectFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<Project>> SqlStore::ListProjects(Id user_id, bool all) {
  std::vector<Project> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    if (all) {
      return sql::Collect(
          conn, std::string("SELECT ") + kProjectColumns + " FROM projects ORDER BY owner, name",
          {}, ProjectFrom, &out);
    }
    return sql::Collect(conn,
                        std::string("SELECT ") + kProjectColumns +
                            " FROM projects WHERE id IN (SELECT project_id FROM members WHERE "
                            "user_id = $1) ORDER BY owner, name",
                        {user_id}, ProjectFrom, &out);
  }));
  return out;
}

core::Status SqlStore::UpdateProjectPoll(Id project_id, const std::string& last_polled) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("UPDATE projects SET last_polled_sha = $2 WHERE id = $1",
                                   {project_id, last_polled}),
                         ProjectName(project_id));
  });
}

core::Status SqlStore::UpdateProject(const Project& p) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("UPDATE projects SET repository = $2, default_branch = $3, webhook_secret = $4, "
                  "poll_interval_seconds = $5, last_polled_sha = $6 WHERE id = $1",
                  {p.id, p.repository, p.default_branch, p.webhook_secret,
                   static_cast<int64_t>(p.poll_interval_seconds), p.last_polled_sha}),
        ProjectName(p.id));
  });
}

core::Status SqlStore::DeleteProject(Id project_id) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("DELETE FROM projects WHERE id = $1", {project_id}),
                         ProjectName(project_id));
  });
}

core::Result<std::string> SqlStore::MemberRole(Id project_id, Id user_id) {
  std::string role;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Rows> rows = conn.Query(
        "SELECT role FROM members WHERE project_id = $1 AND user_id = $2", {project_id, user_id});
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) role = rows->front().Text(0);
    return core::Status::Ok();
  }));
  return role;
}

core::Status SqlStore::PutMember(Id project_id, Id user_id, const std::string& role) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, $3) "
            "ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
            {project_id, user_id, role})
        .status();
  });
}

core::Status SqlStore::DeleteMember(Id project_id, Id user_id) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("DELETE FROM members WHERE project_id = $1 AND user_id = $2",
                                   {project_id, user_id}),
                         "member " + std::to_string(user_id) + " of " + ProjectName(project_id));
  });
}

core::Result<std::vector<Member>> SqlStore::ListMembers(Id project_id) {
  std::vector<Member> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT m.project_id, m.user_id, u.username, m.role FROM members m "
        "JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY u.username",
        {project_id},
        [](const Row& r) {
          return Member{r.Int(0), r.Int(1), r.Text(2), r.Text(3)};
        },
        &out);
  }));
  return out;
}

core::Status SqlStore::PutSecret(Id project_id, const Secret& secret) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO secrets (project_id, name, ciphertext, updated_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, name) DO UPDATE SET "
            "ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
            {project_id, secret.name, secret.ciphertext, sql::OrNow(secret.updated_at)})
        .status();
  });
}

core::Status SqlStore::DeleteSecret(Id project_id, const std::string& name) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("DELETE FROM secrets WHERE project_id = $1 AND name = $2", {project_id, name}),
        "secret " + name);
  });
}

core::Result<std::vector<Secret>> SqlStore::ListSecrets(Id project_id) {
  std::vector<Secret> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT name, ciphertext, updated_at FROM secrets WHERE project_id = $1 ORDER BY name",
        {project_id},
        [](const Row& r) {
          return Secret{r.Text(0), r.Blob(1), r.Int(2)};
        },
        &out);
  }));
  return out;
}

core::Status SqlStore::PutVariable(Id project_id, const Variable& variable) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO variables (project_id, name, value, updated_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, name) DO UPDATE SET "
            "value = excluded.value, updated_at = excluded.updated_at",
            {project_id, variable.name, variable.value, sql::OrNow(variable.updated_at)})
        .status();
  });
}

core::Status SqlStore::DeleteVariable(Id project_id, const std::string& name) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("DELETE FROM variables WHERE project_id = $1 AND name = $2", {project_id, name}),
        "variable " + name);
  });
}

core::Result<std::vector<Variable>> SqlStore::ListVariables(Id project_id) {
  std::vector<Variable> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn, "SELECT name, value, updated_at FROM variables WHERE project_id = $1 ORDER BY name",
        {project_id},
        [](const Row& r) {
          return Variable{r.Text(0), r.Text(1), r.Int(2)};
        },
        &out);
  }));
  return out;
}

core::Status SqlStore::RecordDelivery(Id project_id, const std::string& delivery_id, int64_t now) {
  return Write([&](Connection& conn) {
    core::Result<int64_t> inserted = conn.Exec(
        "INSERT INTO deliveries (project_id, delivery_id, received_at) "
        "VALUES ($1, $2, $3) ON CONFLICT (project_id, delivery_id) DO NOTHING",
        {project_id, delivery_id, now});
    if (!inserted.ok()) return inserted.status();
    if (*inserted == 0) {
      return core::Status::AlreadyExists("delivery " + delivery_id + " was already received");
    }
    return core::Status::Ok();
  });
}

}  // namespace gantry::store
