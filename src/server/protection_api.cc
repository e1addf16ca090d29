#include "server/protection_api.h"

#include "server/branch_pattern.h"
#include "server/checks_api.h"
#include "server/merge_gate.h"

namespace gantry::server {
namespace {

constexpr size_t kMaxRequiredChecks = 100;
constexpr size_t kMaxCheckName = 255;

nlohmann::json RuleJson(const store::BranchProtection& rule) {
  return {{"pattern", rule.pattern},
          {"required_checks", rule.required_checks},
          {"created_at", TimeJson(rule.created_at)},
          {"updated_at", TimeJson(rule.updated_at)}};
}

std::optional<Response> Access(ApiContext& ctx, const Request& r, const Principal& who,
                               std::string_view role, ProjectAccess* access) {
  return RequireProject(ctx, who, r.Param("owner"), r.Param("name"), role, access);
}

Response ListRules(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "viewer", &access)) return *e;
  auto rules = ctx.store->ListBranchProtection(access.project.id);
  if (!rules.ok()) return StoreError(rules.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const store::BranchProtection& rule : rules.value()) arr.push_back(RuleJson(rule));
  return Response::Json(200, Dump({{"rules", arr}}));
}

Response PutRule(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "maintainer", &access)) return *e;
  const std::string& pattern = r.Param("pattern");
  if (auto s = ValidateBranchPattern(pattern); !s.ok()) {
    return Response::Error(422, "invalid", s.message(), "pattern");
  }
  nlohmann::json body;
  if (auto e = ParseBody(r, {{"required_checks", FieldType::kArray, true}}, &body)) return *e;
  store::BranchProtection rule;
  rule.pattern = pattern;
  const nlohmann::json& checks = body["required_checks"];
  if (checks.size() > kMaxRequiredChecks) {
    return Response::Error(422, "invalid", "required_checks holds more than 100 checks",
                           "required_checks");
  }
  for (size_t i = 0; i < checks.size(); ++i) {
    const std::string field = "required_checks[" + std::to_string(i) + "]";
    if (!checks[i].is_string()) {
      return Response::Error(400, "invalid_type", field + " must be a string", field);
    }
    std::string name = checks[i];
    bool control = false;
    for (unsigned char c : name) control = control || c < 0x20 || c == 0x7f;
    if (name.empty() || name.size() > kMaxCheckName || control) {
      return Response::Error(
          422, "invalid",
          field + " must be a check name of 1 to 255 characters, e.g. \"CI / test\"", field);
    }
    bool seen = false;
    for (const std::string& have : rule.required_checks) seen = seen || have == name;
    if (!seen) rule.required_checks.push_back(name);
  }
  if (auto s = ctx.store->PutBranchProtection(access.project.id, rule); !s.ok()) {
    return StoreError(s);
  }
  const store::Project& p = access.project;
  (void)ctx.store->Audit({0, who.user.id, p.id, "branch_protection.put", pattern,
                          Dump({{"required_checks", rule.required_checks}}), ctx.now_ms()});
  auto rules = ctx.store->ListBranchProtection(p.id);
  if (rules.ok()) {
    for (const store::BranchProtection& stored : rules.value()) {
      if (stored.pattern == pattern) return Response::Json(200, Dump(RuleJson(stored)));
    }
  }
  return Response::Json(200, Dump(RuleJson(rule)));
}

Response DeleteRule(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "maintainer", &access)) return *e;
  const std::string& pattern = r.Param("pattern");
  if (auto s = ctx.store->DeleteBranchProtection(access.project.id, pattern); !s.ok()) {
    return StoreError(s);
  }
  (void)ctx.store->Audit(
      {0, who.user.id, access.project.id, "branch_protection.delete", pattern, "{}", ctx.now_ms()});
  return Response::NoContent();
}

// The pull request's base branch, from the run's event payload.
std::string BaseBranch(const store::Run& run) {
  nlohmann::json ev = nlohmann::json::parse(run.event_payload, nullptr, false);
  std::string base;
  if (ev.is_object() && ev.contains("pull_request") && ev["pull_request"].is_object()) {
    const nlohmann::json& pr = ev["pull_request"];
    if (pr.contains("base") && pr["base"].is_object() && pr["base"].contains("ref") &&
        pr["base"]["ref"].is_string()) {
      base = pr["base"]["ref"].get<std::string>();
    }
  }
  if (base.rfind("refs/heads/", 0) == 0) base = base.substr(11);
  return base;
}

Response MergeStatus(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "viewer", &access)) return *e;
  std::optional<store::Id> number = ParseId(r.Param("number"));
  if (!number) {
    return Response::Error(422, "invalid", "number must be a pull request number, e.g. 12",
                           "number");
  }
  const store::Project& p = access.project;
  auto run = ctx.store->LatestRunOfRef(p.id, "refs/pull/" + std::to_string(*number) + "/head");
  if (!run.ok()) {
    if (run.status().code() == core::StatusCode::kNotFound) {
      return Response::Error(404, "not_found",
                             "no run of pull request #" + std::to_string(*number) + " in " +
                                 p.owner + "/" + p.name +
                                 ": Gantry knows a pull request from its pull_request webhooks",
                             "number");
    }
    return StoreError(run.status());
  }
  const std::string base = BaseBranch(run.value());
  bool active = false;
  auto checks = CommitChecks(ctx, p, run.value().sha, false, &active);
  if (!checks.ok()) return StoreError(checks.status());
  std::vector<Check> all;
  for (const CommitCheck& c : checks.value()) all.push_back(c.check);
  auto stored = ctx.store->ListBranchProtection(p.id);
  if (!stored.ok()) return StoreError(stored.status());
  std::vector<ProtectionRule> rules;
  for (const store::BranchProtection& rule : stored.value()) {
    rules.push_back({rule.pattern, rule.required_checks});
  }
  bool matched = false;
  std::vector<std::string> required = RequiredChecksFor(rules, base, &matched);
  MergeDecision d = DecideMerge(LatestPerContext(all), required, matched, active);
  nlohmann::json req = nlohmann::json::array();
  for (const RequiredStatus& s : d.required) {
    req.push_back({{"context", s.context},
                   {"state", s.state},
                   {"target_url", s.target_url.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(s.target_url)}});
  }
  nlohmann::json j = {{"number", *number},       {"head_sha", run.value().sha},
                      {"base_branch", base},     {"mergeable", d.mergeable},
                      {"state", d.state},        {"message", d.message},
                      {"required", req},         {"protected", matched},
                      {"run_id", run.value().id}};
  return Response::Json(200, Dump(j));
}

}  // namespace

void AddProtectionRoutes(Router& router, ApiContext& ctx) {
  using Fn = Response (*)(ApiContext&, Request&, const Principal&);
  auto add = [&](const char* method, const char* path, Fn fn) {
    router.Add(method, std::string("/api/v1/projects/{owner}/{name}") + path,
               Authed(ctx, [&ctx, fn](Request& r, const Principal& w) { return fn(ctx, r, w); }));
  };
  add("GET", "/branch-protection", ListRules);
  add("PUT", "/branch-protection/{pattern...}", PutRule);
  add("DELETE", "/branch-protection/{pattern...}", DeleteRule);
  add("GET", "/pulls/{number}/merge-status", MergeStatus);
}

}  // namespace gantry::server
