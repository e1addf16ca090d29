#pragma once

// Credentials of the client commands: per host in ~/.config/gantry/hosts.yml (mode 0600; the
// directory follows $XDG_CONFIG_HOME, or $GANTRY_CONFIG_DIR when set), overridden by
// GANTRY_URL and GANTRY_TOKEN.
//
//   default: http://127.0.0.1:8080        # the host used when no --url/GANTRY_URL is given
//   hosts:
//     http://127.0.0.1:8080:
//       user: alice
//       token: gnt_...
//       token_id: 7                     # set when `gantry auth login` created the token

#include <cstdint>
#include <map>
#include <string>

#include "cli/api_client.h"
#include "core/status.h"

namespace gantry::cli {

/// One logged-in host.
struct HostCredentials {
  std::string user;
  std::string token;
  int64_t token_id = 0;  // the id of the personal access token `gantry auth login` created
                         // (revoked by `gantry auth logout`); 0 for a token given by the user
};

/// The parsed hosts.yml.
struct ClientConfig {
  std::string default_url;
  std::map<std::string, HostCredentials> hosts;  // by normalized URL
};

/// The hosts.yml path: $GANTRY_CONFIG_DIR/hosts.yml, else $XDG_CONFIG_HOME/gantry/hosts.yml,
/// else $HOME/.config/gantry/hosts.yml.
std::string ClientConfigPath();

/// Reads hosts.yml (an empty config when the file does not exist; InvalidArgument
/// "PATH:LINE:COL: message" when it is malformed).
core::Result<ClientConfig> LoadClientConfig(const std::string& path);
/// Writes hosts.yml atomically with mode 0600 (the directory 0700), creating directories.
core::Status SaveClientConfig(const std::string& path, const ClientConfig& config);

/// "http://127.0.0.1:8080/" → "http://127.0.0.1:8080"; a bare "host:port" gets https://
/// (http:// for loopback). InvalidArgument for anything that is not an http(s) URL.
core::Result<std::string> NormalizeServerUrl(const std::string& url);

/// The target of a client command: the URL from `flag_url`, else GANTRY_URL, else the
/// config's default, else "http://127.0.0.1:8080"; the token from GANTRY_TOKEN, else the
/// config's entry for that URL, else "".
core::Result<ClientTarget> ResolveTarget(const std::string& flag_url);

/// The project ("owner/name") a command is about: `flag` (-p/--project) when given, else
/// GANTRY_PROJECT, else the owner/name at the end of the current git repository's `origin`
/// URL (".../acme/web.git" → "acme/web"). InvalidArgument "no project given: pass
/// -p OWNER/NAME or set GANTRY_PROJECT" when none applies or the value is not OWNER/NAME.
core::Result<std::string> ResolveProject(const std::string& flag);

}  // namespace gantry::cli
