#include "workflow/sections.h"

#include <algorithm>
#include <string_view>

#include "workflow/fields.h"

namespace gantry::workflow {
namespace {

struct Scope {
  std::string_view name;
  std::vector<std::string_view> levels;
};

// Scopes and the levels each accepts, as in GitHub's workflow schema and docs.
const std::vector<Scope>& Scopes() {
  static const std::vector<Scope> scopes = {
      {"actions", {"read", "write", "none"}},
      {"artifact-metadata", {"read", "write", "none"}},
      {"attestations", {"read", "write", "none"}},
      {"checks", {"read", "write", "none"}},
      {"code-quality", {"read", "write", "none"}},
      {"contents", {"read", "write", "none"}},
      {"copilot-requests", {"write", "none"}},
      {"deployments", {"read", "write", "none"}},
      {"discussions", {"read", "write", "none"}},
      {"drives", {"read", "write", "none"}},
      {"id-token", {"write", "none"}},
      {"issues", {"read", "write", "none"}},
      {"models", {"read", "none"}},
      {"packages", {"read", "write", "none"}},
      {"pages", {"read", "write", "none"}},
      {"pull-requests", {"read", "write", "none"}},
      {"repository-projects", {"read", "write", "none"}},
      {"security-events", {"read", "write", "none"}},
      {"statuses", {"read", "write", "none"}},
      {"vulnerability-alerts", {"read", "none"}},
  };
  return scopes;
}

std::string JoinOr(const std::vector<std::string_view>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

}  // namespace

std::optional<Permissions> ReadPermissions(Reader& r, const YamlNodePtr& node) {
  if (!node) return std::nullopt;
  Permissions out;
  out.pos = node->pos;
  if (node->IsScalar()) {
    if (HasExpression(*node)) {
      CheckExpressions(r, *node, Place::kNoExpressions);
      return std::nullopt;
    }
    if (node->scalar != "read-all" && node->scalar != "write-all") {
      ReportUnexpected(r, *node, "read-all, write-all or a mapping of scopes");
      return std::nullopt;
    }
    out.all = node->scalar;
    return out;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "read-all, write-all or a mapping of scopes");
    return std::nullopt;
  }
  Shape shape;
  for (const auto& scope : Scopes()) shape.keys.push_back(scope.name);
  CheckShape(r, *node, {shape}, "permissions");
  for (const auto& [key, value] : node->entries) {
    const std::string& name = key->scalar;
    auto scope = std::find_if(Scopes().begin(), Scopes().end(),
                              [&name](const Scope& s) { return s.name == name; });
    if (scope == Scopes().end()) continue;
    if (!value->IsScalar() || std::find(scope->levels.begin(), scope->levels.end(),
                                        value->scalar) == scope->levels.end()) {
      ReportUnexpected(r, *value, JoinOr(scope->levels) + " for '" + key->scalar + "'");
      continue;
    }
    out.scopes.emplace_back(key->scalar, value->scalar);
  }
  return out;
}

std::optional<Concurrency> ReadConcurrency(Reader& r, const YamlNodePtr& node, Place place,
                                           bool job_level) {
  if (!node) return std::nullopt;
  Concurrency out;
  out.pos = node->pos;
  if (node->IsScalar()) {
    auto group = ReadString(r, node, place, job_level);
    if (!group) return std::nullopt;
    out.group = std::move(*group);
    return out;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a group name or a mapping with 'group'");
    return std::nullopt;
  }
  if (CheckShape(r, *node, {{{"group", "cancel-in-progress", "queue"}, {"group"}}}, "concurrency") <
      0) {
    return std::nullopt;
  }
  if (auto group = ReadString(r, node->Find("group"), place, true)) out.group = std::move(*group);
  out.cancel_in_progress = ReadBool(r, node->Find("cancel-in-progress"), place);
  if (auto queue = node->Find("queue")) {
    if (queue->IsScalar() && (queue->scalar == "single" || queue->scalar == "max")) {
      out.queue = Text{queue->scalar, queue->pos};
    } else {
      ReportUnexpected(r, *queue, "single or max");
    }
  }
  return out;
}

RunDefaults ReadDefaults(Reader& r, const YamlNodePtr& node, Place place) {
  RunDefaults out;
  if (!node) return out;
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping with 'run'");
    return out;
  }
  CheckShape(r, *node, {{{"run"}, {}}}, "defaults");
  YamlNodePtr run = node->Find("run");
  if (!run) return out;
  if (!run->IsMapping()) {
    ReportUnexpected(r, *run, "a mapping with 'shell' and/or 'working-directory'");
    return out;
  }
  CheckShape(r, *run, {{{"shell", "working-directory"}, {}}}, "defaults.run");
  out.shell = ReadString(r, run->Find("shell"), place, true);
  out.working_directory = ReadString(r, run->Find("working-directory"), place, true);
  return out;
}

std::optional<Environment> ReadEnvironment(Reader& r, const YamlNodePtr& node) {
  if (!node) return std::nullopt;
  Environment out;
  out.pos = node->pos;
  if (node->IsScalar()) {
    auto name = ReadString(r, node, Place::kJob);
    if (!name) return std::nullopt;
    out.name = std::move(*name);
    return out;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "an environment name or a mapping with 'name'");
    return std::nullopt;
  }
  if (CheckShape(r, *node, {{{"name", "url", "deployment"}, {"name"}}}, "environment") < 0) {
    return std::nullopt;
  }
  if (auto name = ReadString(r, node->Find("name"), Place::kJob)) out.name = std::move(*name);
  out.url = ReadString(r, node->Find("url"), Place::kEnvironmentUrl);
  out.deployment = ReadBool(r, node->Find("deployment"), Place::kJob);
  return out;
}

std::optional<Container> ReadContainer(Reader& r, const YamlNodePtr& node,
                                       const std::string& service_id) {
  if (!node) return std::nullopt;
  Container out;
  out.id = service_id;
  out.pos = node->pos;
  const bool service = !service_id.empty();
  if (node->IsScalar()) {
    auto image = ReadString(r, node, Place::kJob, service);
    if (!image) return std::nullopt;
    out.image = std::move(*image);
    return out;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "an image name or a mapping with 'image'");
    return std::nullopt;
  }
  std::vector<std::string_view> keys = {"image", "options", "env",
                                        "ports", "volumes", "credentials"};
  if (service) keys.insert(keys.end(), {"entrypoint", "command"});
  CheckShape(r, *node, {{keys, {}}}, service ? "service '" + service_id + "'" : "container");
  if (auto image = ReadString(r, node->Find("image"), Place::kJob, true)) {
    out.image = std::move(*image);
  } else if (!node->Find("image")) {
    r.Error(node->pos, "Container image cannot be empty", "syntax");
  }
  out.options = ReadString(r, node->Find("options"), Place::kJob);
  out.entrypoint = ReadString(r, node->Find("entrypoint"), Place::kJob);
  out.command = ReadString(r, node->Find("command"), Place::kJob);
  out.env = ReadTextMap(r, node->Find("env"), Place::kContainerEnv);
  for (const char* list : {"ports", "volumes"}) {
    YamlNodePtr items = node->Find(list);
    if (!items) continue;
    std::vector<Text>& dest = std::string_view(list) == "ports" ? out.ports : out.volumes;
    if (items->IsSequence()) {
      dest = ReadStringList(r, items, Place::kJob, true);
    } else if (HasExpression(*items)) {
      if (auto text = ReadString(r, items, Place::kJob)) dest.push_back(std::move(*text));
    } else {
      ReportUnexpected(r, *items, "a sequence of strings");
    }
  }
  if (YamlNodePtr credentials = node->Find("credentials")) {
    if (credentials->IsMapping()) {
      CheckShape(r, *credentials, {{{"username", "password"}, {}}}, "credentials");
      auto user = ReadString(r, credentials->Find("username"), Place::kContainerCredentials, true);
      auto pass = ReadString(r, credentials->Find("password"), Place::kContainerCredentials, true);
      out.credentials = std::make_pair(user.value_or(Text{}), pass.value_or(Text{}));
    } else if (HasExpression(*credentials)) {
      CheckExpressions(r, *credentials, Place::kContainerCredentials);
    } else {
      ReportUnexpected(r, *credentials, "a mapping with 'username' and 'password'");
    }
  }
  return out;
}

void ReadServices(Reader& r, const YamlNodePtr& node, Job& job) {
  if (!node) return;
  if (HasExpression(*node)) {
    if (CheckExpressions(r, *node, Place::kJob).ok)
      job.services_expression = Text{node->scalar, node->pos};
    return;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping of service names to containers");
    return;
  }
  std::vector<bool> duplicate = CheckDuplicateKeys(r, *node);
  for (size_t i = 0; i < node->entries.size(); ++i) {
    const auto& [key, value] = node->entries[i];
    if (duplicate[i]) continue;
    if (key->scalar.empty() || HasExpression(*key)) {
      ReportUnexpected(r, *key, "a service name");
      continue;
    }
    if (auto container = ReadContainer(r, value, key->scalar)) {
      job.services.push_back(std::move(*container));
    }
  }
}

std::optional<RunsOn> ReadRunsOn(Reader& r, const YamlNodePtr& node) {
  if (!node) return std::nullopt;
  RunsOn out;
  out.pos = node->pos;
  if (node->IsScalar()) {
    auto text = ReadString(r, node, Place::kJob, true);
    if (!text) return std::nullopt;
    if (IsSingleExpression(*node)) {
      out.expression = std::move(*text);
    } else {
      out.labels.push_back(std::move(*text));
    }
    return out;
  }
  if (node->IsSequence()) {
    out.labels = ReadStringList(r, node, Place::kJob, true);
    return out;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a runner label, a sequence of labels or {group, labels}");
    return std::nullopt;
  }
  CheckShape(r, *node, {{{"group", "labels"}, {}}}, "runs-on");
  out.labels = ReadStringList(r, node->Find("labels"), Place::kJob, true);
  if (auto group = ReadString(r, node->Find("group"), Place::kJob, true)) {
    const std::string& name = group->value;
    auto slash = name.find('/');
    if (!HasExpression(*node->Find("group")) && slash != std::string::npos) {
      std::string prefix = name.substr(0, slash);
      std::string rest = name.substr(slash + 1);
      bool known_prefix =
          prefix == "org" || prefix == "organization" || prefix == "ent" || prefix == "enterprise";
      if (!known_prefix || rest.find('/') != std::string::npos) {
        r.Error(group->pos,
                "Invalid runs-on group name '" + name +
                    "'. Please use 'organization/' or 'enterprise/' prefix to target a single "
                    "runner group.",
                "syntax");
      } else if (rest.empty()) {
        r.Error(group->pos, "Invalid runs-on group name '" + name + "'.", "syntax");
      }
    }
    out.group = std::move(*group);
  }
  return out;
}

}  // namespace gantry::workflow
