#include "workflow/reusable.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "workflow/event_inputs.h"

namespace gantry::workflow {
namespace {

// GitHub lists the classic scopes in this order in its permission messages; newer scopes
// follow.
constexpr std::string_view kScopes[] = {
    "actions",      "checks",           "contents", "deployments",          "discussions",
    "issues",       "packages",         "pages",    "pull-requests",        "repository-projects",
    "statuses",     "security-events",  "id-token", "attestations",         "artifact-metadata",
    "code-quality", "copilot-requests", "models",   "vulnerability-alerts",
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasExpression(std::string_view s) { return s.find("${{") != std::string_view::npos; }

PermissionLevel ParseLevel(std::string_view s) {
  if (s == "write") return PermissionLevel::kWrite;
  if (s == "read") return PermissionLevel::kRead;
  return PermissionLevel::kNone;
}

// "actions: write, contents: read" for the scopes where `requested` exceeds `allowed`, and
// the allowed levels of the same scopes.
std::pair<std::string, std::string> DescribeExcess(const PermissionSet& requested,
                                                   const PermissionSet& allowed) {
  std::string want, have;
  for (const auto& [scope, level] : requested.scopes()) {
    PermissionLevel granted = allowed.Get(scope);
    if (level <= granted) continue;
    if (!want.empty()) {
      want += ", ";
      have += ", ";
    }
    want += scope + ": " + std::string(PermissionLevelName(level));
    have += scope + ": " + std::string(PermissionLevelName(granted));
  }
  return {want, have};
}

void CheckPermissions(const Job& caller, const Workflow& callee, const PermissionSet& granted,
                      Reader& reader) {
  std::string ref = caller.uses ? caller.uses->value : "";
  std::string prefix = "Error calling workflow '" + ref + "'. ";
  if (callee.permissions) {
    auto [want, have] =
        DescribeExcess(PermissionSet::FromPermissions(*callee.permissions), granted);
    if (!want.empty()) {
      reader.Error(caller.pos,
                   prefix + "The workflow '" + ref + "' is requesting '" + want +
                       "', but is only allowed '" + have + "'.",
                   "permissions");
    }
  }
  for (const auto& job : callee.jobs) {
    if (!job.permissions) continue;
    auto [want, have] = DescribeExcess(PermissionSet::FromPermissions(*job.permissions), granted);
    if (want.empty()) continue;
    std::string name = job.name ? job.name->value : job.id;
    reader.Error(caller.pos,
                 prefix + "The nested job '" + name + "' is requesting '" + want +
                     "', but is only allowed '" + have + "'.",
                 "permissions");
  }
}

void CheckInputs(const Job& caller, const EventTrigger& call, Reader& reader) {
  std::map<std::string, const TriggerInput*> defined;
  for (const auto& input : call.inputs) defined[Lower(input.name)] = &input;
  std::map<std::string, const Text*> given;
  for (const auto& [name, value] : caller.with) given[Lower(name)] = &value;
  Position at = caller.uses ? caller.uses->pos : caller.pos;
  // `with: ${{ expr }}` (one entry without a name) is only known at run time.
  if (caller.with.size() == 1 && caller.with[0].first.empty()) return;

  for (const auto& input : call.inputs) {
    if (input.required && !given.count(Lower(input.name))) {
      reader.Error(at, "Input " + input.name + " is required, but not provided while calling.",
                   "workflow-call");
    }
  }
  for (const auto& [name, value] : caller.with) {
    auto it = defined.find(Lower(name));
    if (it == defined.end()) {
      reader.Error(value.pos,
                   "Invalid input, " + name + " is not defined in the referenced workflow.",
                   "workflow-call");
      continue;
    }
    if (HasExpression(value.value)) continue;
    const std::string& type = it->second->type;
    bool ok = type == "boolean"  ? IsBooleanText(value.value)
              : type == "number" ? IsNumberText(value.value)
                                 : true;
    if (!ok) {
      reader.Error(value.pos,
                   "Unexpected value '" + value.value + "': input '" + name +
                       "' of the called workflow is of type " + type,
                   "workflow-call");
    }
  }
}

void CheckSecrets(const Job& caller, const EventTrigger& call, Reader& reader) {
  if (caller.secrets_inherit) return;
  std::map<std::string, const TriggerSecret*> defined;
  for (const auto& secret : call.secrets) defined[Lower(secret.name)] = &secret;
  std::map<std::string, const Text*> given;
  for (const auto& [name, value] : caller.secrets) given[Lower(name)] = &value;
  Position at = caller.uses ? caller.uses->pos : caller.pos;
  if (caller.secrets.size() == 1 && caller.secrets[0].first.empty()) return;

  for (const auto& secret : call.secrets) {
    if (secret.required && !given.count(Lower(secret.name))) {
      reader.Error(at, "Secret " + secret.name + " is required, but not provided while calling.",
                   "workflow-call");
    }
  }
  for (const auto& [name, value] : caller.secrets) {
    if (!defined.count(Lower(name))) {
      reader.Error(value.pos,
                   "Invalid secret, " + name + " is not defined in the referenced workflow.",
                   "workflow-call");
    }
  }
}

}  // namespace

PermissionSet::PermissionSet() {
  for (auto scope : kScopes) levels_.emplace_back(std::string(scope), PermissionLevel::kNone);
}

PermissionSet PermissionSet::FromPolicy(PermissionPolicy policy) {
  PermissionSet set;
  if (policy == PermissionPolicy::kLimitedRead) {
    set.Set("contents", PermissionLevel::kRead);
    set.Set("packages", PermissionLevel::kRead);
    return set;
  }
  for (auto& [scope, level] : set.levels_) level = PermissionLevel::kWrite;
  // The permissive default still withholds OIDC tokens and grants models read only.
  set.Set("id-token", PermissionLevel::kNone);
  set.Set("models", PermissionLevel::kRead);
  return set;
}

PermissionSet PermissionSet::FromPermissions(const Permissions& permissions) {
  PermissionSet set;
  if (permissions.all && (*permissions.all == "read-all" || *permissions.all == "write-all")) {
    PermissionLevel level =
        *permissions.all == "write-all" ? PermissionLevel::kWrite : PermissionLevel::kRead;
    for (auto& [scope, l] : set.levels_) l = level;
  }
  for (const auto& [scope, level] : permissions.scopes) set.Set(scope, ParseLevel(level));
  return set;
}

PermissionLevel PermissionSet::Get(std::string_view scope) const {
  for (const auto& [name, level] : levels_) {
    if (name == scope) return level;
  }
  return PermissionLevel::kNone;
}

void PermissionSet::Set(std::string_view scope, PermissionLevel level) {
  for (auto& [name, l] : levels_) {
    if (name == scope) {
      l = level;
      return;
    }
  }
  levels_.emplace_back(std::string(scope), level);
}

std::string_view PermissionLevelName(PermissionLevel level) {
  switch (level) {
    case PermissionLevel::kWrite:
      return "write";
    case PermissionLevel::kRead:
      return "read";
    case PermissionLevel::kNone:
      break;
  }
  return "none";
}

PermissionSet EffectivePermissions(const Job& job, const Workflow& workflow,
                                   const PermissionSet& inherited) {
  if (job.permissions) return PermissionSet::FromPermissions(*job.permissions);
  if (workflow.permissions) return PermissionSet::FromPermissions(*workflow.permissions);
  return inherited;
}

void CheckReusableCall(const Job& caller, const Workflow& callee, const Workflow& caller_workflow,
                       const CallContext& context, Reader& reader) {
  const EventTrigger* call = callee.on.Find("workflow_call");
  if (call == nullptr) {
    reader.Error(caller.uses ? caller.uses->pos : caller.pos,
                 "workflow_call key is not defined in the referenced workflow.", "workflow-call");
    return;
  }
  CheckInputs(caller, *call, reader);
  CheckSecrets(caller, *call, reader);
  CheckPermissions(caller, callee, EffectivePermissions(caller, caller_workflow, context.inherited),
                   reader);
}

bool CheckWorkflowRef(const Text& uses, Reader& reader) {
  const std::string& s = uses.value;
  if (HasExpression(s)) {
    reader.Error(uses.pos,
                 "A reusable workflow reference cannot contain an expression: '" + s + "'",
                 "workflow-call");
    return false;
  }
  bool ok = false;
  if (s.starts_with("./") || s.starts_with("$/")) {  // "$/": this repository, like "./"
    ok = s.find('@') == std::string::npos && IsWorkflowFileName(s);
  } else {
    auto at = s.rfind('@');
    if (at != std::string::npos && at + 1 < s.size()) {
      std::string_view path(s.data(), at);
      // owner/repo/path...: at least three non-empty segments, the workflow file last.
      size_t first = path.find('/');
      size_t second = first == std::string_view::npos ? first : path.find('/', first + 1);
      ok = first != std::string_view::npos && first > 0 && second != std::string_view::npos &&
           second > first + 1 && second + 1 < path.size() && IsWorkflowFileName(path);
    }
  }
  if (!ok) {
    reader.Error(uses.pos,
                 "Invalid reusable workflow reference '" + s +
                     "'. Expected './<path>.yml' for a workflow of this repository or "
                     "'{owner}/{repo}/<path>.yml@{ref}'",
                 "workflow-call");
  }
  return ok;
}

bool CheckCallDepth(const Job& caller, int depth, int max_depth, Reader& reader) {
  if (depth <= max_depth) return true;
  reader.Error(caller.uses ? caller.uses->pos : caller.pos,
               "Nested reusable workflow depth exceeded " + std::to_string(max_depth) + ".",
               "workflow-call");
  return false;
}

bool CheckJobCount(int jobs, int max_jobs, Reader& reader) {
  if (jobs <= max_jobs) return true;
  reader.Error({}, "The workflow may not contain more than " + std::to_string(max_jobs) + " jobs",
               "workflow-call");
  return false;
}

}  // namespace gantry::workflow
