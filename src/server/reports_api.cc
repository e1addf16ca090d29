#include "server/reports_api.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "reports/report.h"
#include "server/run_comment.h"
#include "server/run_derived.h"

namespace gantry::server {
namespace {

using nlohmann::json;

constexpr std::string_view kSeverities[] = {"critical", "high", "medium", "low", "note"};
constexpr int kDefaultTrendLimit = 30;
constexpr int64_t kMaxTrendLimit = 200;

double Round2(double v) { return std::round(v * 100.0) / 100.0; }

double PercentOf(int64_t covered, int64_t total) {
  return total == 0 ? 100.0 : 100.0 * static_cast<double>(covered) / static_cast<double>(total);
}

json SeverityCounts() {
  json counts = json::object();
  for (std::string_view s : kSeverities) counts[std::string(s)] = 0;
  return counts;
}

void CountSeverity(json& counts, const std::string& severity) {
  std::string key = counts.contains(severity) ? severity : "note";
  counts[key] = counts[key].get<int64_t>() + 1;
}

json Parsed(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

// The reports of attempt `attempt`: per job, step and kind the one of the newest attempt up to
// it (a re-run of failed jobs keeps the reports of the jobs it did not run again).
std::vector<store::StoredReport> ReportsOfAttempt(const std::vector<store::StoredReport>& all,
                                                  int attempt) {
  std::map<std::tuple<std::string, int, std::string>, const store::StoredReport*> latest;
  for (const store::StoredReport& r : all) {
    if (r.attempt > attempt) continue;
    auto& slot = latest[{r.job_key, r.step, r.kind}];
    if (slot == nullptr || slot->attempt <= r.attempt) slot = &r;
  }
  std::vector<store::StoredReport> out;
  out.reserve(latest.size());
  for (const auto& [key, r] : latest) out.push_back(*r);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

// Line coverage of a set of reports: files merged by path (a file several jobs cover counts
// the most lines any of them covered, as the reports carry no per-line data).
struct Coverage {
  int64_t total = 0, covered = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> files;  // path -> total, covered
  double percent() const { return Round2(PercentOf(covered, total)); }
};

std::optional<Coverage> CoverageOf(const std::vector<store::StoredReport>& reports) {
  Coverage c;
  int n = 0;
  for (const store::StoredReport& r : reports) {
    if (r.kind != reports::kCoverageKind) continue;
    auto parsed = reports::CoverageFromJson(r.data);
    if (!parsed.ok()) continue;
    ++n;
    c.total += parsed->lines_total;
    c.covered += parsed->lines_covered;
    for (const reports::FileCoverage& f : parsed->files) {
      auto& [t, cov] = c.files[f.path];
      t = std::max(t, f.lines_total);
      cov = std::max(cov, f.lines_covered);
    }
  }
  if (n == 0) return std::nullopt;
  if (n > 1 && !c.files.empty()) {
    c.total = 0;
    c.covered = 0;
    for (const auto& [path, tc] : c.files) {
      c.total += tc.first;
      c.covered += tc.second;
    }
  }
  return c;
}

std::string PullRequestField(const store::Run& run, const char* side) {
  if (run.event.rfind("pull_request", 0) != 0) return "";
  json payload = Parsed(run.event_payload);
  if (!payload.is_object() || !payload.contains("pull_request")) return "";
  const json& pr = payload["pull_request"];
  if (!pr.is_object() || !pr.contains(side) || !pr[side].is_object()) return "";
  const json& ref = pr[side].value("ref", json());
  return ref.is_string() ? ref.get<std::string>() : "";
}

// The ref whose runs a run's coverage is compared with: a pull request's base branch, else the
// project's default branch.
std::string BaseRef(ApiContext& ctx, const store::Run& run) {
  std::string base = PullRequestField(run, "base");
  if (base.empty()) {
    auto project = ctx.store->GetProject(run.project_id);
    if (project.ok()) base = project->default_branch;
  }
  return base.empty() ? "" : "refs/heads/" + base;
}

core::Result<std::optional<Coverage>> RunCoverage(ApiContext& ctx, const store::Run& run,
                                                  int attempt) {
  auto all = ctx.store->ListReports(run.id, std::string(reports::kCoverageKind));
  if (!all.ok()) return all.status();
  return CoverageOf(ReportsOfAttempt(all.value(), attempt));
}

core::Result<json> CoverageJson(ApiContext& ctx, const store::Run& run,
                                const std::vector<store::StoredReport>& reports) {
  std::optional<Coverage> cov = CoverageOf(reports);
  if (!cov) return json(nullptr);
  json out = {{"percent", cov->percent()},
              {"lines_total", cov->total},
              {"lines_covered", cov->covered},
              {"base", nullptr},
              {"delta", nullptr}};
  std::optional<Coverage> base_cov;
  std::string base_ref = BaseRef(ctx, run);
  if (!base_ref.empty()) {
    auto base = ctx.store->ListRunsWithReports(run.project_id, base_ref,
                                               std::string(reports::kCoverageKind), run.id, 1);
    if (!base.ok()) return base.status();
    if (!base->empty()) {
      const store::Run& b = base->front();
      auto bc = RunCoverage(ctx, b, b.attempt);
      if (!bc.ok()) return bc.status();
      base_cov = std::move(bc).value();
      if (base_cov) {
        out["base"] = {{"run_id", b.id},
                       {"number", b.number},
                       {"branch", ReportBranch(b)},
                       {"percent", base_cov->percent()}};
        out["delta"] = Round2(cov->percent() - base_cov->percent());
      }
    }
  }
  json files = json::array();
  for (const auto& [path, tc] : cov->files) {
    double percent = Round2(PercentOf(tc.second, tc.first));
    json f = {{"path", path},
              {"lines_total", tc.first},
              {"lines_covered", tc.second},
              {"percent", percent},
              {"delta", nullptr}};
    if (base_cov) {
      auto it = base_cov->files.find(path);
      if (it != base_cov->files.end()) {
        f["delta"] = Round2(percent - Round2(PercentOf(it->second.second, it->second.first)));
      }
    }
    files.push_back(std::move(f));
  }
  out["files"] = std::move(files);
  return out;
}

using CaseKey = std::tuple<std::string, std::string, std::string>;  // suite, classname, name

json TestsJson(const std::vector<store::StoredReport>& reports,
               const std::vector<store::StoredReport>& all, int attempt) {
  int64_t passed = 0, failed = 0, skipped = 0;
  double seconds = 0;
  json failures = json::array();
  int n = 0;
  for (const store::StoredReport& r : reports) {
    if (r.kind != reports::kTestsKind) continue;
    auto parsed = reports::TestsFromJson(r.data);
    if (!parsed.ok()) continue;
    ++n;
    passed += parsed->passed;
    failed += parsed->failed;
    skipped += parsed->skipped;
    seconds += parsed->seconds;
    for (const reports::TestCase& c : parsed->cases) {
      if (c.status != reports::TestStatus::kFailed) continue;
      failures.push_back({{"job", r.job_name},
                          {"suite", c.suite},
                          {"classname", c.classname},
                          {"name", c.name},
                          {"file", c.file},
                          {"message", c.message},
                          {"details", c.details}});
    }
  }
  if (n == 0) return nullptr;
  // Flaky: failed in some attempt and passed in the same or a later one (another job of the
  // same attempt, or the re-run).
  std::map<CaseKey, int> first_failed;  // the earliest attempt it failed in
  std::map<CaseKey, int> last_passed;   // the latest attempt it passed in
  for (const store::StoredReport& r : all) {
    if (r.kind != reports::kTestsKind || r.attempt > attempt) continue;
    auto parsed = reports::TestsFromJson(r.data);
    if (!parsed.ok()) continue;
    for (const reports::TestCase& c : parsed->cases) {
      CaseKey key{c.suite, c.classname, c.name};
      if (c.status == reports::TestStatus::kFailed) {
        auto [it, fresh] = first_failed.emplace(key, r.attempt);
        if (!fresh) it->second = std::min(it->second, r.attempt);
      } else if (c.status == reports::TestStatus::kPassed) {
        auto [it, fresh] = last_passed.emplace(key, r.attempt);
        if (!fresh) it->second = std::max(it->second, r.attempt);
      }
    }
  }
  json flaky = json::array();
  for (const auto& [key, failed_in] : first_failed) {
    auto p = last_passed.find(key);
    if (p == last_passed.end() || p->second < failed_in) continue;
    flaky.push_back(
        {{"suite", std::get<0>(key)}, {"classname", std::get<1>(key)}, {"name", std::get<2>(key)}});
  }
  return {{"passed", passed},           {"failed", failed},     {"skipped", skipped},
          {"seconds", Round2(seconds)}, {"failures", failures}, {"flaky", flaky}};
}

// The findings reported by `reports`, one per fingerprint.
std::vector<reports::Finding> FindingsOf(const std::vector<store::StoredReport>& reports,
                                         bool* any) {
  std::vector<reports::Finding> out;
  std::set<std::string> seen;
  *any = false;
  for (const store::StoredReport& r : reports) {
    if (r.kind != reports::kSecurityKind) continue;
    auto parsed = reports::SecurityFromJson(r.data);
    if (!parsed.ok()) continue;
    *any = true;
    for (reports::Finding& f : parsed->findings) {
      if (seen.insert(f.fingerprint).second) out.push_back(std::move(f));
    }
  }
  return out;
}

core::Result<json> SecurityJson(ApiContext& ctx, const store::Run& run,
                                const std::vector<store::StoredReport>& reports) {
  bool any = false;
  std::vector<reports::Finding> findings = FindingsOf(reports, &any);
  if (!any) return json(nullptr);
  auto known = ctx.store->ListFindings(run.project_id, ReportBranch(run), "");
  if (!known.ok()) return known.status();
  std::map<std::string, const store::SecurityFinding*> by_fingerprint;
  for (const store::SecurityFinding& f : known.value()) by_fingerprint[f.fingerprint] = &f;
  // A pull request's new findings are those its base branch does not have open; a push's,
  // those this run saw first on its branch.
  std::optional<std::set<std::string>> base_open;
  if (!PullRequestField(run, "base").empty()) {
    auto open = ctx.store->ListFindings(run.project_id, PullRequestField(run, "base"), "open");
    if (!open.ok()) return open.status();
    base_open.emplace();
    for (const store::SecurityFinding& f : open.value()) base_open->insert(f.fingerprint);
  }
  json counts = SeverityCounts();
  json list = json::array();
  json fresh = json::array();
  for (const reports::Finding& f : findings) {
    CountSeverity(counts, f.severity);
    auto it = by_fingerprint.find(f.fingerprint);
    const store::SecurityFinding* k = it == by_fingerprint.end() ? nullptr : it->second;
    json j = {{"id", k ? json(k->id) : json(nullptr)},
              {"tool", f.tool},
              {"rule_id", f.rule_id},
              {"severity", f.severity},
              {"message", f.message},
              {"file", f.file},
              {"line", f.line},
              {"state", k ? k->state : "open"},
              {"first_seen_run_id", k ? k->first_seen_run_id : run.id}};
    bool is_new = base_open ? base_open->count(f.fingerprint) == 0
                            : (k == nullptr || k->first_seen_run_id == run.id);
    if (is_new) fresh.push_back(j);
    list.push_back(std::move(j));
  }
  return json{{"total", static_cast<int64_t>(findings.size())},
              {"by_severity", counts},
              {"new", fresh},
              {"findings", list}};
}

// ---- HTTP handlers ---------------------------------------------------------------------------

std::optional<Response> RunFor(ApiContext& ctx, const Request& r, const Principal& who,
                               store::Run* run) {
  auto id = ParseId(r.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such run");
  auto got = ctx.store->GetRun(*id);
  if (!got.ok()) return Response::Error(404, "not_found", "no such run");
  ProjectAccess access;
  if (auto e = RequireProjectId(ctx, who, got.value().project_id, "viewer", &access)) {
    if (e->status == 404) return Response::Error(404, "not_found", "no such run");
    return e;
  }
  *run = got.value();
  return std::nullopt;
}

Response RunReports(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  if (auto e = RunFor(ctx, r, who, &run)) return *e;
  int attempt = run.attempt;
  if (auto a = r.Query("attempt")) {
    auto n = ParseId(*a);
    if (!n || *n > run.attempt) {
      return Response::Error(400, "invalid",
                             "attempt must be a number from 1 to " + std::to_string(run.attempt),
                             "attempt");
    }
    attempt = static_cast<int>(*n);
  }
  auto body = RunReportsJson(ctx, run, attempt);
  if (!body.ok()) return StoreError(body.status());
  return Response::Json(200, Dump(body.value()));
}

Response RunComment(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  if (auto e = RunFor(ctx, r, who, &run)) return *e;
  auto body = RunCommentMarkdown(ctx, run.id);
  if (!body.ok()) return StoreError(body.status());
  return Response::Json(200, Dump({{"body", body.value()}}));
}

// The project, branch and limit of a project report request, or the error answer.
struct ProjectQuery {
  store::Project project;
  std::string branch;
  int limit = kDefaultTrendLimit;
};

std::optional<Response> ProjectQueryFor(ApiContext& ctx, const Request& r, const Principal& who,
                                        ProjectQuery* q) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, r.Param("owner"), r.Param("name"), "viewer", &access)) {
    return e;
  }
  q->project = access.project;
  q->branch = r.Query("branch").value_or(access.project.default_branch);
  if (q->branch.empty()) {
    return Response::Error(400, "invalid", "branch must not be empty", "branch");
  }
  if (auto l = r.Query("limit")) {
    auto n = ParseId(*l);
    if (!n || *n > kMaxTrendLimit) {
      return Response::Error(400, "invalid",
                             "limit must be a number from 1 to " + std::to_string(kMaxTrendLimit),
                             "limit");
    }
    q->limit = static_cast<int>(*n);
  }
  return std::nullopt;
}

// "refs/heads/<branch>", or the ref itself when it is one (a tag's).
std::string RefOf(const std::string& branch) {
  return branch.rfind("refs/", 0) == 0 ? branch : "refs/heads/" + branch;
}

Response CoverageTrend(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectQuery q;
  if (auto e = ProjectQueryFor(ctx, r, who, &q)) return *e;
  auto runs = ctx.store->ListRunsWithReports(q.project.id, RefOf(q.branch),
                                             std::string(reports::kCoverageKind), 0, q.limit);
  if (!runs.ok()) return StoreError(runs.status());
  json points = json::array();
  for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
    auto cov = RunCoverage(ctx, *it, it->attempt);
    if (!cov.ok()) return StoreError(cov.status());
    if (!cov.value()) continue;
    points.push_back({{"run_id", it->id},
                      {"number", it->number},
                      {"sha", it->sha},
                      {"created_at", TimeJson(it->created_at)},
                      {"percent", cov.value()->percent()}});
  }
  return Response::Json(200, Dump({{"branch", q.branch}, {"points", points}}));
}

Response SecurityFindings(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectQuery q;
  if (auto e = ProjectQueryFor(ctx, r, who, &q)) return *e;
  std::string state = r.Query("state").value_or("open");
  if (state != "open" && state != "fixed" && state != "all") {
    return Response::Error(400, "invalid", "state must be open, fixed or all", "state");
  }
  auto list = ctx.store->ListFindings(q.project.id, q.branch, state == "all" ? "" : state);
  if (!list.ok()) return StoreError(list.status());
  json findings = json::array();
  json counts = SeverityCounts();
  for (const store::SecurityFinding& f : list.value()) {
    CountSeverity(counts, f.severity);
    findings.push_back(
        {{"id", f.id},
         {"tool", f.tool},
         {"rule_id", f.rule_id},
         {"severity", f.severity},
         {"message", f.message},
         {"file", f.file},
         {"line", f.line},
         {"state", f.state},
         {"first_seen_run_id", f.first_seen_run_id},
         {"last_seen_run_id", f.last_seen_run_id},
         {"fixed_run_id", f.fixed_run_id == 0 ? json(nullptr) : json(f.fixed_run_id)}});
  }
  return Response::Json(200,
                        Dump({{"branch", q.branch}, {"findings", findings}, {"counts", counts}}));
}

Response SecurityTrend(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectQuery q;
  if (auto e = ProjectQueryFor(ctx, r, who, &q)) return *e;
  auto runs = ctx.store->ListRunsWithReports(q.project.id, RefOf(q.branch),
                                             std::string(reports::kSecurityKind), 0, q.limit);
  if (!runs.ok()) return StoreError(runs.status());
  json points = json::array();
  for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
    auto all = ctx.store->ListReports(it->id, std::string(reports::kSecurityKind));
    if (!all.ok()) return StoreError(all.status());
    bool any = false;
    // What a run reported is what was open on the branch after it.
    json open = SeverityCounts();
    for (const reports::Finding& f : FindingsOf(ReportsOfAttempt(all.value(), it->attempt), &any)) {
      CountSeverity(open, f.severity);
    }
    points.push_back({{"run_id", it->id},
                      {"number", it->number},
                      {"created_at", TimeJson(it->created_at)},
                      {"open", open}});
  }
  return Response::Json(200, Dump({{"branch", q.branch}, {"points", points}}));
}

}  // namespace

std::string ReportBranch(const store::Run& run) {
  std::string head = HeadBranch(run);
  return head.empty() ? run.ref : head;
}

core::Status StoreReport(ApiContext& ctx, const store::Job& job, int step, std::string_view kind,
                         const nlohmann::json& report) {
  auto run = ctx.store->GetRun(job.run_id);
  if (!run.ok()) return run.status();
  store::StoredReport row;
  row.run_id = job.run_id;
  row.job_id = job.id;
  row.attempt = job.attempt;
  row.job_key = job.job_id + "#" + std::to_string(job.instance);
  row.job_name = job.name;
  row.step = step;
  row.kind = std::string(kind);
  row.created_at = ctx.now_ms();
  const std::string text = Dump(report);
  std::vector<store::SecurityFinding> findings;
  std::vector<std::string> tools;
  if (kind == reports::kCoverageKind) {
    auto c = reports::CoverageFromJson(text);
    if (!c.ok()) return c.status();
    row.lines_total = c->lines_total;
    row.lines_covered = c->lines_covered;
    row.data = reports::ToJson(c.value());
  } else if (kind == reports::kTestsKind) {
    auto t = reports::TestsFromJson(text);
    if (!t.ok()) return t.status();
    row.passed = t->passed;
    row.failed = t->failed;
    row.skipped = t->skipped;
    row.data = reports::ToJson(t.value());
  } else if (kind == reports::kSecurityKind) {
    auto s = reports::SecurityFromJson(text);
    if (!s.ok()) return s.status();
    row.data = reports::ToJson(s.value());
    std::set<std::string> tool_set;
    for (const reports::Finding& f : s->findings) {
      store::SecurityFinding sf;
      sf.fingerprint = f.fingerprint;
      sf.tool = f.tool;
      sf.rule_id = f.rule_id;
      sf.severity = f.severity;
      sf.message = f.message;
      sf.file = f.file;
      sf.line = f.line;
      findings.push_back(std::move(sf));
      tool_set.insert(f.tool);
    }
    tools.assign(tool_set.begin(), tool_set.end());
  } else {
    return core::Status::InvalidArgument("kind must be coverage, tests or security");
  }
  GANTRY_RETURN_IF_ERROR(ctx.store->PutReport(row));
  if (kind == reports::kSecurityKind) {
    GANTRY_RETURN_IF_ERROR(ctx.store->RecordFindings(run->project_id, ReportBranch(run.value()),
                                                     run->id, findings, tools, ctx.now_ms()));
  }
  return core::Status::Ok();
}

core::Result<nlohmann::json> RunReportsJson(ApiContext& ctx, const store::Run& run, int attempt) {
  if (attempt <= 0) attempt = run.attempt;
  auto all = ctx.store->ListReports(run.id, "");
  if (!all.ok()) return all.status();
  std::vector<store::StoredReport> chosen = ReportsOfAttempt(all.value(), attempt);
  auto coverage = CoverageJson(ctx, run, chosen);
  if (!coverage.ok()) return coverage.status();
  auto security = SecurityJson(ctx, run, chosen);
  if (!security.ok()) return security.status();
  return json{{"coverage", std::move(coverage).value()},
              {"tests", TestsJson(chosen, all.value(), attempt)},
              {"security", std::move(security).value()}};
}

void AddReportRoutes(Router& router, ApiContext& ctx) {
  auto add = [&](const char* path, Response (*fn)(ApiContext&, Request&, const Principal&)) {
    router.Add("GET", path,
               Authed(ctx, [&ctx, fn](Request& r, const Principal& w) { return fn(ctx, r, w); }));
  };
  add("/api/v1/runs/{id}/reports", RunReports);
  add("/api/v1/runs/{id}/comment", RunComment);
  add("/api/v1/projects/{owner}/{name}/coverage", CoverageTrend);
  add("/api/v1/projects/{owner}/{name}/security", SecurityFindings);
  add("/api/v1/projects/{owner}/{name}/security/trend", SecurityTrend);
}

}  // namespace gantry::server
