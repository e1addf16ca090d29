#include "server/run_context.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <set>

namespace gantry::server {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The lines [first, last) (1-based) of `text`.
std::string Lines(const std::string& text, int first, int last) {
  std::string out;
  int line = 1;
  size_t pos = 0;
  while (pos < text.size() && (last <= 0 || line < last)) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (line >= first) out.append(text, pos, end - pos + 1);
    pos = end + 1;
    ++line;
  }
  return out;
}

}  // namespace

RunContext MakeRunContext(const ApiContext& ctx, const store::Project& project,
                          const store::Run& run, const std::vector<store::Variable>& vars) {
  RunContext rc;
  std::string full = project.owner + "/" + project.name;
  nlohmann::json payload = nlohmann::json::parse(run.event_payload, nullptr, false);
  if (!payload.is_object()) payload = nlohmann::json::object();
  std::string ref_name = run.ref;
  std::string ref_type = "branch";
  for (std::string_view prefix : {"refs/heads/", "refs/tags/"}) {
    if (ref_name.rfind(prefix, 0) == 0) {
      if (prefix == "refs/tags/") ref_type = "tag";
      ref_name = ref_name.substr(prefix.size());
    }
  }
  nlohmann::json g;
  g["event_name"] = run.event;
  g["event"] = payload;
  g["sha"] = run.sha;
  g["ref"] = run.ref;
  g["ref_name"] = ref_name;
  g["ref_type"] = ref_type;
  g["ref_protected"] = false;
  std::string head_ref, base_ref;
  if (payload.contains("pull_request") && payload["pull_request"].is_object()) {
    const auto& pr = payload["pull_request"];
    if (pr.contains("head") && pr["head"].contains("ref")) head_ref = pr["head"].value("ref", "");
    if (pr.contains("base") && pr["base"].contains("ref")) base_ref = pr["base"].value("ref", "");
  }
  g["head_ref"] = head_ref;
  g["base_ref"] = base_ref;
  g["repository"] = full;
  g["repository_owner"] = project.owner;
  g["repository_id"] = std::to_string(project.id);
  g["repositoryUrl"] = ctx.config.base_url + "/" + full + ".git";
  g["actor"] = run.actor;
  g["triggering_actor"] = run.actor;
  g["workflow"] = run.workflow_name;
  g["workflow_ref"] = full + "/" + run.workflow_file + "@" + run.ref;
  g["workflow_sha"] = run.sha;
  g["run_id"] = std::to_string(run.id);
  g["run_number"] = std::to_string(run.number);
  g["run_attempt"] = std::to_string(run.attempt);
  g["retention_days"] = "90";
  g["secret_source"] = "Actions";
  g["server_url"] = ctx.config.base_url;
  g["api_url"] = ctx.config.base_url + "/api/v3";
  g["graphql_url"] = ctx.config.base_url + "/api/graphql";
  rc.github = expr::Value::FromJson(g);
  for (const store::Variable& v : vars) rc.vars.emplace_back(v.name, v.value);
  nlohmann::json inputs = nlohmann::json::parse(run.inputs, nullptr, false);
  expr::Object inputs_obj;
  if (inputs.is_object()) {
    for (const auto& [k, v] : inputs.items()) {
      rc.inputs.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
      inputs_obj.Set(k, expr::Value::FromJson(v));
    }
  }
  expr::Object vars_obj;
  for (const auto& [k, v] : rc.vars) vars_obj.Set(k, expr::Value(v));
  expr::Object all;
  all.Set("github", rc.github);
  all.Set("vars", expr::Value(std::move(vars_obj)));
  all.Set("inputs", expr::Value(std::move(inputs_obj)));
  rc.plan_context.contexts = expr::Value(std::move(all));
  return rc;
}

std::vector<std::string> ReferencedSecrets(const std::string& yaml,
                                           const workflow::Workflow& workflow,
                                           const std::string& job_id, bool* all) {
  *all = false;
  int first_job = 0, start = 0, end = 0;
  for (const workflow::Job& j : workflow.jobs) {
    if (first_job == 0 || j.pos.line < first_job) first_job = j.pos.line;
  }
  for (const workflow::Job& j : workflow.jobs) {
    if (j.id == job_id) start = j.pos.line;
  }
  for (const workflow::Job& j : workflow.jobs) {
    if (j.pos.line > start && (end == 0 || j.pos.line < end)) end = j.pos.line;
  }
  // The workflow's top part (env, defaults) and the job's own lines.
  std::string text = Lines(yaml, 1, first_job) + Lines(yaml, start, end);
  std::string lower = Lower(text);
  if (lower.find("secrets: inherit") != std::string::npos ||
      lower.find("tojson(secrets)") != std::string::npos ||
      lower.find("secrets[") != std::string::npos) {
    // secrets['NAME'] with a literal is common; anything else needs every secret.
    size_t pos = 0;
    bool only_literals = lower.find("secrets: inherit") == std::string::npos &&
                         lower.find("tojson(secrets)") == std::string::npos;
    while (only_literals && (pos = lower.find("secrets[", pos)) != std::string::npos) {
      pos += 8;
      only_literals = pos < lower.size() && (lower[pos] == '\'' || lower[pos] == '"');
    }
    if (!only_literals) *all = true;
  }
  std::set<std::string> names;
  for (size_t pos = 0; (pos = lower.find("secrets", pos)) != std::string::npos;) {
    bool word_start = pos == 0 || !(std::isalnum(static_cast<unsigned char>(lower[pos - 1])) ||
                                    lower[pos - 1] == '_' || lower[pos - 1] == '.');
    pos += 7;
    if (!word_start || pos >= lower.size()) continue;
    size_t name_start = 0;
    if (lower[pos] == '.') {
      name_start = pos + 1;
    } else if (lower[pos] == '[' && pos + 1 < lower.size() &&
               (lower[pos + 1] == '\'' || lower[pos + 1] == '"')) {
      name_start = pos + 2;
    } else {
      continue;
    }
    size_t e = name_start;
    while (e < text.size() && (std::isalnum(static_cast<unsigned char>(text[e])) ||
                               text[e] == '_' || text[e] == '-')) {
      ++e;
    }
    if (e > name_start) names.insert(Lower(text.substr(name_start, e - name_start)));
  }
  return {names.begin(), names.end()};
}

nlohmann::json SecretNames(const std::string& yaml, const workflow::Workflow& workflow,
                           const std::string& job_id) {
  bool all = false;
  std::vector<std::string> wanted = ReferencedSecrets(yaml, workflow, job_id, &all);
  if (all) return "*";
  return wanted;
}

nlohmann::json JobSecrets(ApiContext& ctx, store::Id project_id, const nlohmann::json& names) {
  nlohmann::json out = nlohmann::json::object();
  const bool all = names.is_string() && names.get<std::string>() == "*";
  if (!all && (!names.is_array() || names.empty())) return out;
  auto secrets = ctx.store->ListSecrets(project_id);
  if (!secrets.ok()) return out;
  for (const store::Secret& s : secrets.value()) {
    // Secret names are case-insensitive, as on GitHub.
    bool needed = all || std::find(names.begin(), names.end(), Lower(s.name)) != names.end();
    if (!needed) continue;
    auto value = ctx.box->Open(s.ciphertext);
    if (!value.ok()) {
      std::cerr << "gantry server: secret " << s.name
                << " cannot be decrypted: " << value.status().message() << "\n";
      continue;
    }
    out[s.name] = value.value();
  }
  return out;
}

}  // namespace gantry::server
