#include "backend/docker/docker_api.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace gantry::backend::docker {
namespace {

constexpr size_t kHeaderSize = 8;

bool LooksLikeHeader(std::string_view h) {
  return (h[0] == 0 || h[0] == 1 || h[0] == 2) && h[1] == 0 && h[2] == 0 && h[3] == 0;
}

// A decimal number ("12", "1.5") at the front of `s`; advances `s` past it.
bool TakeNumber(std::string_view& s, double& out) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) != 0 || s[i] == '.')) ++i;
  if (i == 0) return false;
  std::string num(s.substr(0, i));
  char* end = nullptr;
  out = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size()) return false;
  s.remove_prefix(i);
  return true;
}

bool IsPortNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v >= 0 && v <= 65535;
}

}  // namespace

void FrameDemuxer::Feed(std::string_view chunk) {
  if (mode_ == Mode::kRaw) {
    if (!chunk.empty()) on_payload_(0, chunk);
    return;
  }
  buffer_.append(chunk);
  size_t pos = 0;
  while (buffer_.size() - pos >= kHeaderSize) {
    std::string_view h(buffer_.data() + pos, kHeaderSize);
    if (mode_ == Mode::kUnknown) {
      mode_ = LooksLikeHeader(h) ? Mode::kFramed : Mode::kRaw;
      if (mode_ == Mode::kRaw) {
        on_payload_(0, std::string_view(buffer_));
        buffer_.clear();
        return;
      }
    }
    auto b = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(h[i])); };
    uint32_t len = (b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7);
    if (buffer_.size() - pos - kHeaderSize < len) break;
    if (len > 0) on_payload_(h[0], std::string_view(buffer_.data() + pos + kHeaderSize, len));
    pos += kHeaderSize + len;
  }
  buffer_.erase(0, pos);
}

void ProgressParser::Feed(std::string_view chunk) {
  buffer_.append(chunk);
  size_t start = 0;
  for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
    Line(std::string_view(buffer_).substr(start, nl - start));
  }
  buffer_.erase(0, start);
}

void ProgressParser::Finish() {
  if (!buffer_.empty()) Line(buffer_);
  buffer_.clear();
}

void ProgressParser::Line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return;
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    if (log_) log_(line);
    return;
  }
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string error = str("error");
  if (error.empty() && j.contains("errorDetail") && j["errorDetail"].is_object()) {
    auto& d = j["errorDetail"];
    if (d.contains("message") && d["message"].is_string()) error = d["message"];
  }
  if (!error.empty()) {
    if (error_.empty()) error_ = error;
    if (log_) log_(error);
    return;
  }
  std::string text = str("stream");
  if (text.empty()) {
    std::string status = str("status"), id = str("id"), progress = str("progress");
    // Byte-level progress bars would flood the log; their start and end lines suffice.
    if (!progress.empty() || status.empty()) return;
    text = id.empty() ? status : id + ": " + status;
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && log_) log_(text);
}

core::Result<PortBinding> ParsePortSpec(std::string_view spec) {
  auto bad = [&](const std::string& why) {
    return core::Status::InvalidArgument("invalid port '" + std::string(spec) + "': " + why);
  };
  PortBinding pb;
  std::string_view rest = spec;
  std::string proto = "tcp";
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    proto = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (proto != "tcp" && proto != "udp" && proto != "sctp") return bad("unknown protocol");
  }
  if (!rest.empty() && rest.front() == '[') {  // [ipv6]:host:container
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return bad("unterminated IPv6 address");
    }
    pb.host_ip = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 2);
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) return bad("expected ip:hostPort:containerPort");
    pb.host_port = std::string(rest.substr(0, colon));
    rest = rest.substr(colon + 1);
  } else {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t c; (c = rest.find(':', start)) != std::string_view::npos; start = c + 1) {
      parts.push_back(rest.substr(start, c - start));
    }
    parts.push_back(rest.substr(start));
    if (parts.size() > 3) return bad("expected [[ip:]hostPort:]containerPort[/protocol]");
    if (parts.size() == 3) pb.host_ip = std::string(parts[0]);
    if (parts.size() >= 2) pb.host_port = std::string(parts[parts.size() - 2]);
    rest = parts.back();
  }
  if (rest.find('-') != std::string_view::npos || pb.host_port.find('-') != std::string::npos) {
    return bad("port ranges are not supported");
  }
  if (!IsPortNumber(rest)) return bad("container port must be a number");
  if (!pb.host_port.empty() && !IsPortNumber(pb.host_port)) {
    return bad("host port must be a number");
  }
  pb.container_port = std::string(rest) + "/" + proto;
  pb.publish = true;
  return pb;
}

core::Result<int64_t> ParseGoDuration(std::string_view s) {
  const std::string orig(s);
  auto bad = [&] {
    return core::Status::InvalidArgument("invalid duration '" + orig +
                                         "' (expected e.g. 10s, 1m30s, 500ms)");
  };
  if (s == "0") return int64_t{0};
  if (s.empty()) return bad();
  double total = 0;
  while (!s.empty()) {
    double v = 0;
    if (!TakeNumber(s, v)) return bad();
    size_t i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) == 0 && s[i] != '.') ++i;
    std::string_view unit = s.substr(0, i);
    s.remove_prefix(i);
    double mult = 0;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1e3;
    else if (unit == "ms")
      mult = 1e6;
    else if (unit == "s")
      mult = 1e9;
    else if (unit == "m")
      mult = 60e9;
    else if (unit == "h")
      mult = 3600e9;
    else
      return bad();
    total += v * mult;
  }
  if (total > 9.2e18) return bad();
  return static_cast<int64_t>(std::llround(total));
}

core::Result<int64_t> ParseMemoryBytes(std::string_view s) {
  const std::string orig(s);
  auto bad = [&] {
    return core::Status::InvalidArgument("invalid size '" + orig +
                                         "' (expected e.g. 512m, 1g, 1024k)");
  };
  double v = 0;
  if (!TakeNumber(s, v)) return bad();
  if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  std::string unit;
  for (char c : s) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // docker's RAMInBytes: [kmgtp]?i?b? with binary multiples.
  double mult = 1;
  if (!unit.empty() && std::string_view("kmgtp").find(unit[0]) != std::string_view::npos) {
    mult = std::pow(1024.0, static_cast<double>(std::string_view("kmgtp").find(unit[0]) + 1));
    unit.erase(0, 1);
    if (!unit.empty() && unit[0] == 'i') unit.erase(0, 1);
  }
  if (unit == "b") unit.clear();
  if (!unit.empty()) return bad();
  double bytes = v * mult;
  if (bytes > 9.2e18) return bad();
  return static_cast<int64_t>(bytes);
}

core::Result<std::vector<std::string>> SplitShellWords(std::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 < s.size()) {
        if (s[i + 1] != '\n') cur += s[i + 1];
        ++i;
      }
    } else if (c == '\'') {
      auto end = s.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return core::Status::InvalidArgument("unterminated ' in options: " + std::string(s));
      }
      cur.append(s.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < s.size() && s[j] != '"'; ++j) {
        if (s[j] == '\\' && j + 1 < s.size() &&
            std::string_view("\"\\$`\n").find(s[j + 1]) != std::string_view::npos) {
          if (s[j + 1] != '\n') cur += s[j + 1];
          ++j;
        } else {
          cur += s[j];
        }
      }
      if (j >= s.size()) {
        return core::Status::InvalidArgument("unterminated \" in options: " + std::string(s));
      }
      i = j;
    } else {
      cur += c;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

core::Result<nlohmann::json> ContainerCreateBody(const ContainerSpec& spec) {
  using nlohmann::json;
  json body = {{"Image", spec.image}, {"Tty", false}, {"OpenStdin", false}};
  if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
  if (!spec.entrypoint.empty()) body["Entrypoint"] = spec.entrypoint;
  if (!spec.working_dir.empty()) body["WorkingDir"] = spec.working_dir;
  if (!spec.user.empty()) body["User"] = spec.user;
  if (!spec.hostname.empty()) body["Hostname"] = spec.hostname;
  if (!spec.env.empty()) {
    json env = json::array();
    for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
    body["Env"] = env;
  }
  if (!spec.labels.empty()) {
    json labels = json::object();
    for (const auto& [k, v] : spec.labels) labels[k] = v;
    body["Labels"] = labels;
  }
  json host = json::object();
  if (!spec.ports.empty()) {
    json exposed = json::object(), bindings = json::object();
    for (const auto& p : spec.ports) {
      auto pb = ParsePortSpec(p);
      if (!pb.ok()) return pb.status();
      exposed[pb->container_port] = json::object();
      if (!bindings.contains(pb->container_port)) bindings[pb->container_port] = json::array();
      bindings[pb->container_port].push_back(
          {{"HostIp", pb->host_ip}, {"HostPort", pb->host_port}});
    }
    body["ExposedPorts"] = exposed;
    host["PortBindings"] = bindings;
  }
  if (spec.health) {
    const auto& h = *spec.health;
    json hc = json::object();
    if (!h.test.empty()) hc["Test"] = h.test;
    if (h.interval_ns > 0) hc["Interval"] = h.interval_ns;
    if (h.timeout_ns > 0) hc["Timeout"] = h.timeout_ns;
    if (h.start_period_ns > 0) hc["StartPeriod"] = h.start_period_ns;
    if (h.retries > 0) hc["Retries"] = h.retries;
    body["Healthcheck"] = hc;
  }
  if (!spec.binds.empty()) host["Binds"] = spec.binds;
  if (!spec.network.empty()) host["NetworkMode"] = spec.network;
  if (spec.privileged) host["Privileged"] = true;
  if (spec.init) host["Init"] = true;
  if (!spec.cap_add.empty()) host["CapAdd"] = spec.cap_add;
  if (!spec.cap_drop.empty()) host["CapDrop"] = spec.cap_drop;
  if (!spec.extra_hosts.empty()) host["ExtraHosts"] = spec.extra_hosts;
  if (!spec.tmpfs.empty()) {
    json tmpfs = json::object();
    for (const auto& t : spec.tmpfs) {
      auto colon = t.find(':');
      tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
    }
    host["Tmpfs"] = tmpfs;
  }
  if (spec.cpus > 0) host["NanoCpus"] = static_cast<int64_t>(std::llround(spec.cpus * 1e9));
  if (spec.memory_bytes > 0) host["Memory"] = spec.memory_bytes;
  body["HostConfig"] = host;
  if (!spec.network.empty() && !spec.network_aliases.empty()) {
    body["NetworkingConfig"] = {
        {"EndpointsConfig", {{spec.network, {{"Aliases", spec.network_aliases}}}}}};
  }
  return body;
}

nlohmann::json ExecCreateBody(const std::vector<std::string>& argv, const std::string& cwd,
                              const std::vector<std::pair<std::string, std::string>>& env,
                              const std::string& user) {
  nlohmann::json body = {{"AttachStdin", false},
                         {"AttachStdout", true},
                         {"AttachStderr", true},
                         {"Tty", false},
                         {"Cmd", argv}};
  nlohmann::json e = nlohmann::json::array();
  for (const auto& [k, v] : env) e.push_back(k + "=" + v);
  body["Env"] = e;
  if (!cwd.empty()) body["WorkingDir"] = cwd;
  if (!user.empty()) body["User"] = user;
  return body;
}

ContainerState ParseContainerState(const nlohmann::json& inspect) {
  ContainerState st;
  auto str = [](const nlohmann::json& j, const char* key) -> std::string {
    if (!j.is_object()) return "";
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (auto s = inspect.find("State"); s != inspect.end() && s->is_object()) {
    st.status = str(*s, "Status");
    if (auto c = s->find("ExitCode"); c != s->end() && c->is_number_integer()) {
      st.exit_code = c->get<int>();
    }
    if (auto h = s->find("Health"); h != s->end()) st.health = str(*h, "Status");
  }
  if (auto c = inspect.find("Config"); c != inspect.end() && c->is_object()) {
    auto h = c->find("Healthcheck");
    if (h != c->end() && h->is_object()) {
      auto i = h->find("Interval");
      if (i != h->end() && i->is_number_integer()) st.health_interval_ns = i->get<int64_t>();
    }
  }
  auto ns = inspect.find("NetworkSettings");
  if (ns == inspect.end() || !ns->is_object()) return st;
  if (auto ports = ns->find("Ports"); ports != ns->end() && ports->is_object()) {
    for (const auto& [port, bindings] : ports->items()) {
      if (!bindings.is_array()) continue;
      for (const auto& b : bindings) {
        std::string ip = str(b, "HostIp"), hp = str(b, "HostPort");
        if (hp.empty() || ip.find(':') != std::string::npos) continue;  // IPv6 duplicates
        st.ports.emplace(port, (ip.empty() ? "0.0.0.0" : ip) + ":" + hp);
        break;
      }
    }
  }
  st.ip = str(*ns, "IPAddress");
  if (auto nets = ns->find("Networks"); st.ip.empty() && nets != ns->end() && nets->is_object()) {
    for (const auto& [name, net] : nets->items()) {
      st.ip = str(net, "IPAddress");
      if (!st.ip.empty()) break;
    }
  }
  return st;
}

std::string EngineMessage(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    if (auto it = j.find("message"); it != j.end() && it->is_string()) return *it;
    if (auto it = j.find("cause"); it != j.end() && it->is_string()) return *it;  // podman
  }
  std::string s = body;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

long EngineStatus(long status, const std::string& body) {
  if (status != 500) return status;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return status;
  auto cause = j.find("cause");
  if (cause != j.end() && cause->is_string() && *cause == "container state improper") return 409;
  return status;
}

std::optional<std::string> PodmanApiVersion(const nlohmann::json& version) {
  auto components = version.find("Components");
  if (components == version.end() || !components->is_array()) return std::nullopt;
  for (const auto& c : *components) {
    auto name = c.find("Name");  // end() for a non-object
    if (name == c.end() || !name->is_string() || *name != "Podman Engine") continue;
    std::string api;
    if (auto d = c.find("Details"); d != c.end() && d->is_object()) {
      if (auto v = d->find("APIVersion"); v != d->end() && v->is_string()) api = *v;
    }
    // The libpod API accepts any 4.x prefix; 4.0.0 is its first.
    return api.empty() ? std::string("4.0.0") : api;
  }
  return std::nullopt;
}

std::string MinApiVersion(const std::string& a, const std::string& b) {
  auto parse = [](const std::string& v) {
    int major = 0, minor = 0;
    auto dot = v.find('.');
    std::from_chars(v.data(), v.data() + (dot == std::string::npos ? v.size() : dot), major);
    if (dot != std::string::npos) std::from_chars(v.data() + dot + 1, v.data() + v.size(), minor);
    return std::pair(major, minor);
  };
  return parse(a) <= parse(b) ? a : b;
}

}  // namespace gantry::backend::docker
