// SqlStore: reports of jobs (coverage, tests, security) and a project's security findings.

#include <string>
#include <vector>

#include "store/sql_store.h"

namespace gantry::store {
namespace {

constexpr const char* kReportColumns =
    "id, run_id, job_id, attempt, job_key, job_name, step, kind, lines_total, lines_covered, "
    "passed, failed, skipped, data, created_at";

StoredReport ReportFrom(const Row& r) {
  StoredReport out;
  out.id = r.Int(0);
  out.run_id = r.Int(1);
  out.job_id = r.Int(2);
  out.attempt = static_cast<int>(r.Int(3));
  out.job_key = r.Text(4);
  out.job_name = r.Text(5);
  out.step = static_cast<int>(r.Int(6));
  out.kind = r.Text(7);
  out.lines_total = r.Int(8);
  out.lines_covered = r.Int(9);
  out.passed = r.Int(10);
  out.failed = r.Int(11);
  out.skipped = r.Int(12);
  out.data = r.Text(13);
  out.created_at = r.Int(14);
  return out;
}

constexpr const char* kFindingColumns =
    "id, project_id, branch, fingerprint, tool, rule_id, severity, message, file, line, state, "
    "first_seen_run_id, last_seen_run_id, fixed_run_id, updated_at";

SecurityFinding FindingFrom(const Row& r) {
  SecurityFinding f;
  f.id = r.Int(0);
  f.project_id = r.Int(1);
  f.branch = r.Text(2);
  f.fingerprint = r.Text(3);
  f.tool = r.Text(4);
  f.rule_id = r.Text(5);
  f.severity = r.Text(6);
  f.message = r.Text(7);
  f.file = r.Text(8);
  f.line = static_cast<int>(r.Int(9));
  f.state = r.Text(10);
  f.first_seen_run_id = r.Int(11);
  f.last_seen_run_id = r.Int(12);
  f.fixed_run_id = r.Int(13);
  f.updated_at = r.Int(14);
  return f;
}

}  // namespace

core::Status SqlStore::PutReport(const StoredReport& report) {
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO reports (run_id, job_id, attempt, job_key, job_name, step, kind, "
            "lines_total, lines_covered, passed, failed, skipped, data, created_at) VALUES ($1, "
            "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
            "ON CONFLICT (job_id, step, kind) DO UPDATE SET lines_total = excluded.lines_total, "
            "lines_covered = excluded.lines_covered, passed = excluded.passed, "
            "failed = excluded.failed, skipped = excluded.skipped, data = excluded.data",
            {report.run_id, report.job_id, report.attempt, report.job_key, report.job_name,
             report.step, report.kind, report.lines_total, report.lines_covered, report.passed,
             report.failed, report.skipped, report.data, sql::OrNow(report.created_at)})
        .status();
  });
}

core::Result<std::vector<StoredReport>> SqlStore::ListReports(Id run_id, const std::string& kind) {
  std::vector<StoredReport> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(conn,
                        std::string("SELECT ") + kReportColumns +
                            " FROM reports WHERE run_id = $1 AND ($2 = '' OR kind = $2) "
                            "ORDER BY id",
                        {run_id, kind}, ReportFrom, &out);
  }));
  return out;
}

core::Result<std::vector<Run>> SqlStore::ListRunsWithReports(Id project_id, const std::string& ref,
                                                             const std::string& kind, Id before,
                                                             int limit) {
  std::vector<Run> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        std::string("SELECT ") + sql::kRunColumns +
            " FROM runs WHERE project_id = $1 AND ref = $2 AND status = 'completed' AND "
            "($3 = 0 OR id < $3) AND EXISTS (SELECT 1 FROM reports p WHERE p.run_id = runs.id "
            "AND p.kind = $4) ORDER BY id DESC LIMIT $5",
        {project_id, ref, before, kind, limit}, sql::RunFrom, &out);
  }));
  return out;
}

core::Status SqlStore::RecordFindings(Id project_id, const std::string& branch, Id run_id,
                                      const std::vector<SecurityFinding>& findings,
                                      const std::vector<std::string>& tools, int64_t now) {
  now = sql::OrNow(now);
  return Write([&](Connection& conn) {
    for (const SecurityFinding& f : findings) {
      // Seen again by a run no older than the last to see or fix it: open (once more).
      GANTRY_RETURN_IF_ERROR(
          conn.Exec(
                  "INSERT INTO findings (project_id, branch, fingerprint, tool, rule_id, severity, "
                  "message, file, line, state, first_seen_run_id, last_seen_run_id, "
                  "fixed_run_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', "
                  "$10, $10, NULL, $11) ON CONFLICT (project_id, branch, fingerprint) DO UPDATE "
                  "SET state = 'open', last_seen_run_id = excluded.last_seen_run_id, "
                  "fixed_run_id = NULL, severity = excluded.severity, "
                  "message = excluded.message, file = excluded.file, line = excluded.line, "
                  "updated_at = excluded.updated_at "
                  "WHERE findings.last_seen_run_id <= excluded.last_seen_run_id AND "
                  "COALESCE(findings.fixed_run_id, 0) <= excluded.last_seen_run_id",
                  {project_id, branch, f.fingerprint, f.tool, f.rule_id, f.severity, f.message,
                   f.file, f.line, run_id, now})
              .status());
    }
    auto fix = [&](const Params& params, const std::string& tool_clause) {
      return conn
          .Exec(
              "UPDATE findings SET state = 'fixed', fixed_run_id = $3, updated_at = $4 "
              "WHERE project_id = $1 AND branch = $2 AND state = 'open' AND "
              "last_seen_run_id < $3" +
                  tool_clause,
              params)
          .status();
    };
    if (tools.empty()) return fix({project_id, branch, run_id, now}, "");
    for (const std::string& tool : tools) {
      GANTRY_RETURN_IF_ERROR(fix({project_id, branch, run_id, now, tool}, " AND tool = $5"));
    }
    return core::Status::Ok();
  });
}

core::Result<std::vector<SecurityFinding>> SqlStore::ListFindings(Id project_id,
                                                                  const std::string& branch,
                                                                  const std::string& state) {
  std::vector<SecurityFinding> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        std::string("SELECT ") + kFindingColumns +
            " FROM findings WHERE project_id = $1 AND branch = $2 AND ($3 = '' OR state = $3) "
            "ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' "
            "THEN 2 WHEN 'low' THEN 3 ELSE 4 END, id",
        {project_id, branch, state}, FindingFrom, &out);
  }));
  return out;
}

}  // namespace gantry::store
