// Environments, their secrets and variables, the jobs they gate and reviewers' decisions
// (store.h, "Environments").

#include <nlohmann/json.hpp>

#include "store/sql_store.h"

namespace gantry::store {
namespace {

// reviewers and branches are stored as JSON arrays of strings; anything else reads as none.
std::vector<std::string> ListFrom(const std::string& text) {
  std::vector<std::string> out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const nlohmann::json& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

constexpr const char* kEnvColumns = "name, reviewers, wait_timer, branches, created_at, updated_at";

Environment EnvFrom(const Row& r) {
  return Environment{r.Text(0), ListFrom(r.Text(1)), r.Int(2), ListFrom(r.Text(3)), r.Int(4),
                     r.Int(5)};
}

constexpr const char* kJobEnvColumns =
    "job_id, run_id, environment, url, state, needs_review, not_before, requested_at";

JobEnvironment JobEnvFrom(const Row& r) {
  JobEnvironment je;
  je.job_id = r.Int(0);
  je.run_id = r.Int(1);
  je.environment = r.Text(2);
  je.url = r.Text(3);
  je.state = r.Text(4);
  je.needs_review = r.Int(5) != 0;
  je.not_before = r.Int(6);
  je.requested_at = r.Int(7);
  return je;
}

}  // namespace

core::Result<std::vector<Environment>> SqlStore::ListEnvironments(Id project_id) {
  std::vector<Environment> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        std::string("SELECT ") + kEnvColumns +
                            " FROM environments WHERE project_id = $1 ORDER BY name",
                        {project_id}, EnvFrom, &out);
  }));
  return out;
}

core::Result<Environment> SqlStore::GetEnvironment(Id project_id, const std::string& name) {
  core::Result<Environment> out = core::Status::NotFound("no environment " + name);
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row =
        sql::One(conn.Query(std::string("SELECT ") + kEnvColumns +
                                " FROM environments WHERE project_id = $1 AND LOWER(name) = "
                                "LOWER($2)",
                            {project_id, name}),
                 "environment " + name);
    if (!row.ok()) return row.status();
    out = EnvFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Status SqlStore::PutEnvironment(Id project_id, const Environment& env) {
  const int64_t now = sql::NowMs();
  return Write([&](Connection& conn) {
    // An existing environment keeps the spelling of its name.
    core::Result<Rows> existing = conn.Query(
        "SELECT name FROM environments WHERE project_id = $1 AND LOWER(name) = LOWER($2)",
        {project_id, env.name});
    if (!existing.ok()) return existing.status();
    const std::string name = existing->empty() ? env.name : (*existing)[0].Text(0);
    return conn
        .Exec(
            "INSERT INTO environments (project_id, name, reviewers, wait_timer, branches, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT "
            "(project_id, name) DO UPDATE SET reviewers = excluded.reviewers, wait_timer = "
            "excluded.wait_timer, branches = excluded.branches, updated_at = excluded.updated_at",
            {project_id, name, nlohmann::json(env.reviewers).dump(), env.wait_timer,
             nlohmann::json(env.branches).dump(), env.created_at != 0 ? env.created_at : now,
             env.updated_at != 0 ? env.updated_at : now})
        .status();
  });
}

core::Result<Environment> SqlStore::EnsureEnvironment(Id project_id, const std::string& name) {
  auto found = GetEnvironment(project_id, name);
  if (found.ok() || found.status().code() != core::StatusCode::kNotFound) return found;
  const int64_t now = sql::NowMs();
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO environments (project_id, name, created_at, updated_at) VALUES ($1, $2, "
            "$3, $3) ON CONFLICT (project_id, name) DO NOTHING",
            {project_id, name, now})
        .status();
  }));
  return GetEnvironment(project_id, name);
}

core::Status SqlStore::DeleteEnvironment(Id project_id, const std::string& name) {
  return Write([&](Connection& conn) {
    for (const char* table : {"environment_secrets", "environment_variables"}) {
      auto done = conn.Exec(std::string("DELETE FROM ") + table +
                                " WHERE project_id = $1 AND LOWER(environment) = LOWER($2)",
                            {project_id, name});
      if (!done.ok()) return done.status();
    }
    return sql::Affected(conn.Exec("DELETE FROM environments WHERE project_id = $1 AND "
                                   "LOWER(name) = LOWER($2)",
                                   {project_id, name}),
                         "environment " + name);
  });
}

core::Status SqlStore::PutEnvironmentSecret(Id project_id, const std::string& env,
                                            const Secret& secret) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO environment_secrets (project_id, environment, name, ciphertext, "
            "updated_at) VALUES ($1, LOWER($2), $3, $4, $5) ON CONFLICT (project_id, "
            "environment, name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = "
            "excluded.updated_at",
            {project_id, env, secret.name, secret.ciphertext, sql::OrNow(secret.updated_at)})
        .status();
  });
}

core::Status SqlStore::DeleteEnvironmentSecret(Id project_id, const std::string& env,
                                               const std::string& name) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("DELETE FROM environment_secrets WHERE project_id = $1 AND "
                                   "environment = LOWER($2) AND name = $3",
                                   {project_id, env, name}),
                         "secret " + name + " of environment " + env);
  });
}

core::Result<std::vector<Secret>> SqlStore::ListEnvironmentSecrets(Id project_id,
                                                                   const std::string& env) {
  std::vector<Secret> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT name, ciphertext, updated_at FROM environment_secrets WHERE project_id = $1 AND "
        "environment = LOWER($2) ORDER BY name",
        {project_id, env},
        [](const Row& r) {
          return Secret{r.Text(0), r.Blob(1), r.Int(2)};
        },
        &out);
  }));
  return out;
}

core::Status SqlStore::PutEnvironmentVariable(Id project_id, const std::string& env,
                                              const Variable& variable) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO environment_variables (project_id, environment, name, value, "
            "updated_at) VALUES ($1, LOWER($2), $3, $4, $5) ON CONFLICT (project_id, "
            "environment, name) DO UPDATE SET value = excluded.value, updated_at = "
            "excluded.updated_at",
            {project_id, env, variable.name, variable.value, sql::OrNow(variable.updated_at)})
        .status();
  });
}

core::Status SqlStore::DeleteEnvironmentVariable(Id project_id, const std::string& env,
                                                 const std::string& name) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("DELETE FROM environment_variables WHERE project_id = $1 AND "
                                   "environment = LOWER($2) AND name = $3",
                                   {project_id, env, name}),
                         "variable " + name + " of environment " + env);
  });
}

core::Result<std::vector<Variable>> SqlStore::ListEnvironmentVariables(Id project_id,
                                                                       const std::string& env) {
  std::vector<Variable> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT name, value, updated_at FROM environment_variables WHERE project_id = $1 AND "
        "environment = LOWER($2) ORDER BY name",
        {project_id, env},
        [](const Row& r) {
          return Variable{r.Text(0), r.Text(1), r.Int(2)};
        },
        &out);
  }));
  return out;
}

core::Status SqlStore::PutJobEnvironment(const JobEnvironment& je) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO job_environments (job_id, run_id, environment, url, state, "
            "needs_review, not_before, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (job_id) DO NOTHING",
            {je.job_id, je.run_id, je.environment, je.url, je.state, je.needs_review, je.not_before,
             sql::OrNow(je.requested_at)})
        .status();
  });
}

core::Result<JobEnvironment> SqlStore::GetJobEnvironment(Id job_id) {
  core::Result<JobEnvironment> out = core::Status::NotFound("the job names no environment");
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(conn.Query(std::string("SELECT ") + kJobEnvColumns +
                                                    " FROM job_environments WHERE job_id = $1",
                                                {job_id}),
                                     "the job's environment");
    if (!row.ok()) return row.status();
    out = JobEnvFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<JobEnvironment>> SqlStore::ListJobEnvironments(Id run_id) {
  std::vector<JobEnvironment> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        std::string("SELECT ") + kJobEnvColumns +
                            " FROM job_environments WHERE run_id = $1 ORDER BY job_id",
                        {run_id}, JobEnvFrom, &out);
  }));
  return out;
}

core::Result<std::vector<JobEnvironment>> SqlStore::ListWaitingJobEnvironments() {
  std::vector<JobEnvironment> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        "SELECT e.job_id, e.run_id, e.environment, e.url, e.state, "
                        "e.needs_review, e.not_before, e.requested_at FROM job_environments e "
                        "JOIN jobs j ON j.id = e.job_id WHERE e.state = 'waiting' AND "
                        "j.status = 'waiting' ORDER BY e.job_id",
                        {}, JobEnvFrom, &out);
  }));
  return out;
}

core::Result<bool> SqlStore::UpdateJobEnvironment(const JobEnvironment& je,
                                                  const std::string& from_state) {
  bool changed = false;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    auto n = conn.Exec(
        "UPDATE job_environments SET state = $2, needs_review = $3, not_before = $4 WHERE "
        "job_id = $1 AND state = $5",
        {je.job_id, je.state, je.needs_review, je.not_before, from_state});
    if (!n.ok()) return n.status();
    changed = *n > 0;
    return core::Status::Ok();
  }));
  return changed;
}

core::Result<bool> SqlStore::QueueWaitingJob(Id job_id) {
  bool changed = false;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    auto n = conn.Exec("UPDATE jobs SET status = 'queued' WHERE id = $1 AND status = 'waiting'",
                       {job_id});
    if (!n.ok()) return n.status();
    changed = *n > 0;
    if (!changed) return core::Status::Ok();
    return conn
        .Exec(
            "UPDATE runs SET status = CASE WHEN started_at = 0 THEN 'queued' ELSE 'in_progress' "
            "END WHERE id = (SELECT run_id FROM jobs WHERE id = $1) AND status = 'waiting' AND "
            "NOT EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = runs.id AND j.attempt = "
            "runs.attempt AND j.status = 'waiting')",
            {job_id})
        .status();
  }));
  return changed;
}

core::Status SqlStore::SetRunWaiting(Id run_id) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "UPDATE runs SET status = 'waiting' WHERE id = $1 AND status IN ('queued', "
            "'in_progress')",
            {run_id})
        .status();
  });
}

core::Status SqlStore::AddEnvironmentApproval(const EnvironmentApproval& a) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO environment_approvals (run_id, environment, user_id, username, approve, "
            "comment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            {a.run_id, a.environment, a.user_id, a.username, a.approve, a.comment,
             sql::OrNow(a.created_at)})
        .status();
  });
}

core::Result<std::vector<EnvironmentApproval>> SqlStore::ListEnvironmentApprovals(Id run_id) {
  std::vector<EnvironmentApproval> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT id, run_id, environment, user_id, username, approve, comment, created_at FROM "
        "environment_approvals WHERE run_id = $1 ORDER BY id",
        {run_id},
        [](const Row& r) {
          EnvironmentApproval a;
          a.id = r.Int(0);
          a.run_id = r.Int(1);
          a.environment = r.Text(2);
          a.user_id = r.Int(3);
          a.username = r.Text(4);
          a.approve = r.Int(5) != 0;
          a.comment = r.Text(6);
          a.created_at = r.Int(7);
          return a;
        },
        &out);
  }));
  return out;
}

}  // namespace gantry::store
