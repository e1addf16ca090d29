#pragma once

// `gantry server` (settings from flags > GANTRY_* environment > --config file), `gantry
// migrate`, and `gantry hook post-receive URL SECRET` for plain git servers.

#include <CLI/CLI.hpp>
#include <string>

#include "server/app.h"

namespace gantry::cli {

/// The server's commands, registered on `app`; Run() runs the one that was parsed.
class ServerCommands {
 public:
  /// Adds `server`, `migrate` and `hook` to `app`.
  void Register(CLI::App& app);
  /// True when one of them was given on the command line.
  bool Parsed() const;
  /// Runs it; the exit code (0 ok, 1 failure, 2 usage).
  int Run();

 private:
  int RunServer();
  int RunMigrate();
  int RunHook();

  CLI::App* server_ = nullptr;
  CLI::App* migrate_ = nullptr;
  CLI::App* hook_ = nullptr;
  server::ServerConfig config_;
  std::string config_file_;
  std::string signup_ = "open";
  std::string embedded_ = "true";
  std::string migrate_db_;
  std::string hook_url_, hook_secret_;
};

}  // namespace gantry::cli
