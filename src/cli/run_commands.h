#pragma once

// `gantry run list|view|watch|rerun|cancel|approve|reject|download`: the client commands about
// runs, like `gh run …`, talking to a Gantry server only through its /api/v1 API (docs/cli.md).

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/client_output.h"
#include "core/status.h"

namespace gantry::cli {

/// Up to `limit` runs from `path` ("/api/v1/projects/o/n/runs?branch=main", its query without
/// limit and before), following the API's `next` cursor page by page (100 at most a page).
core::Result<nlohmann::json> FetchRuns(ApiClient& api, const std::string& path, int limit,
                                       std::string_view what);

/// The `run` commands, registered on an app; Run() runs the one that was parsed.
class RunCommands {
 public:
  /// Adds `run` and its subcommands to `app`.
  void Register(CLI::App& app);
  /// True when one of them was given on the command line.
  bool Parsed() const;
  /// Runs it; the exit code (0 ok, 1 failure or --exit-status of a failed run, 130 on Ctrl-C).
  int Run();

 private:
  int RunList(ApiClient& api);
  int RunView(ApiClient& api);
  int RunWatch(ApiClient& api);
  int RunRerun(ApiClient& api);
  int RunCancel(ApiClient& api);
  /// `run approve|reject ID --env E [-m COMMENT]`.
  int RunDecide(ApiClient& api, bool approve);
  int RunDownload(ApiClient& api);
  /// --log / --log-failed of `run view`.
  int PrintLogs(ApiClient& api, const nlohmann::json& run);

  /// The run a view or watch is about: `id_` when given, else the project's latest run
  /// (`in_progress`: the latest one queued or in progress).
  core::Result<int64_t> PickRun(ApiClient& api, bool in_progress);
  /// Prints "gantry: MESSAGE" for `status`; returns 1.
  int Fail(const core::Status& status);
  /// `--json [FIELDS]` was given: prints `value` (its fields); the exit code.
  int Json(const nlohmann::json& value);

  CLI::App* run_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* view_ = nullptr;
  CLI::App* watch_ = nullptr;
  CLI::App* rerun_ = nullptr;
  CLI::App* cancel_ = nullptr;
  CLI::App* approve_ = nullptr;
  CLI::App* reject_ = nullptr;
  CLI::App* download_ = nullptr;
  CLI::Option* json_opt_ = nullptr;  // the --json of the parsed subcommand

  std::string url_;      // --url (hidden: GANTRY_URL and hosts.yml are the usual ways)
  std::string project_;  // -p OWNER/NAME
  std::string id_;       // the run ID argument
  std::string json_fields_;
  // list
  std::string branch_, status_, workflow_, event_, user_;
  int limit_ = 20;
  // view
  std::string job_;
  bool log_ = false, log_failed_ = false, exit_status_ = false, verbose_ = false;
  // watch
  bool compact_ = false;
  // rerun
  bool failed_ = false;
  // approve, reject
  std::string env_, comment_;
  // download
  std::vector<std::string> names_;
  std::string dir_ = ".";

  OutputStyle style_;
};

}  // namespace gantry::cli
