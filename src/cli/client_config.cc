// hosts.yml and the resolution of the server, token and project of a client command.

#include "cli/client_config.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "cli/git_context.h"
#include "core/files.h"

namespace gantry::cli {
namespace {

using core::Result;
using core::Status;

constexpr const char* kDefaultUrl = "http://127.0.0.1:8080";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string At(const std::string& path, const YAML::Mark& mark) {
  if (mark.line < 0) return path + ": ";
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

Result<std::string> Scalar(const std::string& path, const YAML::Node& node,
                           const std::string& key) {
  if (!node.IsScalar()) {
    return Status::InvalidArgument(At(path, node.Mark()) + key + ": expected a string");
  }
  return node.Scalar();
}

bool ValidSlug(std::string_view s) {
  if (s.empty() || s.front() == '.') return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

bool ValidProject(std::string_view full) {
  size_t slash = full.find('/');
  return slash != std::string_view::npos && ValidSlug(full.substr(0, slash)) &&
         ValidSlug(full.substr(slash + 1));
}

Result<HostCredentials> ReadHost(const std::string& path, const YAML::Node& node) {
  if (!node.IsMap()) {
    return Status::InvalidArgument(At(path, node.Mark()) + "expected a mapping of user, token");
  }
  HostCredentials host;
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (key == "user" || key == "token") {
      auto text = Scalar(path, entry.second, key);
      if (!text.ok()) return text.status();
      (key == "user" ? host.user : host.token) = *text;
    } else if (key == "token_id") {
      try {
        host.token_id = entry.second.as<int64_t>();
      } catch (const YAML::Exception&) {
        return Status::InvalidArgument(At(path, entry.second.Mark()) +
                                       "token_id: expected a number");
      }
    } else {
      return Status::InvalidArgument(At(path, entry.first.Mark()) + "unknown key '" + key +
                                     "' (known: user, token, token_id)");
    }
  }
  return host;
}

}  // namespace

std::string ClientConfigPath() {
  if (std::string dir = Env("GANTRY_CONFIG_DIR"); !dir.empty()) return dir + "/hosts.yml";
  if (std::string xdg = Env("XDG_CONFIG_HOME"); !xdg.empty()) return xdg + "/gantry/hosts.yml";
  return Env("HOME") + "/.config/gantry/hosts.yml";
}

Result<ClientConfig> LoadClientConfig(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return ClientConfig{};
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's what() repeats the position; its message alone reads better after ours.
    return Status::InvalidArgument(At(path, e.mark) + e.msg);
  }
  ClientConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) {
    return Status::InvalidArgument(At(path, root.Mark()) + "expected a mapping of default, hosts");
  }
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (key == "default") {
      auto url = Scalar(path, entry.second, key);
      if (!url.ok()) return url.status();
      config.default_url = *url;
    } else if (key == "hosts") {
      if (entry.second.IsNull()) continue;
      if (!entry.second.IsMap()) {
        return Status::InvalidArgument(At(path, entry.second.Mark()) +
                                       "hosts: expected a mapping of URL to user and token");
      }
      for (const auto& host : entry.second) {
        auto creds = ReadHost(path, host.second);
        if (!creds.ok()) return creds.status();
        auto url = NormalizeServerUrl(host.first.Scalar());
        config.hosts[url.ok() ? *url : host.first.Scalar()] = std::move(creds).value();
      }
    } else {
      return Status::InvalidArgument(At(path, entry.first.Mark()) + "unknown key '" + key +
                                     "' (known: default, hosts)");
    }
  }
  return config;
}

Status SaveClientConfig(const std::string& path, const ClientConfig& config) {
  YAML::Emitter out;
  out << YAML::Comment(
      "gantry: written by `gantry auth`. The tokens are credentials: keep this file mode 0600.");
  out << YAML::Newline << YAML::BeginMap;
  if (!config.default_url.empty()) {
    out << YAML::Key << "default" << YAML::Value << config.default_url;
  }
  out << YAML::Key << "hosts" << YAML::Value << YAML::BeginMap;
  for (const auto& [url, host] : config.hosts) {
    out << YAML::Key << url << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "user" << YAML::Value << host.user;
    out << YAML::Key << "token" << YAML::Value << host.token;
    if (host.token_id != 0) out << YAML::Key << "token_id" << YAML::Value << host.token_id;
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return Status::Unavailable(dir.string() + ": cannot create: " + ec.message());
      ::chmod(dir.c_str(), 0700);
    }
  }
  Status st =
      core::WriteFileAtomically(path, std::string(out.c_str()) + "\n", core::FileMode::kPrivate);
  if (!st.ok()) return Status::Unavailable(path + ": " + st.message());
  return Status::Ok();
}

Result<std::string> NormalizeServerUrl(const std::string& url) {
  std::string u = url;
  while (!u.empty() && std::isspace(static_cast<unsigned char>(u.back()))) u.pop_back();
  while (!u.empty() && std::isspace(static_cast<unsigned char>(u.front()))) u.erase(0, 1);
  if (u.empty()) return Status::InvalidArgument("the server URL is empty");
  size_t scheme = u.find("://");
  if (scheme == std::string::npos) {
    u = (IsLoopbackHost(UrlHost(u)) ? "http://" : "https://") + u;
  } else {
    std::string s = u.substr(0, scheme);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s != "http" && s != "https") {
      return Status::InvalidArgument("'" + url + "' is not an http:// or https:// URL");
    }
    u = s + u.substr(scheme);
  }
  size_t host_start = u.find("://") + 3;
  while (u.size() > host_start && u.back() == '/') u.pop_back();
  if (UrlHost(u).empty() || u.find_first_of("?# ") != std::string::npos) {
    return Status::InvalidArgument("'" + url + "' is not a server URL: use http(s)://HOST[:PORT]");
  }
  return u;
}

Result<ClientTarget> ResolveTarget(const std::string& flag_url) {
  std::string path = ClientConfigPath();
  auto config = LoadClientConfig(path);
  if (!config.ok()) return config.status();
  std::string raw = flag_url;
  if (raw.empty()) raw = Env("GANTRY_URL");
  if (raw.empty()) raw = config->default_url;
  if (raw.empty()) raw = kDefaultUrl;
  auto url = NormalizeServerUrl(raw);
  if (!url.ok()) return url.status();
  ClientTarget target;
  target.url = *url;
  if (std::string token = Env("GANTRY_TOKEN"); !token.empty()) {
    target.token = token;
    target.source = "GANTRY_TOKEN";
  } else if (auto it = config->hosts.find(target.url); it != config->hosts.end()) {
    target.token = it->second.token;
    target.source = path;
  }
  return target;
}

Result<std::string> ResolveProject(const std::string& flag) {
  const std::string kHint = "pass -p OWNER/NAME or set GANTRY_PROJECT";
  if (!flag.empty()) {
    if (ValidProject(flag)) return flag;
    return Status::InvalidArgument("project '" + flag + "' is not OWNER/NAME: " + kHint);
  }
  if (std::string env = Env("GANTRY_PROJECT"); !env.empty()) {
    if (ValidProject(env)) return env;
    return Status::InvalidArgument("GANTRY_PROJECT='" + env + "' is not OWNER/NAME: " + kHint);
  }
  auto remote = RunGit(".", {"config", "--get", "remote.origin.url"});
  if (remote.ok()) {
    if (auto full = RepositoryFromRemote(*remote); full && ValidProject(*full)) return *full;
  }
  return Status::InvalidArgument("no project given: " + kHint);
}

}  // namespace gantry::cli
