#include "executor/job_spec.h"

namespace gantry::executor {
namespace {

using json = nlohmann::ordered_json;
using core::Status;

// Reads the members of one object, naming the field path in every error.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  Status status() const { return status_; }

  const json* Member(const char* name, bool required) {
    if (!status_.ok()) return nullptr;
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) {
      if (required) Fail(name, "missing");
      return nullptr;
    }
    return &*it;
  }
  void String(const char* name, std::string& out, bool required = true) {
    const json* m = Member(name, required);
    if (m == nullptr) return;
    if (!m->is_string()) return Fail(name, "must be a string");
    out = m->get<std::string>();
  }
  template <typename Int>
  void Integer(const char* name, Int& out, bool required = true) {
    const json* m = Member(name, required);
    if (m == nullptr) return;
    if (!m->is_number_integer()) return Fail(name, "must be an integer");
    out = m->get<Int>();
  }
  /// An object member as an expression value (absent or null: an empty object).
  void ObjectValue(const char* name, expr::Value& out, bool required = false) {
    out = expr::Value(expr::Object());
    const json* m = Member(name, required);
    if (m == nullptr) return;
    if (!m->is_object()) return Fail(name, "must be an object");
    out = expr::Value::FromJson(*m);
  }
  /// An object of strings (secrets, vars); `any_json` accepts other values as their JSON text.
  void Pairs(const char* name, NameValues& out, bool any_json) {
    const json* m = Member(name, false);
    if (m == nullptr) return;
    if (!m->is_object()) return Fail(name, "must be an object");
    for (const auto& [k, v] : m->items()) {
      if (v.is_string()) {
        out.emplace_back(k, v.get<std::string>());
      } else if (any_json) {
        out.emplace_back(
            k, v.is_primitive() && !v.is_null() ? expr::Value::FromJson(v).ToString() : v.dump());
      } else {
        return Fail(std::string(name) + "." + k, "must be a string");
      }
    }
  }
  Reader Child(const char* name, bool required) {
    static const json kEmpty = json::object();
    const json* m = Member(name, required);
    if (m != nullptr && !m->is_object()) Fail(name, "must be an object");
    Reader child(m != nullptr && m->is_object() ? *m : kEmpty, path_ + "." + name);
    if (!status_.ok()) child.status_ = status_;
    return child;
  }
  void Adopt(const Reader& child) {
    if (status_.ok()) status_ = child.status_;
  }

 private:
  void Fail(const std::string& name, const std::string& what) {
    if (status_.ok()) status_ = Status::InvalidArgument(path_ + "." + name + ": " + what);
  }

  const json& j_;
  std::string path_;
  Status status_;
};

}  // namespace

core::Result<JobSpec> ParseJobSpec(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("job: must be an object");
  JobSpec s;
  Reader r(j, "job");
  r.Integer("id", s.id);
  r.Integer("run_id", s.run_id, false);
  r.Integer("attempt", s.attempt, false);
  r.String("project", s.project, false);
  Reader wf = r.Child("workflow", true);
  wf.String("file", s.workflow_file);
  wf.String("yaml", s.workflow_yaml);
  r.Adopt(wf);
  r.String("job_id", s.job_id);
  r.Integer("instance", s.instance, false);
  r.String("display_name", s.display_name, false);
  r.ObjectValue("matrix", s.matrix);
  r.ObjectValue("strategy", s.strategy);
  r.ObjectValue("needs", s.needs);
  r.ObjectValue("github", s.github, true);
  r.Pairs("secrets", s.secrets, false);
  r.Pairs("vars", s.vars, false);
  r.Pairs("inputs", s.inputs, true);
  r.ObjectValue("inputs", s.inputs_context);
  Reader repo = r.Child("repository", false);
  repo.String("url", s.repository_url, false);
  repo.String("sha", s.repository_sha, false);
  repo.String("ref", s.repository_ref, false);
  r.Adopt(repo);
  GANTRY_RETURN_IF_ERROR(r.status());
  if (s.id <= 0) return Status::InvalidArgument("job.id: must be positive");
  if (s.job_id.empty()) return Status::InvalidArgument("job.job_id: must not be empty");
  if (s.workflow_file.empty()) {
    return Status::InvalidArgument("job.workflow.file: must not be empty");
  }
  if (!s.repository_url.empty() && s.repository_sha.empty()) {
    return Status::InvalidArgument("job.repository.sha: missing (the commit to check out)");
  }
  if (s.display_name.empty()) s.display_name = s.job_id;
  return s;
}

core::Result<JobSpec> ParseJobSpecText(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("job: not valid JSON");
  return ParseJobSpec(j);
}

json JobSpecToJson(const JobSpec& s) {
  auto pairs = [](const NameValues& values) {
    json o = json::object();
    for (const auto& [k, v] : values) o[k] = v;
    return o;
  };
  json j = {
      {"id", s.id},
      {"run_id", s.run_id},
      {"attempt", s.attempt},
      {"project", s.project},
      {"workflow", {{"file", s.workflow_file}, {"yaml", s.workflow_yaml}}},
      {"job_id", s.job_id},
      {"instance", s.instance},
      {"display_name", s.display_name},
      {"matrix", s.matrix.ToJson()},
      {"strategy", s.strategy.ToJson()},
      {"needs", s.needs.ToJson()},
      {"github", s.github.ToJson()},
      {"secrets", pairs(s.secrets)},
      {"vars", pairs(s.vars)},
      {"inputs", s.inputs_context.is_object() && !s.inputs_context.object_value().empty()
                     ? s.inputs_context.ToJson()
                     : pairs(s.inputs)},
  };
  if (!s.repository_url.empty()) {
    j["repository"] = {
        {"url", s.repository_url}, {"sha", s.repository_sha}, {"ref", s.repository_ref}};
  }
  return j;
}

}  // namespace gantry::executor
