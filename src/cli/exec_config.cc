#include "cli/exec_config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/strings.h"

namespace gantry::cli {
namespace {

using core::Status;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string TrimSpaces(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

void Upsert(NameValues& list, const std::string& name, const std::string& value) {
  for (auto& [n, v] : list) {
    if (n == name) {
      v = value;
      return;
    }
  }
  list.emplace_back(name, value);
}

bool IsNumeric(const std::string& s) {
  double d = expr::ParseNumber(s);
  return !s.empty() && d == d;  // NaN is not a number input
}

}  // namespace

core::Result<std::pair<std::string, std::string>> SplitAssignment(std::string_view text,
                                                                  std::string_view flag) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status::InvalidArgument(std::string(flag) + " expects NAME=VALUE, got '" +
                                   std::string(text) + "'");
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

core::Result<NameValues> ParseDotenv(std::string_view text) {
  NameValues out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    std::string trimmed = TrimSpaces(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    if (trimmed.rfind("export ", 0) == 0) trimmed = TrimSpaces(trimmed.substr(7));
    size_t eq = trimmed.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("line " + std::to_string(line_no) + ": expected NAME=VALUE");
    }
    std::string name = TrimSpaces(std::string_view(trimmed).substr(0, eq));
    std::string rest = TrimSpaces(std::string_view(trimmed).substr(eq + 1));
    std::string value;
    if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) {
      char quote = rest[0];
      // The value may continue on the following lines until the closing quote.
      std::string body = rest.substr(1);
      int start_line = line_no;
      while (true) {
        size_t close = std::string::npos;
        for (size_t i = 0; i < body.size(); ++i) {
          if (quote == '"' && body[i] == '\\') {
            ++i;
          } else if (body[i] == quote) {
            close = i;
            break;
          }
        }
        if (close != std::string::npos) {
          body.resize(close);
          break;
        }
        if (pos >= text.size()) {
          return Status::InvalidArgument("line " + std::to_string(start_line) +
                                         ": unterminated quoted value of " + name);
        }
        size_t next = text.find('\n', pos);
        body += '\n';
        body +=
            text.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        pos = next == std::string_view::npos ? text.size() : next + 1;
        ++line_no;
      }
      if (quote == '\'') {
        value = body;
      } else {
        for (size_t i = 0; i < body.size(); ++i) {
          if (body[i] != '\\' || i + 1 == body.size()) {
            value += body[i];
            continue;
          }
          char e = body[++i];
          value += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        }
      }
    } else {
      size_t comment = rest.find(" #");
      value = TrimSpaces(std::string_view(rest).substr(0, comment));
    }
    Upsert(out, name, value);
  }
  return out;
}

core::Result<NameValues> ReadDotenvFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  auto parsed = ParseDotenv(buf.str());
  if (!parsed.ok()) return Status::InvalidArgument(path + ": " + parsed.status().message());
  return parsed;
}

core::Result<NameValues> ResolveSecrets(const std::vector<std::string>& secret_args,
                                        const std::vector<std::string>& secret_files,
                                        const EnvLookup& env) {
  NameValues secrets;
  for (const auto& file : secret_files) {
    auto values = ReadDotenvFile(file);
    if (!values.ok()) return values.status();
    for (const auto& [n, v] : *values) Upsert(secrets, n, v);
  }
  for (const auto& arg : secret_args) {
    if (arg.find('=') == std::string::npos) {
      auto value = env(arg);
      if (!value) {
        return Status::InvalidArgument("--secret " + arg + ": $" + arg +
                                       " is not set (give --secret " + arg + "=VALUE)");
      }
      Upsert(secrets, arg, *value);
      continue;
    }
    auto kv = SplitAssignment(arg, "--secret");
    if (!kv.ok()) return kv.status();
    Upsert(secrets, kv->first, kv->second);
  }
  return secrets;
}

core::Result<std::map<std::string, EnvironmentValueSet>> ResolveEnvironmentValues(
    const std::vector<std::string>& secret_args, const std::vector<std::string>& secret_files,
    const std::vector<std::string>& var_args, const EnvLookup& env) {
  std::map<std::string, EnvironmentValueSet> out;
  // "ENV:REST" → the environment (lower case, as names compare) and REST.
  auto split = [](const std::string& arg, const char* flag,
                  const char* form) -> core::Result<std::pair<std::string, std::string>> {
    size_t colon = arg.find(':');
    if (colon == 0 || colon == std::string::npos || colon + 1 == arg.size()) {
      return Status::InvalidArgument(
          std::string(flag) + " " + arg + ": expected " + form + ", e.g. production:" +
          (std::string_view(form).find("FILE") != std::string::npos ? "prod.env" : "TOKEN=abc"));
    }
    std::string name = arg.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::make_pair(name, arg.substr(colon + 1));
  };
  for (const auto& arg : secret_files) {
    auto parts = split(arg, "--env-secret-file", "ENV:FILE");
    if (!parts.ok()) return parts.status();
    auto values = ReadDotenvFile(parts->second);
    if (!values.ok()) return values.status();
    for (const auto& [n, v] : *values) Upsert(out[parts->first].secrets, n, v);
  }
  for (const auto& arg : secret_args) {
    auto parts = split(arg, "--env-secret", "ENV:NAME=VALUE or ENV:NAME");
    if (!parts.ok()) return parts.status();
    const std::string& rest = parts->second;
    if (rest.find('=') == std::string::npos) {
      auto value = env(rest);
      if (!value) {
        return Status::InvalidArgument("--env-secret " + arg + ": $" + rest +
                                       " is not set (give --env-secret ENV:" + rest + "=VALUE)");
      }
      Upsert(out[parts->first].secrets, rest, *value);
      continue;
    }
    auto kv = SplitAssignment(rest, "--env-secret");
    if (!kv.ok()) return kv.status();
    Upsert(out[parts->first].secrets, kv->first, kv->second);
  }
  for (const auto& arg : var_args) {
    auto parts = split(arg, "--env-var", "ENV:NAME=VALUE");
    if (!parts.ok()) return parts.status();
    auto kv = SplitAssignment(parts->second, "--env-var");
    if (!kv.ok()) return kv.status();
    Upsert(out[parts->first].vars, kv->first, kv->second);
  }
  return out;
}

core::Result<ResolvedInputs> ResolveInputs(const std::vector<workflow::TriggerInput>& inputs,
                                           const NameValues& given) {
  ResolvedInputs out;
  auto find_given = [&](const std::string& name) -> const std::string* {
    const std::string* found = nullptr;
    for (const auto& [n, v] : given) {
      if (n == name) found = &v;  // the last one wins
    }
    return found;
  };
  for (const auto& in : inputs) {
    const std::string* value = find_given(in.name);
    if (value == nullptr) {
      if (in.default_value) {
        Upsert(out.values, in.name, *in.default_value);
      } else if (in.required) {
        out.warnings.push_back("required input '" + in.name + "' was not given");
      } else if (in.type == "boolean") {
        Upsert(out.values, in.name, "false");
      }
      continue;
    }
    if (in.type == "boolean" && *value != "true" && *value != "false") {
      return Status::InvalidArgument("input '" + in.name +
                                     "' is a boolean: give true or false, not '" + *value + "'");
    }
    if (in.type == "number" && !IsNumeric(*value)) {
      return Status::InvalidArgument("input '" + in.name + "' is a number, not '" + *value + "'");
    }
    if (in.type == "choice" &&
        std::find(in.options.begin(), in.options.end(), *value) == in.options.end()) {
      std::string options;
      for (const auto& o : in.options) options += (options.empty() ? "" : ", ") + o;
      return Status::InvalidArgument("input '" + in.name + "' must be one of " + options +
                                     ", not '" + *value + "'");
    }
    Upsert(out.values, in.name, *value);
  }
  for (const auto& entry : given) {
    const std::string& n = entry.first;
    const std::string& v = entry.second;
    bool declared = std::any_of(inputs.begin(), inputs.end(),
                                [&](const workflow::TriggerInput& in) { return in.name == n; });
    if (declared) continue;
    bool seen = std::any_of(out.values.begin(), out.values.end(),
                            [&](const auto& p) { return p.first == n; });
    if (!seen) out.warnings.push_back("input '" + n + "' is not declared by the workflow");
    Upsert(out.values, n, v);
  }
  return out;
}

expr::Value InputsContext(const std::vector<workflow::TriggerInput>& inputs,
                          const NameValues& values) {
  expr::Object obj;
  for (const auto& entry : values) {
    const std::string& name = entry.first;
    const std::string& value = entry.second;
    auto decl = std::find_if(inputs.begin(), inputs.end(),
                             [&](const workflow::TriggerInput& in) { return in.name == name; });
    std::string type = decl == inputs.end() ? "string" : decl->type;
    if (type == "boolean") {
      obj.Set(name, expr::Value(value == "true"));
    } else if (type == "number" && IsNumeric(value)) {
      obj.Set(name, expr::Value(expr::ParseNumber(value)));
    } else {
      obj.Set(name, expr::Value(value));
    }
  }
  return expr::Value(std::move(obj));
}

core::Result<MatrixFilter> ParseMatrixFilter(const std::vector<std::string>& args) {
  MatrixFilter filter;
  for (const auto& arg : args) {
    size_t colon = arg.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument("--matrix expects KEY:VALUE, got '" + arg + "'");
    }
    filter[arg.substr(0, colon)].push_back(arg.substr(colon + 1));
  }
  return filter;
}

namespace {

// The value at `key` of a matrix combination: the key itself, else a dotted path into nested
// objects (`os.version` of `{os: {version: 22}}`). nullptr when there is none.
const expr::Value* MatrixValue(const expr::Value& values, const std::string& key) {
  if (const expr::Value* v = values.Find(key)) return v;
  const expr::Value* at = &values;
  size_t start = 0;
  while (at != nullptr && at->is_object()) {
    size_t dot = key.find('.', start);
    at = at->Find(key.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
  return nullptr;
}

void AddKeys(const expr::Value& values, const std::string& prefix, std::set<std::string>& keys) {
  if (!values.is_object()) return;
  for (const auto& [k, v] : values.object_value().entries()) {
    keys.insert(prefix + k);
    AddKeys(v, prefix + k + ".", keys);
  }
}

}  // namespace

bool MatrixInstanceSelected(const MatrixFilter& filter, const engine::MatrixInstance& instance) {
  if (!instance.values.is_object()) return true;
  for (const auto& [key, allowed] : filter) {
    const expr::Value* v = MatrixValue(instance.values, key);
    if (v == nullptr) continue;
    std::string text = v->is_primitive() ? v->ToString() : v->ToJsonText();
    if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) return false;
  }
  return true;
}

void AddMatrixKeys(const engine::MatrixInstance& instance, std::set<std::string>& keys) {
  AddKeys(instance.values, "", keys);
}

core::Status CheckMatrixFilterKeys(const MatrixFilter& filter, const std::set<std::string>& keys) {
  for (const auto& [key, allowed] : filter) {
    // Matrix keys are looked up case-insensitively, as expressions do.
    std::string lower = core::AsciiLower(key);
    if (std::any_of(keys.begin(), keys.end(),
                    [&lower](const std::string& k) { return core::AsciiLower(k) == lower; })) {
      continue;
    }
    std::string known;
    for (const std::string& k : keys) known += (known.empty() ? "" : ", ") + k;
    return Status::InvalidArgument(
        "--matrix " + key + ":" + allowed.front() + ": no matrix of the jobs to run has a key '" +
        key + "' (" + (known.empty() ? "none of them has a matrix" : "known keys: " + known) + ")");
  }
  return Status::Ok();
}

void AddSandboxFlags(CLI::App& exec, SandboxFlags& flags) {
  exec.add_flag("--sandbox", flags.enabled,
                "run the steps of jobs without container: under bubblewrap: host read-only "
                "except the run directory, private /tmp, uid 1000, no capabilities");
  exec.add_flag("--sandbox-network", flags.network,
                "with --sandbox: share the host network (default); =false gives each step a "
                "network of its own with only loopback");
  exec.add_option("--sandbox-memory", flags.memory,
                  "with --sandbox: memory limit per step process tree, e.g. 512m or 2g "
                  "(where the cgroup memory controller allows)")
      ->type_name("SIZE");
  exec.add_option("--sandbox-pids", flags.pids,
                  "with --sandbox: limit of processes per step (where the cgroup pids "
                  "controller allows)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
}

core::Result<int64_t> ParseByteSize(std::string_view text, std::string_view flag) {
  auto invalid = [&]() {
    return Status::InvalidArgument(std::string(flag) + " expects a size such as 512m or 2g, got '" +
                                   std::string(text) + "'");
  };
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value <= 0) return invalid();
  std::string unit(end, text.data() + text.size());
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (!unit.empty() && unit != "b") {
    size_t pos = std::string_view("kmgt").find(unit[0]);
    if (pos == std::string_view::npos) return invalid();
    std::string_view rest = std::string_view(unit).substr(1);
    if (!rest.empty() && rest != "b" && rest != "ib") return invalid();
    shift = 10 * static_cast<int>(pos + 1);
  }
  if (value > (std::numeric_limits<int64_t>::max() >> shift)) return invalid();
  return value << shift;
}

Status CheckSandboxFlags(const SandboxFlags& flags) {
  if (!flags.enabled && (!flags.memory.empty() || flags.pids > 0 || !flags.network)) {
    return Status::InvalidArgument(
        "--sandbox-network, --sandbox-memory and --sandbox-pids need --sandbox");
  }
  if (!flags.memory.empty()) {
    if (auto bytes = ParseByteSize(flags.memory, "--sandbox-memory"); !bytes.ok()) {
      return bytes.status();
    }
  }
  return Status::Ok();
}

core::Result<backend::SandboxOptions> SandboxOptionsFor(const SandboxFlags& flags,
                                                        const std::string& run_dir,
                                                        const std::string& shared_workspace) {
  if (Status st = CheckSandboxFlags(flags); !st.ok()) return st;
  backend::SandboxOptions options;
  options.network = flags.network;
  options.pids_max = flags.pids;
  if (!flags.memory.empty()) {
    auto bytes = ParseByteSize(flags.memory, "--sandbox-memory");
    if (!bytes.ok()) return bytes.status();
    options.memory_bytes = *bytes;
  }
  options.writable.push_back(run_dir);
  if (!shared_workspace.empty()) options.writable.push_back(shared_workspace);
  // Tools write to $HOME (caches, config); one home for the run, as a runner has one.
  options.home = run_dir + "/_sandbox_home";
  std::error_code ec;
  std::filesystem::create_directories(options.home, ec);
  if (ec) {
    return Status::InvalidArgument("cannot create the sandbox home " + options.home + ": " +
                                   ec.message());
  }
  return options;
}

}  // namespace gantry::cli
