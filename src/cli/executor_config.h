#pragma once

// The configuration file of `gantry executor` (docs/executors.md): what `gantry executor
// register` writes and `gantry executor run` reads, with the defaults both use.

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::cli {

/// The executor's registration: where its server is and how it identifies itself there.
struct ExecutorConfig {
  std::string url;                  // the server, e.g. "https://ci.example.org"
  std::string name;                 // as the server lists it
  std::string token;                // the executor token ("gne_..."): a credential
  std::vector<std::string> labels;  // what jobs' `runs-on` is matched against
  int capacity = 1;                 // jobs run at once
};

/// $GANTRY_EXECUTOR_CONFIG, else $XDG_CONFIG_HOME/gantry/executor.yml, else
/// $HOME/.config/gantry/executor.yml.
std::string DefaultExecutorConfigPath();

/// $XDG_DATA_HOME/gantry/executor, else $HOME/.local/share/gantry/executor.
std::string DefaultExecutorWorkDir();

/// The runner label GitHub uses for the architecture uname(2) calls `machine`: x64, arm64,
/// arm, x86; another machine name as it is, in lower case.
std::string ArchitectureLabel(std::string_view machine);

/// ArchitectureLabel of this machine.
std::string HostArchitectureLabel();

/// This machine's host name ("executor" when it has none).
std::string HostName();

/// self-hosted, linux and `arch`, then `extra` (each trimmed; empty ones and repeats, in any
/// case, dropped).
std::vector<std::string> ExecutorLabels(const std::string& arch,
                                        const std::vector<std::string>& extra);

/// The YAML text of `config` (keys url, name, token, labels, capacity).
std::string ExecutorConfigYaml(const ExecutorConfig& config);

/// Writes `config` to `path` atomically, readable by its owner only (0600 from its creation
/// on); creates the parent directories. Unavailable, naming the path, when it cannot.
core::Status WriteExecutorConfig(const std::string& path, const ExecutorConfig& config);

/// Reads the file at `path`. Errors start with "PATH: " (or "PATH:LINE: "): NotFound when
/// it does not exist (saying to run `gantry executor register` first), InvalidArgument for
/// bad YAML, a missing url or token, an unknown key or a bad value.
core::Result<ExecutorConfig> ReadExecutorConfig(const std::string& path);

}  // namespace gantry::cli
