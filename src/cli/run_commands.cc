#include "cli/run_commands.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "backend/docker/http.h"
#include "cli/client_config.h"
#include "cli/markdown_terminal.h"
#include "cli/run_render.h"
#include "executor/artifact_zip.h"

namespace gantry::cli {
namespace {

using backend::docker::UrlEncode;
using nlohmann::json;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "/api/v1/projects/acme/web" for "acme/web".
std::string ProjectPath(const std::string& project) {
  size_t slash = project.find('/');
  return "/api/v1/projects/" + UrlEncode(project.substr(0, slash)) + "/" +
         UrlEncode(project.substr(slash + 1));
}

core::Result<int64_t> ParseRunId(const std::string& text, const char* what) {
  int64_t id = 0;
  bool digits = !text.empty() && text.size() < 19 &&
                text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) id = std::stoll(text);
  if (!digits || id <= 0) {
    return core::Status::InvalidArgument(std::string("invalid ") + what + " '" + text +
                                         "': expected a number (see gantry run list)");
  }
  return id;
}

void AddJsonOption(CLI::App* cmd, std::string& fields, CLI::Option** out) {
  *out = cmd->add_option("--json", fields,
                         "print JSON instead of text; with FIELDS (comma-separated), only those "
                         "fields")
             ->expected(0, 1)
             ->type_name("[FIELDS]");
}

}  // namespace

core::Result<json> FetchRuns(ApiClient& api, const std::string& path, int limit,
                             std::string_view what) {
  json runs = json::array();
  json next = nullptr;
  const char* sep = path.find('?') == std::string::npos ? "?" : path.back() == '?' ? "" : "&";
  do {
    int want = std::min(100, limit - static_cast<int>(runs.size()));
    std::string page_path = path + sep + "limit=" + std::to_string(want) +
                            (next.is_null() ? "" : "&before=" + next.dump());
    auto page = api.Get(page_path, what);
    if (!page.ok()) return page.status();
    for (const json& run : page.value().value("runs", json::array())) {
      if (static_cast<int>(runs.size()) < limit) runs.push_back(run);
    }
    next = page.value().value("next", json());
  } while (!next.is_null() && static_cast<int>(runs.size()) < limit);
  return runs;
}

void RunCommands::Register(CLI::App& app) {
  run_ = app.add_subcommand("run",
                            "List, view, watch, re-run, cancel, approve and download runs of a "
                            "Gantry server (like `gh run`)");
  run_->require_subcommand(1);
  run_->fallthrough();
  run_->add_option("--url", url_, "the server (default: GANTRY_URL, else hosts.yml's default)")
      ->group("");
  run_->footer(
      "The server and token come from GANTRY_URL/GANTRY_TOKEN or `gantry auth login`; the "
      "project from -p, GANTRY_PROJECT or the git remote `origin`. See docs/cli.md.\n\n"
      "Examples:\n  gantry run list -p acme/web\n  gantry run watch --exit-status\n"
      "  gantry run view 12 --log-failed");

  list_ = run_->add_subcommand("list", "List recent runs of a project, newest first");
  list_->add_option("-p,--project", project_, "OWNER/NAME (default: GANTRY_PROJECT or git origin)");
  list_->add_option("-b,--branch", branch_, "only runs of this branch");
  list_->add_option("-s,--status", status_,
                    "only runs with this status or conclusion: queued, in_progress, completed, "
                    "success, failure, cancelled, ...");
  list_->add_option("-w,--workflow", workflow_, "only runs of this workflow file (ci.yml)");
  list_->add_option("-e,--event", event_, "only runs triggered by this event (push, ...)");
  list_->add_option("-u,--user", user_, "only runs triggered by this user");
  list_->add_option("-L,--limit", limit_, "how many runs to list (default 20)")
      ->check(CLI::Range(1, 1000));
  CLI::Option* list_json = nullptr;
  AddJsonOption(list_, json_fields_, &list_json);
  list_->footer(
      "Examples:\n  gantry run list -p acme/web\n  gantry run list -b main -s failure -L 50\n"
      "  gantry run list --json id,status,conclusion");

  view_ = run_->add_subcommand("view",
                               "Show a run: jobs, steps, annotations, artifacts and "
                               "step summaries, or its logs");
  view_->add_option("ID", id_, "the run (default: the project's latest run)");
  view_->add_option("-p,--project", project_, "OWNER/NAME, for the latest run");
  view_->add_option("-j,--job", job_, "show only this job (its ID) and its steps");
  view_->add_flag("--log", log_, "print the logs (JOB<TAB>STEP<TAB>LINE)");
  view_->add_flag("--log-failed", log_failed_, "print the logs of the failed steps only");
  view_->add_flag("--exit-status", exit_status_, "exit 1 when the run failed");
  view_->add_flag("-v,--verbose", verbose_, "show every job's steps");
  CLI::Option* view_json = nullptr;
  AddJsonOption(view_, json_fields_, &view_json);
  view_->footer(
      "Examples:\n  gantry run view 12\n  gantry run view 12 -v\n  gantry run view 12 --job 34\n"
      "  gantry run view 12 --log-failed\n  gantry run view --exit-status -p acme/web && echo ok\n"
      "  gantry run view 12 --json status,conclusion,jobs");

  watch_ = run_->add_subcommand("watch", "Follow a run live until it completes");
  watch_->add_option("ID", id_, "the run (default: the project's latest run in progress)");
  watch_->add_option("-p,--project", project_, "OWNER/NAME, for the latest run");
  watch_->add_flag("--exit-status", exit_status_, "exit 1 when the run does not succeed");
  watch_->add_flag("--compact", compact_,
                   "show only jobs, and the steps of running and failed jobs");
  watch_->footer(
      "On a terminal the view is redrawn in place, with the running step's last log lines; "
      "otherwise one line is printed per change.\n\nExamples:\n  gantry run watch 12\n"
      "  gantry run watch --exit-status && ./deploy.sh\n  gantry run watch 12 --compact");

  rerun_ = run_->add_subcommand("rerun", "Start a new attempt of a completed run");
  rerun_->add_option("ID", id_, "the run");
  rerun_->add_flag("--failed", failed_,
                   "re-run only the failed and cancelled jobs (and what "
                   "needs them)");
  rerun_->add_option("-j,--job", job_, "re-run this job (its ID) and the jobs that need it");
  rerun_->footer(
      "Examples:\n  gantry run rerun 12\n  gantry run rerun 12 --failed\n"
      "  gantry run rerun --job 34");

  cancel_ = run_->add_subcommand("cancel", "Cancel a queued or running run");
  cancel_->add_option("ID", id_, "the run")->required();
  cancel_->footer("Example:\n  gantry run cancel 12");

  for (bool approve : {true, false}) {
    CLI::App* sub = run_->add_subcommand(
        approve ? "approve" : "reject",
        approve ? "Approve a run's jobs waiting for an environment's reviewers"
                : "Reject a run's jobs waiting for an environment's reviewers (they fail)");
    sub->add_option("ID", id_, "the run")->required();
    sub->add_option("-e,--env", env_, "the environment, e.g. production")->required();
    sub->add_option("-m,--comment", comment_, "a comment recorded with the decision");
    sub->footer(approve ? "Only a reviewer of the environment (or an admin) may decide.\n\n"
                          "Examples:\n  gantry run approve 12 --env production\n"
                          "  gantry run approve 12 --env staging -m 'smoke tests look fine'"
                        : "Only a reviewer of the environment (or an admin) may decide.\n\n"
                          "Examples:\n  gantry run reject 12 --env production\n"
                          "  gantry run reject 12 --env production -m 'not during the freeze'");
    (approve ? approve_ : reject_) = sub;
  }

  download_ = run_->add_subcommand("download", "Download a run's artifacts and unzip them");
  download_->add_option("ID", id_, "the run")->required();
  download_->add_option("-n,--name", names_, "only this artifact (repeatable)");
  download_->add_option("-D,--dir", dir_, "where to put them (default: the current directory)");
  download_->footer(
      "Each artifact goes into DIR/NAME; with exactly one -n, straight into DIR (as gh does).\n\n"
      "Examples:\n  gantry run download 12\n  gantry run download 12 -n bundle -D out/");

  // The --json of whichever command was parsed.
  list_->parse_complete_callback([this, list_json] { json_opt_ = list_json; });
  view_->parse_complete_callback([this, view_json] { json_opt_ = view_json; });
}

bool RunCommands::Parsed() const { return run_ != nullptr && run_->parsed(); }

int RunCommands::Fail(const core::Status& status) {
  std::cout.flush();
  std::cerr << "gantry: " << status.message() << "\n";
  return 1;
}

int RunCommands::Json(const json& value) {
  return PrintJson(std::cout, std::cerr, value, json_fields_) ? 0 : 1;
}

int RunCommands::Run() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status());
  ApiClient api(target.value());
  style_ = OutputStyle::Detect(STDOUT_FILENO);
  // `--json 12` on a view means the run 12 (gh's --json always takes fields).
  if (json_opt_ != nullptr && id_.empty() && !json_fields_.empty() &&
      json_fields_.find_first_not_of("0123456789") == std::string::npos) {
    id_ = json_fields_;
    json_fields_.clear();
  }
  if (*list_) return RunList(api);
  if (*view_) return RunView(api);
  if (*watch_) return RunWatch(api);
  if (*rerun_) return RunRerun(api);
  if (*cancel_) return RunCancel(api);
  if (*approve_) return RunDecide(api, true);
  if (*reject_) return RunDecide(api, false);
  if (*download_) return RunDownload(api);
  return 2;
}

core::Result<int64_t> RunCommands::PickRun(ApiClient& api, bool in_progress) {
  if (!id_.empty()) return ParseRunId(id_, "run ID");
  auto project = ResolveProject(project_);
  if (!project.ok()) return project.status();
  std::string base = ProjectPath(project.value()) + "/runs?limit=1";
  // A run waiting for its concurrency group (pending) or an approval (waiting) is in progress too.
  for (const char* status : {"in_progress", "waiting", "queued", "pending", ""}) {
    if (!in_progress && *status != '\0') continue;
    std::string path = base + (*status != '\0' ? std::string("&status=") + status : "");
    auto list = api.Get(path, "project " + project.value());
    if (!list.ok()) return list.status();
    const json& runs = list.value()["runs"];
    if (runs.is_array() && !runs.empty()) return runs[0].value("id", int64_t{0});
    if (in_progress && *status == 'p') break;
  }
  return core::Status::NotFound(std::string(in_progress ? "no run in progress" : "no runs") +
                                " in " + project.value() + ": pass a run ID");
}

int RunCommands::RunList(ApiClient& api) {
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status());
  std::string query;
  auto add = [&query](const char* key, const std::string& value) {
    if (!value.empty()) query += std::string("&") + key + "=" + UrlEncode(value);
  };
  add("branch", branch_);
  add("status", status_);
  add("workflow", workflow_);
  add("event", event_);
  add("actor", user_);
  std::string path = ProjectPath(project.value()) + "/runs?" + query.substr(query.empty() ? 0 : 1);
  auto fetched = FetchRuns(api, path, limit_, "project " + project.value());
  if (!fetched.ok()) return Fail(fetched.status());
  const json& runs = fetched.value();
  if (json_opt_ != nullptr && json_opt_->count() > 0) return Json(runs);
  if (runs.empty()) {
    std::cerr << "no runs found in " << project.value() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  int64_t now = NowMs();
  for (const json& run : runs) rows.push_back(RunListRow(style_, run, now));
  if (style_.tty) {
    // On a terminal the title gives way (as in gh), not the age at the end of the line.
    std::vector<int> widths(rows[0].size(), 0);
    for (size_t c = 0; c < widths.size(); ++c) widths[c] = DisplayWidth(RunListHeader()[c]);
    for (const auto& row : rows) {
      for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
    int others = 2 * static_cast<int>(widths.size() - 1);
    for (size_t c = 0; c < widths.size(); ++c) others += c == 1 ? 0 : widths[c];
    int room = std::max(12, style_.width - others - 1);
    for (auto& row : rows) row[1] = ClipToWidth(row[1], room);
  }
  PrintTable(std::cout, style_, RunListHeader(), rows);
  return 0;
}

int RunCommands::RunRerun(ApiClient& api) {
  if (!job_.empty()) {
    auto job = ParseRunId(job_, "job ID");
    if (!job.ok()) return Fail(job.status());
    std::string what = "job " + std::to_string(job.value());
    auto reply = api.Send("POST", "/api/v1/jobs/" + std::to_string(job.value()) + "/rerun",
                          json::object(), what);
    if (!reply.ok()) return Fail(reply.status());
    std::cout << Paint(style_, "green", "✓") << " Requested a re-run of " << what << " of run "
              << reply.value().value("id", int64_t{0}) << " (attempt "
              << reply.value().value("attempt", 0) << ")\n";
    return 0;
  }
  if (id_.empty()) return Fail(core::Status::InvalidArgument("rerun needs a run ID or --job ID"));
  auto id = ParseRunId(id_, "run ID");
  if (!id.ok()) return Fail(id.status());
  std::string what = "run " + std::to_string(id.value());
  auto reply = api.Send("POST", "/api/v1/runs/" + std::to_string(id.value()) + "/rerun",
                        json{{"failed_only", failed_}}, what);
  if (!reply.ok()) return Fail(reply.status());
  std::cout << Paint(style_, "green", "✓") << " Requested a re-run of "
            << (failed_ ? "the failed jobs of " : "") << what << " (attempt "
            << reply.value().value("attempt", 0) << ")\n";
  return 0;
}

int RunCommands::RunCancel(ApiClient& api) {
  auto id = ParseRunId(id_, "run ID");
  if (!id.ok()) return Fail(id.status());
  std::string what = "run " + std::to_string(id.value());
  auto reply =
      api.Send("POST", "/api/v1/runs/" + std::to_string(id.value()) + "/cancel", json(), what);
  if (!reply.ok()) return Fail(reply.status());
  std::cout << Paint(style_, "green", "✓") << " Request to cancel " << what << " submitted.\n";
  return 0;
}

int RunCommands::RunDecide(ApiClient& api, bool approve) {
  auto id = ParseRunId(id_, "run ID");
  if (!id.ok()) return Fail(id.status());
  std::string what = "run " + std::to_string(id.value());
  json body = {{"environment", env_}, {"approve", approve}, {"comment", comment_}};
  auto reply =
      api.Send("POST", "/api/v1/runs/" + std::to_string(id.value()) + "/approvals", body, what);
  if (!reply.ok()) return Fail(reply.status());
  std::cout << Paint(style_, "green", "✓") << (approve ? " Approved " : " Rejected ")
            << reply.value().value("environment", env_) << " for " << what << ".\n";
  return 0;
}

int RunCommands::RunDownload(ApiClient& api) {
  auto id = ParseRunId(id_, "run ID");
  if (!id.ok()) return Fail(id.status());
  std::string what = "run " + std::to_string(id.value());
  auto list = api.Get("/api/v1/runs/" + std::to_string(id.value()) + "/artifacts", what);
  if (!list.ok()) return Fail(list.status());
  const json artifacts = list.value().value("artifacts", json::array());
  std::set<std::string> wanted(names_.begin(), names_.end());
  for (const std::string& name : wanted) {
    bool found = std::any_of(artifacts.begin(), artifacts.end(),
                             [&name](const json& a) { return a.value("name", "") == name; });
    if (!found) {
      return Fail(core::Status::NotFound("no artifact named '" + name + "' in " + what));
    }
  }
  if (artifacts.empty()) return Fail(core::Status::NotFound("no artifacts in " + what));
  namespace fs = std::filesystem;
  int downloaded = 0;
  for (const json& a : artifacts) {
    std::string name = a.value("name", "");
    if (!wanted.empty() && wanted.count(name) == 0) continue;
    // Artifact names come from workflows: no path tricks.
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      return Fail(core::Status::InvalidArgument("refusing the artifact name '" + name + "'"));
    }
    int64_t aid = a.value("id", int64_t{0});
    auto zip = api.GetRaw("/api/v1/artifacts/" + std::to_string(aid) + "/zip", "artifact " + name);
    if (!zip.ok()) return Fail(zip.status());
    std::string dest = names_.size() == 1 ? dir_ : (fs::path(dir_) / name).string();
    std::error_code ec;
    fs::create_directories(dest, ec);
    std::string tmp =
        (fs::path(dest) / (".gantry-download-" + std::to_string(aid) + ".zip")).string();
    {
      std::ofstream out(tmp, std::ios::binary);
      out << zip.value().body;
      if (!out) return Fail(core::Status::Internal("cannot write " + tmp));
    }
    core::Status unzipped = executor::UnzipToDirectory(tmp, dest);
    fs::remove(tmp, ec);
    if (!unzipped.ok()) return Fail(unzipped);
    std::cout << Paint(style_, "green", "✓") << " Downloaded " << name << " to " << dest << "\n";
    ++downloaded;
  }
  return downloaded > 0 ? 0 : 1;
}

}  // namespace gantry::cli
