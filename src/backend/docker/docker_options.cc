#include <cstdlib>
#include <string>
#include <vector>

#include "backend/docker/docker_api.h"
#include "backend/docker/docker_client.h"

namespace gantry::backend::docker {
namespace {

enum class Opt {
  kEnv,
  kVolume,
  kPublish,
  kUser,
  kNetwork,
  kNetworkAlias,
  kHostname,
  kEntrypoint,
  kCpus,
  kMemory,
  kHealthCmd,
  kHealthInterval,
  kHealthTimeout,
  kHealthRetries,
  kHealthStartPeriod,
  kNoHealthcheck,
  kPrivileged,
  kInit,
  kCapAdd,
  kCapDrop,
  kAddHost,
  kTmpfs,
  kLabel,
  kWorkdir,
  kName,
  kRm,
};

struct OptionInfo {
  const char* long_name;
  char short_name;  // 0 = none
  bool takes_value;
  Opt opt;
};

constexpr OptionInfo kOptions[] = {
    {"env", 'e', true, Opt::kEnv},
    {"volume", 'v', true, Opt::kVolume},
    {"publish", 'p', true, Opt::kPublish},
    {"user", 'u', true, Opt::kUser},
    {"network", 0, true, Opt::kNetwork},
    {"net", 0, true, Opt::kNetwork},
    {"network-alias", 0, true, Opt::kNetworkAlias},
    {"net-alias", 0, true, Opt::kNetworkAlias},
    {"hostname", 'h', true, Opt::kHostname},
    {"entrypoint", 0, true, Opt::kEntrypoint},
    {"cpus", 0, true, Opt::kCpus},
    {"memory", 'm', true, Opt::kMemory},
    {"health-cmd", 0, true, Opt::kHealthCmd},
    {"health-interval", 0, true, Opt::kHealthInterval},
    {"health-timeout", 0, true, Opt::kHealthTimeout},
    {"health-retries", 0, true, Opt::kHealthRetries},
    {"health-start-period", 0, true, Opt::kHealthStartPeriod},
    {"no-healthcheck", 0, false, Opt::kNoHealthcheck},
    {"privileged", 0, false, Opt::kPrivileged},
    {"init", 0, false, Opt::kInit},
    {"cap-add", 0, true, Opt::kCapAdd},
    {"cap-drop", 0, true, Opt::kCapDrop},
    {"add-host", 0, true, Opt::kAddHost},
    {"tmpfs", 0, true, Opt::kTmpfs},
    {"label", 'l', true, Opt::kLabel},
    {"workdir", 'w', true, Opt::kWorkdir},
    {"name", 0, true, Opt::kName},
    {"rm", 0, false, Opt::kRm},
};

const OptionInfo* FindLong(std::string_view name) {
  for (const auto& o : kOptions) {
    if (name == o.long_name) return &o;
  }
  return nullptr;
}

const OptionInfo* FindShort(char c) {
  for (const auto& o : kOptions) {
    if (o.short_name == c) return &o;
  }
  return nullptr;
}

void SetPair(std::vector<std::pair<std::string, std::string>>& pairs, std::string key,
             std::string value) {
  for (auto& [k, v] : pairs) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  pairs.emplace_back(std::move(key), std::move(value));
}

core::Status Apply(const OptionInfo& info, const std::string& flag, std::string value,
                   bool has_value, ContainerSpec& spec, std::vector<std::string>* notes) {
  auto bad = [&](const std::string& why) {
    return core::Status::InvalidArgument("container option '" + flag + "': " + why);
  };
  auto health = [&]() -> ContainerSpec::Health& {
    if (!spec.health) spec.health = ContainerSpec::Health{};
    return *spec.health;
  };
  auto duration = [&](int64_t& out) -> core::Status {
    auto d = ParseGoDuration(value);
    if (!d.ok()) return bad(d.status().message());
    out = *d;
    return core::Status::Ok();
  };
  bool flag_on = true;
  if (!info.takes_value && has_value) {  // --privileged=false
    if (value == "true" || value == "1")
      flag_on = true;
    else if (value == "false" || value == "0")
      flag_on = false;
    else
      return bad("expected true or false, got '" + value + "'");
  }
  switch (info.opt) {
    case Opt::kEnv: {
      auto eq = value.find('=');
      if (eq == 0 || value.empty()) return bad("expected NAME=value, got '" + value + "'");
      if (eq != std::string::npos) {
        SetPair(spec.env, value.substr(0, eq), value.substr(eq + 1));
      } else if (const char* v = std::getenv(value.c_str()); v != nullptr) {
        SetPair(spec.env, value, v);
      }
      break;
    }
    case Opt::kVolume:
      if (value.find(':') == std::string::npos) {
        return bad("expected source:/path[:options], got '" + value +
                   "' (anonymous volumes are not supported)");
      }
      spec.binds.push_back(value);
      break;
    case Opt::kPublish: {
      auto pb = ParsePortSpec(value);
      if (!pb.ok()) return bad(pb.status().message());
      spec.ports.push_back(value);
      break;
    }
    case Opt::kUser:
      spec.user = value;
      break;
    case Opt::kNetwork:
      spec.network = value;
      break;
    case Opt::kNetworkAlias:
      spec.network_aliases.push_back(value);
      break;
    case Opt::kHostname:
      spec.hostname = value;
      break;
    case Opt::kEntrypoint:
      spec.entrypoint = {value};
      break;
    case Opt::kCpus: {
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || !(v > 0)) {
        return bad("expected a positive number of CPUs, got '" + value + "'");
      }
      spec.cpus = v;
      break;
    }
    case Opt::kMemory: {
      auto m = ParseMemoryBytes(value);
      if (!m.ok()) return bad(m.status().message());
      spec.memory_bytes = *m;
      break;
    }
    case Opt::kHealthCmd:
      health().test = {"CMD-SHELL", value};
      break;
    case Opt::kHealthInterval:
      return duration(health().interval_ns);
    case Opt::kHealthTimeout:
      return duration(health().timeout_ns);
    case Opt::kHealthStartPeriod:
      return duration(health().start_period_ns);
    case Opt::kHealthRetries: {
      char* end = nullptr;
      long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || end != value.c_str() + value.size() || v < 0 || v > 1000000) {
        return bad("expected a number of retries, got '" + value + "'");
      }
      health().retries = static_cast<int>(v);
      break;
    }
    case Opt::kNoHealthcheck:
      if (flag_on) health().test = {"NONE"};
      break;
    case Opt::kPrivileged:
      spec.privileged = flag_on;
      break;
    case Opt::kInit:
      spec.init = flag_on;
      break;
    case Opt::kCapAdd:
      spec.cap_add.push_back(value);
      break;
    case Opt::kCapDrop:
      spec.cap_drop.push_back(value);
      break;
    case Opt::kAddHost:
      if (value.find(':') == std::string::npos) return bad("expected host:ip, got '" + value + "'");
      spec.extra_hosts.push_back(value);
      break;
    case Opt::kTmpfs:
      if (value.empty() || value[0] != '/') return bad("expected /path[:options]");
      spec.tmpfs.push_back(value);
      break;
    case Opt::kLabel: {
      auto eq = value.find('=');
      if (eq == 0 || value.empty()) return bad("expected key=value, got '" + value + "'");
      SetPair(spec.labels, value.substr(0, eq),
              eq == std::string::npos ? "" : value.substr(eq + 1));
      break;
    }
    case Opt::kWorkdir:
      spec.working_dir = value;
      break;
    case Opt::kName:
      if (notes != nullptr)
        notes->push_back("container option '" + flag + "' ignored: gantry names its containers");
      break;
    case Opt::kRm:
      if (notes != nullptr)
        notes->push_back("container option '" + flag + "' ignored: gantry removes its containers");
      break;
  }
  return core::Status::Ok();
}

}  // namespace

core::Status ApplyDockerOptions(std::string_view options, ContainerSpec& spec,
                                std::vector<std::string>* notes) {
  auto words = SplitShellWords(options);
  if (!words.ok()) return words.status();
  const auto& w = *words;
  for (size_t i = 0; i < w.size(); ++i) {
    const std::string& word = w[i];
    const OptionInfo* info = nullptr;
    std::string flag, value;
    bool has_value = false;
    if (word.size() > 2 && word.compare(0, 2, "--") == 0) {
      auto eq = word.find('=');
      flag = word.substr(0, eq);
      info = FindLong(std::string_view(flag).substr(2));
      if (eq != std::string::npos) {
        value = word.substr(eq + 1);
        has_value = true;
      }
    } else if (word.size() >= 2 && word[0] == '-' && word[1] != '-') {
      flag = word.substr(0, 2);
      info = FindShort(word[1]);
      if (word.size() > 2) {  // -eFOO=bar, -p=80 (as pflag reads it)
        value = word.substr(word[2] == '=' ? 3 : 2);
        has_value = true;
      }
    } else {
      return core::Status::InvalidArgument("unexpected argument '" + word +
                                           "' in container options (only --options are allowed)");
    }
    if (info == nullptr) {
      return core::Status::InvalidArgument("unsupported container option '" + flag + "'");
    }
    if (info->takes_value && !has_value) {
      if (i + 1 >= w.size()) {
        return core::Status::InvalidArgument("container option '" + flag + "' needs a value");
      }
      value = w[++i];
      has_value = true;
    }
    GANTRY_RETURN_IF_ERROR(Apply(*info, flag, std::move(value), has_value, spec, notes));
  }
  return core::Status::Ok();
}

}  // namespace gantry::backend::docker
