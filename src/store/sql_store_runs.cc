// SqlStore: runs.

#include <algorithm>

#include "store/sql_store.h"

namespace gantry::store {
namespace sql {

const char* const kRunColumns =
    "id, project_id, number, attempt, workflow_file, workflow_name, event, ref, sha, actor, "
    "title, status, conclusion, event_payload, inputs, error, cancel_requested, created_at, "
    "started_at, completed_at, group_order";

Run RunFrom(const Row& r) {
  Run run;
  run.id = r.Int(0);
  run.project_id = r.Int(1);
  run.number = r.Int(2);
  run.attempt = static_cast<int>(r.Int(3));
  run.workflow_file = r.Text(4);
  run.workflow_name = r.Text(5);
  run.event = r.Text(6);
  run.ref = r.Text(7);
  run.sha = r.Text(8);
  run.actor = r.Text(9);
  run.title = r.Text(10);
  run.status = r.Text(11);
  run.conclusion = r.Text(12);
  run.event_payload = r.Text(13);
  run.inputs = r.Text(14);
  run.error = r.Text(15);
  run.cancel_requested = r.Int(16) != 0;
  run.created_at = r.Int(17);
  run.started_at = r.Int(18);
  run.completed_at = r.Int(19);
  run.group_order = r.Int(20);
  return run;
}

}  // namespace sql

namespace {

std::string RunName(Id id) { return "run " + std::to_string(id); }

core::Result<Run> SelectRun(Connection& conn, Id id) {
  core::Result<Row> row = sql::One(
      conn.Query(std::string("SELECT ") + sql::kRunColumns + " FROM runs WHERE id = $1", {id}),
      RunName(id));
  if (!row.ok()) return row.status();
  return sql::RunFrom(*row);
}

}  // namespace

core::Result<Run> SqlStore::CreateRun(const Run& run) {
  Run out = run;
  out.created_at = sql::OrNow(run.created_at);
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    // The upsert locks the counter row, so concurrent runs of one workflow (PostgreSQL) get
    // consecutive numbers instead of a unique violation.
    core::Result<Row> number =
        sql::One(conn.Query("INSERT INTO run_numbers (project_id, workflow_file, last_number) "
                            "VALUES ($1, $2, 1) ON CONFLICT (project_id, workflow_file) "
                            "DO UPDATE SET last_number = run_numbers.last_number + 1 "
                            "RETURNING last_number",
                            {run.project_id, run.workflow_file}),
                 "run number");
    if (!number.ok()) return number.status();
    out.number = number->Int(0);
    core::Result<Row> id = sql::One(
        conn.Query("INSERT INTO runs (project_id, number, attempt, workflow_file, workflow_name, "
                   "event, ref, sha, actor, title, status, conclusion, event_payload, inputs, "
                   "error, cancel_requested, created_at, started_at, completed_at) VALUES ($1, "
                   "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
                   "$19) RETURNING id",
                   {out.project_id, out.number, out.attempt, out.workflow_file, out.workflow_name,
                    out.event, out.ref, out.sha, out.actor, out.title, out.status, out.conclusion,
                    out.event_payload, out.inputs, out.error, out.cancel_requested, out.created_at,
                    out.started_at, out.completed_at}),
        "run");
    if (!id.ok()) return id.status();
    out.id = id->Int(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<Run> SqlStore::GetRun(Id id) {
  Run out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Run> run = SelectRun(conn, id);
    if (!run.ok()) return run.status();
    out = std::move(*run);
    return core::Status::Ok();
  }));
  return out;
}

namespace {

// The WHERE clause of a run filter ("WHERE 1 = 1 AND ...") with its parameters. Only the
// filters in use go into the SQL, so each combination gets a plan that uses the
// (project_id, id DESC) index; there are few combinations, each prepared once.
std::string RunWhere(const RunFilter& filter, bool with_cursor, Params* params) {
  std::string where = " WHERE 1 = 1";
  auto add = [&](const std::string& condition, Value value) {
    params->push_back(std::move(value));
    std::string n = "$" + std::to_string(params->size());
    std::string c = condition;
    for (size_t at = c.find('?'); at != std::string::npos; at = c.find('?', at + n.size())) {
      c.replace(at, 1, n);
    }
    where += " AND " + c;
  };
  if (filter.project_id != 0) add("project_id = ?", filter.project_id);
  if (!filter.status.empty()) add("(status = ? OR conclusion = ?)", filter.status);
  if (!filter.branch.empty()) add("ref = ?", "refs/heads/" + filter.branch);
  if (!filter.event.empty()) add("event = ?", filter.event);
  if (!filter.workflow_file.empty()) add("workflow_file = ?", filter.workflow_file);
  if (!filter.actor.empty()) add("actor = ?", filter.actor);
  if (!filter.sha.empty()) add("sha = ?", filter.sha);
  if (filter.created_from != 0) add("created_at >= ?", filter.created_from);
  if (filter.created_to != 0) add("created_at < ?", filter.created_to);
  if (with_cursor && filter.before != 0) add("id < ?", filter.before);
  if (with_cursor && filter.before == 0 && filter.after != 0) add("id > ?", filter.after);
  return where;
}

}  // namespace

core::Result<std::vector<Run>> SqlStore::ListRuns(const RunFilter& filter) {
  Params params;
  std::string query =
      std::string("SELECT ") + sql::kRunColumns + " FROM runs" + RunWhere(filter, true, &params);
  params.emplace_back(static_cast<int64_t>(filter.limit > 0 ? filter.limit : 30));
  // `after` pages towards newer runs: the nearest ones are the smallest ids above it.
  bool ascending = filter.before == 0 && filter.after != 0;
  query += std::string(" ORDER BY id ") + (ascending ? "ASC" : "DESC") + " LIMIT $" +
           std::to_string(params.size());
  if (filter.offset > 0) {
    params.emplace_back(filter.offset);
    query += " OFFSET $" + std::to_string(params.size());
  }
  std::vector<Run> out;
  GANTRY_RETURN_IF_ERROR(Read(
      [&](Connection& conn) { return sql::Collect(conn, query, params, sql::RunFrom, &out); }));
  if (ascending) std::reverse(out.begin(), out.end());
  return out;
}

core::Result<int64_t> SqlStore::CountRuns(const RunFilter& filter) {
  Params params;
  std::string query = "SELECT COUNT(*) FROM runs" + RunWhere(filter, false, &params);
  int64_t count = 0;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(conn.Query(query, params), "count");
    if (!row.ok()) return row.status();
    count = row->Int(0);
    return core::Status::Ok();
  }));
  return count;
}

core::Result<std::vector<RunWorkflow>> SqlStore::ListRunWorkflows(Id project_id) {
  std::vector<RunWorkflow> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT r.workflow_file, r.workflow_name FROM runs r JOIN (SELECT MAX(id) AS id FROM "
        "runs WHERE project_id = $1 GROUP BY workflow_file) newest ON r.id = newest.id "
        "ORDER BY r.workflow_file",
        {project_id},
        [](const Row& r) {
          return RunWorkflow{r.Text(0), r.Text(1)};
        },
        &out);
  }));
  return out;
}

core::Result<std::vector<Run>> SqlStore::ListActiveRuns() {
  std::vector<Run> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        std::string("SELECT ") + sql::kRunColumns +
                            " FROM runs WHERE status <> 'completed' ORDER BY id",
                        {}, sql::RunFrom, &out);
  }));
  return out;
}

core::Status SqlStore::UpdateRun(const Run& run) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec(
            "UPDATE runs SET status = $2, conclusion = $3, error = $4, "
            "started_at = CASE WHEN $5 = 0 THEN started_at ELSE $5 END, "
            "completed_at = CASE WHEN $6 = 0 THEN completed_at ELSE $6 END WHERE id = $1",
            {run.id, run.status, run.conclusion, run.error, run.started_at, run.completed_at}),
        RunName(run.id));
  });
}

core::Status SqlStore::SetRunOwner(Id run_id, const std::string& owner, int64_t expires_at) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("UPDATE runs SET owner = $2, owner_expires_at = $3 WHERE id = $1",
                  {run_id, owner, expires_at}),
        RunName(run_id));
  });
}

core::Result<int64_t> SqlStore::RenewRunOwnership(const std::string& owner, int64_t expires_at) {
  int64_t n = 0;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<int64_t> renewed = conn.Exec(
        "UPDATE runs SET owner_expires_at = $2 WHERE owner = $1 AND status <> 'completed'",
        {owner, expires_at});
    if (!renewed.ok()) return renewed.status();
    n = *renewed;
    return core::Status::Ok();
  }));
  return n;
}

core::Result<std::vector<Run>> SqlStore::ClaimRuns(const std::string& owner, int64_t now,
                                                   int64_t expires_at, bool include_own) {
  std::vector<Run> out;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    out.clear();
    // One statement decides between replicas claiming at the same moment: a row is updated
    // by one of them only, and each reads back the runs it now owns and had not before. A run
    // without an owner is being launched (its owner is set right after it is created); only
    // one left so for a minute (a crash in between, a database older than owners) is taken.
    core::Result<Rows> claimed = conn.Query(
        "UPDATE runs SET owner = $1, owner_expires_at = $3 WHERE status <> 'completed' AND "
        "((owner <> '' AND owner_expires_at < $2) OR (owner = $1 AND $4 = 1) OR "
        "(owner = '' AND created_at < $2 - 60000)) RETURNING id",
        {owner, now, expires_at, int64_t{include_own ? 1 : 0}});
    if (!claimed.ok()) return claimed.status();
    for (const Row& r : *claimed) {
      core::Result<Run> run = SelectRun(conn, r.Int(0));
      if (!run.ok()) return run.status();
      out.push_back(std::move(*run));
    }
    std::sort(out.begin(), out.end(), [](const Run& a, const Run& b) { return a.id < b.id; });
    return core::Status::Ok();
  }));
  return out;
}

core::Status SqlStore::StartRun(Id run_id, int64_t now) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "UPDATE runs SET status = 'in_progress', started_at = $2 WHERE id = $1 AND "
            "status = 'queued'",
            {run_id, now})
        .status();
  });
}

core::Status SqlStore::RequestCancel(Id run_id) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("UPDATE runs SET cancel_requested = 1 WHERE id = $1", {run_id}),
                         RunName(run_id));
  });
}

core::Result<std::vector<Run>> SqlStore::EnterRunGroup(Id run_id, const std::string& group) {
  std::vector<Run> out;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    out.clear();
    GANTRY_RETURN_IF_ERROR(sql::Affected(
        conn.Exec("UPDATE runs SET concurrency_group = $2, group_order = (SELECT "
                  "COALESCE(MAX(o.group_order), 0) + 1 FROM runs o WHERE o.project_id = "
                  "runs.project_id), status = CASE WHEN status = 'queued' THEN 'pending' ELSE "
                  "status END WHERE id = $1",
                  {run_id, group}),
        RunName(run_id)));
    return sql::Collect(conn,
                        std::string("SELECT ") + sql::kRunColumns +
                            " FROM runs WHERE project_id = (SELECT project_id FROM runs WHERE id "
                            "= $1) AND concurrency_group = $2 AND status <> 'completed' AND id "
                            "<> $1 ORDER BY group_order, id",
                        {run_id, group}, sql::RunFrom, &out);
  }));
  return out;
}

core::Result<bool> SqlStore::AdmitRun(Id run_id) {
  bool admitted = false;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    if (postgres()) {
      // Two replicas admitting runs of one group are serialized on the project's row (SQLite
      // has one writer already), so the check below sees the other's commit.
      core::Result<Rows> locked = conn.Query(
          "SELECT p.id FROM projects p JOIN runs r ON r.project_id = p.id WHERE r.id = $1 "
          "FOR UPDATE OF p",
          {run_id});
      if (!locked.ok()) return locked.status();
    }
    core::Result<int64_t> n = conn.Exec(
        "UPDATE runs SET status = 'queued' WHERE id = $1 AND status = 'pending' AND "
        "cancel_requested = 0 AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.project_id = "
        "runs.project_id AND o.concurrency_group = runs.concurrency_group AND o.id <> runs.id "
        "AND (o.status IN ('queued', 'in_progress', 'waiting') OR (o.status = 'pending' AND "
        "(o.group_order > runs.group_order OR (o.group_order = runs.group_order AND o.id > "
        "runs.id)) AND o.cancel_requested = 0)))",
        {run_id});
    if (!n.ok()) return n.status();
    admitted = *n > 0;
    return core::Status::Ok();
  }));
  return admitted;
}

core::Result<Run> SqlStore::NewAttempt(Id run_id) {
  Run out;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    GANTRY_RETURN_IF_ERROR(sql::Affected(
        conn.Exec("UPDATE runs SET attempt = attempt + 1, status = 'queued', conclusion = '', "
                  "error = '', cancel_requested = 0, started_at = 0, completed_at = 0 "
                  "WHERE id = $1",
                  {run_id}),
        RunName(run_id)));
    core::Result<Run> run = SelectRun(conn, run_id);
    if (!run.ok()) return run.status();
    out = std::move(*run);
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace gantry::store
