#pragma once

// `gantry executor register` and `gantry executor run`: a job executor on another machine
// than the server (docs/executors.md). Settings from flags > GANTRY_EXECUTOR_* environment;
// `run` takes the server, token and labels from the file `register` wrote.

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/executor_config.h"
#include "core/status.h"
#include "executor/agent.h"
#include "executor/transport.h"

namespace gantry::cli {

/// The flags of `gantry executor register`.
struct ExecutorRegisterOptions {
  std::string url;                  // the server
  std::string token;                // the registration token
  std::string name;                 // "" = the host name
  std::vector<std::string> labels;  // added to self-hosted, linux and the architecture
  int capacity = 1;
  std::string config;    // "" = DefaultExecutorConfigPath()
  bool replace = false;  // overwrite an existing config file
};

/// The flags of `gantry executor run`.
struct ExecutorRunOptions {
  std::string config;            // "" = DefaultExecutorConfigPath()
  int capacity = 0;              // 0 = the config's
  std::string work_dir;          // "" = DefaultExecutorWorkDir()
  std::string backend = "host";  // host, sandbox or docker
  std::string docker_image;      // docker: the image of jobs without `container:`; "" = default
  bool keep_failed = false;
  int drain_timeout_seconds = 600;
  bool verbose = false;
};

/// Registers with the server through `transport` (that of options.url) and writes the config
/// file; prints what was registered (never the token) to `out`, errors to `err`. The exit
/// code: 0 ok, 1 when the server refused or could not be reached, 2 for unusable options
/// (an existing config file without options.replace).
int RunExecutorRegister(const ExecutorRegisterOptions& options, executor::Transport& transport,
                        const std::string& version, std::ostream& out, std::ostream& err);

/// The agent's options for `config` and the run flags. InvalidArgument for an unknown
/// --backend, or a --docker-image without --backend docker.
core::Result<executor::AgentOptions> ExecutorAgentOptions(const ExecutorConfig& config,
                                                          const ExecutorRunOptions& options);

/// `gantry executor`, registered on `app`; Run() runs the subcommand that was parsed.
class ExecutorCommands {
 public:
  /// `version` is what register reports to the server.
  explicit ExecutorCommands(std::string version) : version_(std::move(version)) {}
  /// Adds `executor` with `register` and `run` to `app`.
  void Register(CLI::App& app);
  /// True when `gantry executor ...` was given.
  bool Parsed() const;
  /// Runs it; the exit code (0 ok, 1 failure, 2 usage or configuration errors, 130 when the
  /// running jobs were cancelled by a second signal or the drain timeout).
  int Run();

 private:
  int RunRegister();
  int RunAgent();

  std::string version_;
  CLI::App* executor_ = nullptr;
  CLI::App* register_ = nullptr;
  CLI::App* run_ = nullptr;
  ExecutorRegisterOptions register_options_;
  ExecutorRunOptions run_options_;
};

}  // namespace gantry::cli
