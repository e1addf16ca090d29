// SqlStore: deployments recorded per environment (store.h, "Deployments"; migrations/*/008).

#include "store/sql_store.h"

namespace gantry::store {
namespace {

constexpr const char* kDeploymentColumns =
    "id, project_id, environment, sha, ref, workflow_file, run_id, job_row_id, job_id, attempt, "
    "actor, status, url, created_at, updated_at";

Deployment DeploymentFrom(const Row& r) {
  Deployment d;
  d.id = r.Int(0);
  d.project_id = r.Int(1);
  d.environment = r.Text(2);
  d.sha = r.Text(3);
  d.ref = r.Text(4);
  d.workflow_file = r.Text(5);
  d.run_id = r.Int(6);
  d.job_row_id = r.Int(7);
  d.job_id = r.Text(8);
  d.attempt = static_cast<int>(r.Int(9));
  d.actor = r.Text(10);
  d.status = r.Text(11);
  d.url = r.Text(12);
  d.created_at = r.Int(13);
  d.updated_at = r.Int(14);
  return d;
}

core::Result<Deployment> ByJobRow(Connection& conn, Id job_row_id) {
  core::Result<Row> row = sql::One(conn.Query(std::string("SELECT ") + kDeploymentColumns +
                                                  " FROM deployments WHERE job_row_id = $1",
                                              {job_row_id}),
                                   "the deployment of job " + std::to_string(job_row_id));
  if (!row.ok()) return row.status();
  return DeploymentFrom(*row);
}

}  // namespace

core::Result<Deployment> SqlStore::CreateDeployment(const Deployment& deployment) {
  Deployment out = deployment;
  out.created_at = sql::OrNow(deployment.created_at);
  out.updated_at = out.created_at;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    // A replayed hook finds the row already there.
    core::Result<Deployment> existing = ByJobRow(conn, deployment.job_row_id);
    if (existing.ok()) {
      out = *existing;
      return core::Status::Ok();
    }
    core::Result<Row> id = sql::One(
        conn.Query("INSERT INTO deployments (project_id, environment, sha, ref, workflow_file, "
                   "run_id, job_row_id, job_id, attempt, actor, status, url, created_at, "
                   "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                   "$14) RETURNING id",
                   {out.project_id, out.environment, out.sha, out.ref, out.workflow_file,
                    out.run_id, out.job_row_id, out.job_id, out.attempt, out.actor, out.status,
                    out.url, out.created_at, out.updated_at}),
        "deployment");
    if (!id.ok()) return id.status();
    out.id = id->Int(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<Deployment> SqlStore::UpdateDeploymentStatus(Id job_row_id, const std::string& status,
                                                          const std::string& url, int64_t now) {
  Deployment out;
  now = sql::OrNow(now);
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Deployment> current = ByJobRow(conn, job_row_id);
    if (!current.ok()) return current.status();
    out = *current;
    out.status = status;
    if (!url.empty()) out.url = url;
    out.updated_at = now;
    GANTRY_RETURN_IF_ERROR(
        conn.Exec("UPDATE deployments SET status = $1, url = $2, updated_at = $3 WHERE id = $4",
                  {out.status, out.url, out.updated_at, out.id})
            .status());
    if (status != "success") return core::Status::Ok();
    // As on GitHub: the environment's older successful deployments are no longer live.
    return conn
        .Exec(
            "UPDATE deployments SET status = 'inactive', updated_at = $1 WHERE project_id = $2 "
            "AND environment = $3 AND status = 'success' AND id < $4",
            {now, out.project_id, out.environment, out.id})
        .status();
  }));
  return out;
}

core::Result<std::vector<Deployment>> SqlStore::ListDeployments(Id project_id,
                                                                const std::string& environment,
                                                                int limit, Id before) {
  std::vector<Deployment> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        std::string("SELECT ") + kDeploymentColumns +
            " FROM deployments WHERE project_id = $1 AND ($2 = '' OR environment = $2) AND "
            "($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $4",
        {project_id, environment, before, limit > 0 ? limit : 30}, DeploymentFrom, &out);
  }));
  return out;
}

core::Result<Deployment> SqlStore::GetDeployment(Id project_id, Id id) {
  Deployment out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row =
        sql::One(conn.Query(std::string("SELECT ") + kDeploymentColumns +
                                " FROM deployments WHERE project_id = $1 AND id = $2",
                            {project_id, id}),
                 "deployment " + std::to_string(id));
    if (!row.ok()) return row.status();
    out = DeploymentFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace gantry::store
