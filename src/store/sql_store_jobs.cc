// SqlStore: jobs (leases, completion) and steps.

#include "store/sql_store.h"

namespace gantry::store {
namespace sql {

const char* const kJobColumns =
    "id, run_id, attempt, job_id, instance, name, status, conclusion, matrix, strategy, needs, "
    "outputs, labels, error, summary, continued_on_error, executor, lease_id, lease_expires_at, "
    "completion_seq, created_at, started_at, completed_at, spec, cancel_requested, requeues, "
    "concurrency_group";

Job JobFrom(const Row& r) {
  Job j;
  j.id = r.Int(0);
  j.run_id = r.Int(1);
  j.attempt = static_cast<int>(r.Int(2));
  j.job_id = r.Text(3);
  j.instance = static_cast<int>(r.Int(4));
  j.name = r.Text(5);
  j.status = r.Text(6);
  j.conclusion = r.Text(7);
  j.matrix = r.Text(8);
  j.strategy = r.Text(9);
  j.needs = r.Text(10);
  j.outputs = r.Text(11);
  j.labels = r.Text(12);
  j.error = r.Text(13);
  j.summary = r.Text(14);
  j.continued_on_error = r.Int(15) != 0;
  j.executor = r.Text(16);
  j.lease_id = r.Text(17);
  j.lease_expires_at = r.Int(18);
  j.completion_seq = r.Int(19);
  j.created_at = r.Int(20);
  j.started_at = r.Int(21);
  j.completed_at = r.Int(22);
  j.spec = r.Text(23);
  j.cancel_requested = r.Int(24) != 0;
  j.requeues = static_cast<int>(r.Int(25));
  j.concurrency_group = r.Text(26);
  return j;
}

}  // namespace sql

namespace {

std::string JobName(Id id) { return "job " + std::to_string(id); }

core::Result<Job> SelectJob(Connection& conn, Id id) {
  core::Result<Row> row = sql::One(
      conn.Query(std::string("SELECT ") + sql::kJobColumns + " FROM jobs WHERE id = $1", {id}),
      JobName(id));
  if (!row.ok()) return row.status();
  return sql::JobFrom(*row);
}

// Job columns qualified with the alias j (for joins).
std::string QualifiedJobColumns() {
  std::string out = "j.";
  for (const char* c = sql::kJobColumns; *c != '\0'; ++c) {
    out += *c;
    if (*c == ' ') out += "j.";
  }
  return out;
}

// A job a lease may hand out: queued, of its run's newest attempt, the run not completed.
constexpr const char* kLeasable =
    "j.status = 'queued' AND r.status <> 'completed' AND j.attempt = r.attempt";

// A job whose concurrency group is held by another job of the project in progress waits.
constexpr const char* kGroupFree =
    "(j.concurrency_group = '' OR NOT EXISTS (SELECT 1 FROM jobs h JOIN runs hr ON hr.id = "
    "h.run_id WHERE h.status = 'in_progress' AND h.concurrency_group = j.concurrency_group AND "
    "hr.project_id = r.project_id AND h.id <> j.id))";

}  // namespace

core::Result<Job> SqlStore::UpsertJob(const Job& job) {
  Job out;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Rows> inserted = conn.Query(
        "INSERT INTO jobs (run_id, attempt, job_id, instance, name, status, conclusion, matrix, "
        "strategy, needs, outputs, labels, error, summary, continued_on_error, executor, "
        "lease_id, lease_expires_at, completion_seq, created_at, started_at, completed_at, spec, "
        "concurrency_group) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
        "$15, $16, $17, $18, $19, $20, $21, $22, $23, $24) ON CONFLICT (run_id, attempt, job_id, "
        "instance) DO NOTHING "
        "RETURNING id",
        {job.run_id,
         job.attempt,
         job.job_id,
         job.instance,
         job.name,
         job.status,
         job.conclusion,
         job.matrix,
         job.strategy,
         job.needs,
         job.outputs,
         job.labels,
         job.error,
         job.summary,
         job.continued_on_error,
         job.executor,
         job.lease_id,
         job.lease_expires_at,
         job.completion_seq,
         sql::OrNow(job.created_at),
         job.started_at,
         job.completed_at,
         job.spec,
         job.concurrency_group});
    if (!inserted.ok()) return inserted.status();
    core::Result<Row> row =
        inserted->empty()
            ? sql::One(conn.Query(std::string("SELECT ") + sql::kJobColumns +
                                      " FROM jobs WHERE run_id = $1 AND attempt = $2 AND "
                                      "job_id = $3 AND instance = $4",
                                  {job.run_id, job.attempt, job.job_id, job.instance}),
                       "job " + job.job_id)
            : sql::One(
                  conn.Query(std::string("SELECT ") + sql::kJobColumns + " FROM jobs WHERE id = $1",
                             {inserted->front().Int(0)}),
                  "job " + job.job_id);
    if (!row.ok()) return row.status();
    out = sql::JobFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<Job> SqlStore::GetJob(Id id) {
  Job out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Job> job = SelectJob(conn, id);
    if (!job.ok()) return job.status();
    out = std::move(*job);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<Job>> SqlStore::ListJobs(Id run_id, int attempt) {
  std::vector<Job> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    if (attempt > 0) {
      return sql::Collect(conn,
                          std::string("SELECT ") + sql::kJobColumns +
                              " FROM jobs WHERE run_id = $1 AND attempt = $2 ORDER BY id",
                          {run_id, attempt}, sql::JobFrom, &out);
    }
    return sql::Collect(conn,
                        "SELECT " + QualifiedJobColumns() +
                            " FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.run_id = $1 "
                            "AND j.attempt = r.attempt ORDER BY j.id",
                        {run_id}, sql::JobFrom, &out);
  }));
  return out;
}

core::Status SqlStore::UpdateJob(const Job& job) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("UPDATE jobs SET name = $2, status = $3, conclusion = $4, matrix = $5, "
                  "strategy = $6, needs = $7, outputs = $8, labels = $9, error = $10, "
                  "summary = $11, continued_on_error = $12, executor = $13, lease_id = $14, "
                  "lease_expires_at = $15, completion_seq = $16, started_at = $17, "
                  "completed_at = $18 WHERE id = $1",
                  {job.id, job.name, job.status, job.conclusion, job.matrix, job.strategy,
                   job.needs, job.outputs, job.labels, job.error, job.summary,
                   job.continued_on_error, job.executor, job.lease_id, job.lease_expires_at,
                   job.completion_seq, job.started_at, job.completed_at}),
        JobName(job.id));
  });
}

core::Result<Job> SqlStore::CompleteJob(const Job& job) {
  Job out;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Job> current = SelectJob(conn, job.id);
    if (!current.ok()) return current.status();
    // Serialises the completions of one run (PostgreSQL), so each gets its own sequence
    // number; SQLite's single writer does that already.
    if (postgres()) {
      core::Result<Rows> locked =
          conn.Query("SELECT id FROM runs WHERE id = $1 FOR UPDATE", {current->run_id});
      if (!locked.ok()) return locked.status();
      current = SelectJob(conn, job.id);  // as of the lock
      if (!current.ok()) return current.status();
    }
    if (current->status == "completed") {
      return core::Status::InvalidArgument(JobName(job.id) + " is already completed");
    }
    // A completion on behalf of a lease (an executor's, or its expiry) only while that lease
    // still holds the job: another replica may have queued it again meanwhile.
    if (!job.lease_id.empty() && current->lease_id != job.lease_id) {
      return core::Status::NotFound("the lease no longer holds " + JobName(job.id));
    }
    core::Result<Row> seq = sql::One(
        conn.Query("SELECT COALESCE(MAX(completion_seq), 0) + 1 FROM jobs WHERE run_id = $1",
                   {current->run_id}),
        "completion sequence");
    if (!seq.ok()) return seq.status();
    GANTRY_RETURN_IF_ERROR(
        conn.Exec("UPDATE jobs SET status = 'completed', conclusion = $2, outputs = $3, "
                  "error = $4, summary = $5, continued_on_error = $6, completed_at = $7, "
                  "completion_seq = $8, lease_id = '', lease_expires_at = 0, "
                  "started_at = CASE WHEN $9 = 0 THEN started_at ELSE $9 END, "
                  "executor = CASE WHEN $10 = '' THEN executor ELSE $10 END WHERE id = $1",
                  {job.id, job.conclusion, job.outputs, job.error, job.summary,
                   job.continued_on_error, sql::OrNow(job.completed_at), seq->Int(0),
                   job.started_at, job.executor})
            .status());
    core::Result<Job> done = SelectJob(conn, job.id);
    if (!done.ok()) return done.status();
    out = std::move(*done);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::optional<Job>> SqlStore::LeaseJob(const std::vector<Id>& candidates,
                                                    const LeaseRequest& request) {
  std::optional<Job> out;
  if (candidates.empty()) return out;
  // The candidate ids travel as one parameter, so the statement stays the same (and cached)
  // whatever their number.
  std::string ids;
  for (Id id : candidates) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  std::string query =
      postgres() ? std::string("SELECT j.id FROM jobs j JOIN runs r ON r.id = j.run_id WHERE ") +
                       kLeasable + " AND " + kGroupFree +
                       " AND j.id = ANY(CAST($1 AS BIGINT[])) ORDER BY j.id LIMIT 1 "
                       "FOR UPDATE OF j SKIP LOCKED"
                 : std::string("SELECT j.id FROM jobs j JOIN runs r ON r.id = j.run_id WHERE ") +
                       kLeasable + " AND " + kGroupFree +
                       " AND j.id IN (SELECT value FROM json_each($1)) ORDER BY j.id LIMIT 1";
  std::string list = postgres() ? "{" + ids + "}" : "[" + ids + "]";
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    out.reset();  // a retried transaction starts afresh
    core::Result<Rows> found = conn.Query(query, {list});
    if (!found.ok()) return found.status();
    if (found->empty()) return core::Status::Ok();
    Id id = found->front().Int(0);
    if (postgres()) {
      // Two leases of jobs of one group must not both see it free: they are serialized on the
      // project's row, and the group is checked again once that lock is held.
      core::Result<Rows> grouped = conn.Query(
          "SELECT j.concurrency_group FROM jobs j WHERE j.id = $1 AND j.concurrency_group <> ''",
          {id});
      if (!grouped.ok()) return grouped.status();
      if (!grouped->empty()) {
        core::Result<Rows> locked = conn.Query(
            "SELECT p.id FROM projects p JOIN runs r ON r.project_id = p.id JOIN jobs j ON "
            "j.run_id = r.id WHERE j.id = $1 FOR UPDATE OF p",
            {id});
        if (!locked.ok()) return locked.status();
        core::Result<Rows> free = conn.Query(
            std::string("SELECT j.id FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.id = $1 "
                        "AND ") +
                kGroupFree,
            {id});
        if (!free.ok()) return free.status();
        if (free->empty()) return core::Status::Ok();  // taken meanwhile: the next poll retries
      }
    }
    core::Result<int64_t> taken = conn.Exec(
        "UPDATE jobs SET status = 'in_progress', executor = $2, lease_id = $3, "
        "lease_expires_at = $4, started_at = $5 WHERE id = $1 AND status = 'queued'",
        {id, request.executor, request.lease_id, request.expires_at, sql::OrNow(request.now)});
    if (!taken.ok()) return taken.status();
    if (*taken == 0) return core::Status::Ok();  // cannot happen under the row lock
    core::Result<Job> job = SelectJob(conn, id);
    if (!job.ok()) return job.status();
    out = std::move(*job);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<Job>> SqlStore::ListGroupJobs(Id project_id, const std::string& group) {
  std::vector<Job> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        "SELECT " + QualifiedJobColumns() +
                            " FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.project_id = $1 "
                            "AND j.concurrency_group = $2 AND j.status IN ('queued', "
                            "'in_progress') AND j.attempt = r.attempt ORDER BY j.id",
                        {project_id, group}, sql::JobFrom, &out);
  }));
  return out;
}

core::Result<std::vector<Job>> SqlStore::ListQueuedJobs(int limit) {
  std::vector<Job> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        "SELECT " + QualifiedJobColumns() +
                            " FROM jobs j JOIN runs r ON r.id = j.run_id WHERE " + kLeasable +
                            " ORDER BY j.id LIMIT $1",
                        {static_cast<int64_t>(limit > 0 ? limit : 100)}, sql::JobFrom, &out);
  }));
  return out;
}

core::Status SqlStore::RenewLease(Id job_id, const std::string& lease_id, int64_t expires_at) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("UPDATE jobs SET lease_expires_at = $3 WHERE id = $1 AND lease_id = $2 AND "
                  "status = 'in_progress'",
                  {job_id, lease_id, expires_at}),
        "lease " + lease_id + " of " + JobName(job_id));
  });
}

core::Result<std::vector<Job>> SqlStore::ListExpiredLeases(int64_t now) {
  std::vector<Job> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        std::string("SELECT ") + sql::kJobColumns +
                            " FROM jobs WHERE status = 'in_progress' AND lease_expires_at > 0 "
                            "AND lease_expires_at < $1 ORDER BY id",
                        {now}, sql::JobFrom, &out);
  }));
  return out;
}

core::Status SqlStore::RequestJobCancel(Id job_id) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("UPDATE jobs SET cancel_requested = 1 WHERE id = $1", {job_id}),
                         JobName(job_id));
  });
}

core::Status SqlStore::RequeueJob(Id job_id, const std::string& lease_id, int64_t lease_expires_at,
                                  bool executor_lost) {
  return Write([&](Connection& conn) {
    GANTRY_RETURN_IF_ERROR(sql::Affected(
        conn.Exec("UPDATE jobs SET status = 'queued', executor = '', lease_id = '', "
                  "lease_expires_at = 0, started_at = 0, requeues = requeues + $3 "
                  "WHERE id = $1 AND lease_id = $2 AND lease_expires_at = $4 AND "
                  "status = 'in_progress'",
                  {job_id, lease_id, int64_t{executor_lost ? 1 : 0}, lease_expires_at}),
        "lease " + lease_id + " of " + JobName(job_id)));
    if (!executor_lost) return core::Status::Ok();
    // The lines the lost executor sent stay in the log; their sequence numbers move out of
    // the way (below -1e9 per requeue) so the next executor's, which start at 1 again, are
    // not taken for retries of them (annotations alike). Small negative numbers are left for
    // the server's notes.
    for (const char* table : {"log_chunks", "annotations"}) {
      GANTRY_RETURN_IF_ERROR(
          conn.Exec(std::string("UPDATE ") + table +
                        " SET seq = seq - 2000000000 * (SELECT requeues FROM jobs WHERE id = $1) "
                        "WHERE job_id = $1 AND seq > 0",
                    {job_id})
              .status());
    }
    return core::Status::Ok();
  });
}

core::Result<std::vector<RunProgress>> SqlStore::ListRunProgress(const std::string& owner) {
  std::vector<RunProgress> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT r.id, r.cancel_requested, (SELECT COUNT(*) FROM jobs j WHERE j.run_id = r.id "
        "AND j.attempt = r.attempt AND j.status = 'completed') FROM runs r WHERE r.status IN "
        "('pending', 'queued', 'in_progress', 'waiting') AND "
        "r.owner = $1 ORDER BY r.id",
        {owner},
        [](const Row& r) {
          RunProgress p;
          p.run_id = r.Int(0);
          p.cancel_requested = r.Int(1) != 0;
          p.completed_jobs = r.Int(2);
          return p;
        },
        &out);
  }));
  return out;
}

core::Status SqlStore::PutStep(const Step& step) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO steps (job_id, stage, idx, name, status, conclusion, outcome, error, "
            "background, started_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
            "$9, $10, $11) ON CONFLICT (job_id, stage, idx) DO UPDATE SET name = excluded.name, "
            "status = excluded.status, conclusion = excluded.conclusion, "
            "outcome = excluded.outcome, error = excluded.error, "
            "background = excluded.background, started_at = excluded.started_at, "
            "completed_at = excluded.completed_at",
            {step.job_id, step.stage, step.index, step.name, step.status, step.conclusion,
             step.outcome, step.error, step.background, step.started_at, step.completed_at})
        .status();
  });
}

core::Result<std::vector<Step>> SqlStore::ListSteps(Id job_id) {
  std::vector<Step> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT job_id, idx, stage, name, status, conclusion, outcome, error, background, "
        "started_at, completed_at FROM steps WHERE job_id = $1 ORDER BY CASE stage WHEN 'pre' "
        "THEN 0 WHEN '' THEN 1 ELSE 2 END, idx",
        {job_id},
        [](const Row& r) {
          Step s;
          s.job_id = r.Int(0);
          s.index = static_cast<int>(r.Int(1));
          s.stage = r.Text(2);
          s.name = r.Text(3);
          s.status = r.Text(4);
          s.conclusion = r.Text(5);
          s.outcome = r.Text(6);
          s.error = r.Text(7);
          s.background = r.Int(8) != 0;
          s.started_at = r.Int(9);
          s.completed_at = r.Int(10);
          return s;
        },
        &out);
  }));
  return out;
}

}  // namespace gantry::store
