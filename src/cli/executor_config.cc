#include "cli/executor_config.h"

#include <sys/utsname.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>

#include "core/files.h"
#include "core/strings.h"

namespace gantry::cli {
namespace {

using core::Status;

std::string Home() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? home : ".";
}

// $NAME when it is set and not empty, else "".
std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// "PATH:LINE: " for an error at `mark`.
std::string At(const std::string& path, const YAML::Mark& mark) {
  return mark.line >= 0 ? path + ":" + std::to_string(mark.line + 1) + ": " : path + ": ";
}

core::Result<std::string> ReadString(const std::string& path, const YAML::Node& node,
                                     const std::string& key) {
  if (!node.IsScalar()) {
    return Status::InvalidArgument(At(path, node.Mark()) + key + ": expected a string");
  }
  return node.Scalar();
}

}  // namespace

std::string DefaultExecutorConfigPath() {
  if (std::string p = Env("GANTRY_EXECUTOR_CONFIG"); !p.empty()) return p;
  if (std::string xdg = Env("XDG_CONFIG_HOME"); !xdg.empty()) return xdg + "/gantry/executor.yml";
  return Home() + "/.config/gantry/executor.yml";
}

std::string DefaultExecutorWorkDir() {
  if (std::string xdg = Env("XDG_DATA_HOME"); !xdg.empty()) return xdg + "/gantry/executor";
  return Home() + "/.local/share/gantry/executor";
}

std::string ArchitectureLabel(std::string_view machine) {
  std::string m = core::AsciiLower(machine);
  if (m == "x86_64" || m == "amd64") return "x64";
  if (m == "aarch64" || m == "arm64" || m.starts_with("armv8")) return "arm64";
  if (m.starts_with("arm")) return "arm";
  if (m == "i386" || m == "i486" || m == "i586" || m == "i686" || m == "x86") return "x86";
  return m;
}

std::string HostArchitectureLabel() {
  utsname u{};
  return ArchitectureLabel(uname(&u) == 0 ? u.machine : "");
}

std::string HostName() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "executor";
  return buf.data();
}

std::vector<std::string> ExecutorLabels(const std::string& arch,
                                        const std::vector<std::string>& extra) {
  std::vector<std::string> labels;
  auto add = [&](std::string_view label) {
    label = core::TrimSpace(label);
    if (label.empty()) return;
    const std::string lower = core::AsciiLower(label);
    bool seen = std::any_of(labels.begin(), labels.end(),
                            [&](const std::string& l) { return core::AsciiLower(l) == lower; });
    if (!seen) labels.emplace_back(label);
  };
  add("self-hosted");
  add("linux");
  add(arch);
  for (const std::string& label : extra) add(label);
  return labels;
}

std::string ExecutorConfigYaml(const ExecutorConfig& config) {
  YAML::Emitter out;
  out << YAML::Comment(
      "gantry executor: written by `gantry executor register`. The token is a credential: "
      "keep this file mode 0600.");
  out << YAML::Newline << YAML::BeginMap;
  out << YAML::Key << "url" << YAML::Value << config.url;
  out << YAML::Key << "name" << YAML::Value << config.name;
  out << YAML::Key << "token" << YAML::Value << config.token;
  out << YAML::Key << "labels" << YAML::Value << YAML::Flow << config.labels;
  out << YAML::Key << "capacity" << YAML::Value << config.capacity;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Status WriteExecutorConfig(const std::string& path, const ExecutorConfig& config) {
  Status st = core::WriteFileAtomically(path, ExecutorConfigYaml(config), core::FileMode::kPrivate);
  if (!st.ok()) return Status::Unavailable(path + ": " + st.message());
  return Status::Ok();
}

core::Result<ExecutorConfig> ReadExecutorConfig(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound(path +
                            ": no such file; register this executor first: gantry executor "
                            "register --url URL --token REGISTRATION_TOKEN");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's what() repeats the position; its message alone reads better after ours.
    return Status::InvalidArgument(At(path, e.mark) + e.msg);
  }
  if (!root.IsMap()) {
    return Status::InvalidArgument(path +
                                   ": expected a mapping of url, name, token, labels, "
                                   "capacity");
  }
  ExecutorConfig config;
  bool have_labels = false;
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    if (key == "url" || key == "name" || key == "token") {
      auto text = ReadString(path, value, key);
      if (!text.ok()) return text.status();
      (key == "url" ? config.url : key == "name" ? config.name : config.token) = *text;
    } else if (key == "labels") {
      if (!value.IsSequence()) {
        return Status::InvalidArgument(At(path, value.Mark()) +
                                       "labels: expected a list, e.g. [self-hosted, linux, x64]");
      }
      config.labels.clear();
      for (const YAML::Node& label : value) {
        auto text = ReadString(path, label, "labels");
        if (!text.ok()) return text.status();
        config.labels.push_back(*text);
      }
      have_labels = true;
    } else if (key == "capacity") {
      int capacity = 0;
      if (!value.IsScalar() || !YAML::convert<int>::decode(value, capacity) || capacity < 1) {
        return Status::InvalidArgument(At(path, value.Mark()) +
                                       "capacity: expected a whole number of at least 1");
      }
      config.capacity = capacity;
    } else {
      return Status::InvalidArgument(At(path, entry.first.Mark()) + "unknown key '" + key +
                                     "' (expected url, name, token, labels, capacity)");
    }
  }
  if (config.url.empty() || config.token.empty()) {
    return Status::InvalidArgument(
        path + ": " + (config.url.empty() ? "url" : "token") +
        " is missing; register again: gantry executor register --url URL --token "
        "REGISTRATION_TOKEN");
  }
  if (!have_labels) config.labels = ExecutorLabels(HostArchitectureLabel(), {});
  if (config.name.empty()) config.name = HostName();
  return config;
}

}  // namespace gantry::cli
