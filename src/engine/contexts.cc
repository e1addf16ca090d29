#include "engine/contexts.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cmath>

namespace gantry::engine {
namespace {

using expr::Object;
using expr::Value;

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// `${{ insert }}` as a map key: GitHub's directive to merge an object into the map.
bool IsInsertDirective(std::string_view name) {
  name = Trim(name);
  if (name.size() < 5 || name.substr(0, 3) != "${{" || name.substr(name.size() - 2) != "}}") {
    return false;
  }
  return Trim(name.substr(3, name.size() - 5)) == "insert";
}

// Values of inputs arrive as strings (CLI, event payload); a declared type converts them.
Value TypedInput(const std::string& type, const Value& raw) {
  if (!raw.is_string()) return raw;
  const std::string& s = raw.string_value();
  if (type == "boolean") {
    if (EqualsIgnoreCase(Trim(s), "true")) return Value(true);
    if (EqualsIgnoreCase(Trim(s), "false")) return Value(false);
    return raw;
  }
  if (type == "number") return Value(expr::ParseNumber(s));
  return raw;
}

// github context keys exported as GITHUB_<KEY> (the runner's allow list).
constexpr std::array<std::string_view, 37> kGithubEnvKeys = {"action",
                                                             "action_path",
                                                             "action_ref",
                                                             "action_repository",
                                                             "actor",
                                                             "actor_id",
                                                             "api_url",
                                                             "base_ref",
                                                             "env",
                                                             "event_name",
                                                             "event_path",
                                                             "graphql_url",
                                                             "head_ref",
                                                             "job",
                                                             "output",
                                                             "path",
                                                             "ref",
                                                             "ref_name",
                                                             "ref_protected",
                                                             "ref_type",
                                                             "repository",
                                                             "repository_id",
                                                             "repository_owner",
                                                             "repository_owner_id",
                                                             "retention_days",
                                                             "run_attempt",
                                                             "run_id",
                                                             "run_number",
                                                             "server_url",
                                                             "sha",
                                                             "state",
                                                             "step_summary",
                                                             "triggering_actor",
                                                             "workflow",
                                                             "workflow_ref",
                                                             "workflow_sha",
                                                             "workspace"};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void SetEnv(EnvList& list, std::string_view name, std::string value) {
  for (auto& [k, v] : list) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  list.emplace_back(std::string(name), std::move(value));
}

const std::string* FindEnv(const EnvList& list, std::string_view name) {
  for (const auto& [k, v] : list) {
    if (k == name) return &v;
  }
  return nullptr;
}

Value ObjectFromPairs(const EnvList& list) {
  Object o;
  for (const auto& [k, v] : list) o.Set(k, Value(v));
  return Value(std::move(o));
}

Value WithContext(const Value& contexts, std::string_view name, Value value) {
  Object o = contexts.is_object() ? contexts.object_value() : Object();
  o.Set(std::string(name), std::move(value));
  return Value(std::move(o));
}

RunnerInfo DetectRunner() {
  RunnerInfo r;
  std::array<char, 256> host{};
  r.name = gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "gantry";
  struct utsname u {};
  std::string sys = "Linux", machine = "x86_64";
  if (uname(&u) == 0) {
    sys = u.sysname;
    machine = u.machine;
  }
  r.os = sys == "Darwin" ? "macOS" : sys;
  if (machine == "x86_64" || machine == "amd64") {
    r.arch = "X64";
  } else if (machine == "aarch64" || machine == "arm64") {
    r.arch = "ARM64";
  } else if (machine.size() == 4 && machine[0] == 'i' && machine.substr(2) == "86") {
    r.arch = "X86";
  } else if (machine.rfind("arm", 0) == 0) {
    r.arch = "ARM";
  } else {
    r.arch = machine;
  }
  return r;
}

std::string RepositoryDirName(const Value& github) {
  const Value* repo = github.is_object() ? github.object_value().Find("repository") : nullptr;
  std::string name = repo != nullptr && repo->is_string() ? repo->string_value() : "";
  name = name.substr(name.find('/') + 1);
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return "workspace";
  }
  return name;
}

Value MakeRunnerContext(const RunnerInfo& runner) {
  Object o;
  o.Set("name", Value(runner.name));
  o.Set("os", Value(runner.os));
  o.Set("arch", Value(runner.arch));
  o.Set("temp", Value(runner.temp));
  o.Set("tool_cache", Value(runner.tool_cache));
  o.Set("workspace", Value(runner.workspace));
  o.Set("environment", Value("self-hosted"));
  if (runner.debug) o.Set("debug", Value("1"));
  return Value(std::move(o));
}

Value MakeStrategyContext(bool fail_fast, int job_index, int job_total, int max_parallel) {
  Object o;
  o.Set("fail-fast", Value(fail_fast));
  o.Set("job-index", Value(job_index));
  o.Set("job-total", Value(job_total));
  o.Set("max-parallel", Value(max_parallel));
  return Value(std::move(o));
}

Value MakeJobContext(std::string_view status, const Value& services, const Value& container) {
  Object o;
  o.Set("status", Value(status));
  o.Set("services", services.is_object() ? services : Value(Object()));
  if (container.is_object() && !container.object_value().entries().empty()) {
    o.Set("container", container);
  }
  return Value(std::move(o));
}

Value MakeInputsContext(const workflow::Workflow& workflow, std::string_view event_name,
                        const Value& event, const EnvList& given) {
  Object o;
  const workflow::EventTrigger* trigger = workflow.on.Find(std::string(event_name));
  if (trigger == nullptr) trigger = workflow.on.Find("workflow_call");
  auto declared_type = [&](std::string_view name) -> std::string {
    if (trigger == nullptr) return "string";
    for (const auto& in : trigger->inputs) {
      if (EqualsIgnoreCase(in.name, name)) return in.type;
    }
    return "string";
  };
  if (trigger != nullptr) {
    for (const auto& in : trigger->inputs) {
      if (in.default_value) o.Set(in.name, TypedInput(in.type, Value(*in.default_value)));
    }
  }
  const Value* payload = event.is_object() ? event.Find("inputs") : nullptr;
  if (payload != nullptr && payload->is_object()) {
    for (const auto& [k, v] : payload->object_value().entries()) {
      o.Set(k, TypedInput(declared_type(k), v));
    }
  }
  for (const auto& [k, v] : given) o.Set(k, TypedInput(declared_type(k), Value(v)));
  return Value(std::move(o));
}

EnvList GithubEnvironment(const Value& github) {
  EnvList env;
  env.reserve(kGithubEnvKeys.size() + 1);
  env.emplace_back("GITHUB_ACTIONS", "true");
  for (std::string_view key : kGithubEnvKeys) {
    const Value* v = github.is_object() ? github.Find(key) : nullptr;
    if (v != nullptr && v->is_primitive() && !v->is_null()) {
      env.emplace_back("GITHUB_" + Upper(key), v->ToString());
    } else if (key == "base_ref" || key == "head_ref") {
      env.emplace_back("GITHUB_" + Upper(key), "");
    }
  }
  return env;
}

EnvList RunnerEnvironment(const RunnerInfo& runner) {
  EnvList env = {{"RUNNER_OS", runner.os},
                 {"RUNNER_ARCH", runner.arch},
                 {"RUNNER_NAME", runner.name},
                 {"RUNNER_TEMP", runner.temp},
                 {"RUNNER_TOOL_CACHE", runner.tool_cache},
                 {"RUNNER_WORKSPACE", runner.workspace},
                 {"RUNNER_ENVIRONMENT", "self-hosted"}};
  if (runner.debug) env.emplace_back("RUNNER_DEBUG", "1");
  return env;
}

std::string Located(const std::string& file, const workflow::Position& pos,
                    const std::string& message) {
  if (pos.line <= 0) return file.empty() ? message : file + ": " + message;
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " + message;
}

core::Result<Value> EvaluateText(const workflow::Text& text, const expr::EvalContext& ctx,
                                 const std::string& file) {
  if (text.value.find("${{") == std::string::npos) return Value(text.value);
  auto tmpl = expr::Template::Parse(text.value);
  if (!tmpl.ok()) {
    return core::Status::InvalidArgument(Located(file, text.pos, tmpl.status().message()));
  }
  auto value = tmpl->Evaluate(ctx);
  if (!value.ok()) {
    return core::Status::InvalidArgument(Located(file, text.pos, value.status().message()));
  }
  return value;
}

core::Result<std::string> EvaluateString(const workflow::Text& text, const expr::EvalContext& ctx,
                                         const std::string& file) {
  if (text.value.find("${{") == std::string::npos) return text.value;
  auto v = EvaluateText(text, ctx, file);
  if (!v.ok()) return v.status();
  return v->ToString();
}

core::Result<bool> EvaluateBool(const workflow::Text& text, const expr::EvalContext& ctx,
                                const std::string& file) {
  std::string_view literal = Trim(text.value);
  if (EqualsIgnoreCase(literal, "true")) return true;
  if (EqualsIgnoreCase(literal, "false") || literal.empty()) return false;
  auto v = EvaluateText(text, ctx, file);
  if (!v.ok()) return v.status();
  if (v->is_string()) {
    std::string_view s = Trim(v->string_value());
    if (EqualsIgnoreCase(s, "false")) return false;
  }
  return v->IsTruthy();
}

core::Result<double> EvaluateNumber(const workflow::Text& text, const expr::EvalContext& ctx,
                                    const std::string& file) {
  auto v = EvaluateText(text, ctx, file);
  if (!v.ok()) return v.status();
  double d = v->ToNumber();
  if (!std::isfinite(d) || d < 0) {
    return core::Status::InvalidArgument(
        Located(file, text.pos, "'" + v->ToString() + "' is not a valid number of minutes"));
  }
  return d;
}

core::Result<EnvList> EvaluateTextMap(const workflow::TextMap& map, const expr::EvalContext& ctx,
                                      const std::string& file) {
  EnvList out;
  auto merge_object = [&](const workflow::Text& text) -> core::Status {
    auto v = EvaluateText(text, ctx, file);
    if (!v.ok()) return v.status();
    if (v->is_null()) return core::Status::Ok();
    if (!v->is_object()) {
      return core::Status::InvalidArgument(
          Located(file, text.pos, "Expected a mapping, got " + v->ToString()));
    }
    for (const auto& [k, val] : v->object_value().entries()) SetEnv(out, k, val.ToString());
    return core::Status::Ok();
  };
  if (workflow::IsWholeExpression(map)) {
    GANTRY_RETURN_IF_ERROR(merge_object(map[0].second));
    return out;
  }
  out.reserve(map.size());
  for (const auto& [name, text] : map) {
    if (IsInsertDirective(name)) {
      GANTRY_RETURN_IF_ERROR(merge_object(text));
      continue;
    }
    std::string key = name;
    if (name.find("${{") != std::string::npos) {
      auto k = EvaluateString(workflow::Text{name, text.pos}, ctx, file);
      if (!k.ok()) return k.status();
      key = std::move(k).value();
    }
    auto v = EvaluateString(text, ctx, file);
    if (!v.ok()) return v.status();
    SetEnv(out, key, std::move(v).value());
  }
  return out;
}

}  // namespace gantry::engine
