#include "server/triggers.h"

#include <algorithm>

#include "expr/expression.h"
#include "server/git_mirrors.h"
#include "server/run_context.h"
#include "server/scheduler.h"
#include "workflow/event_filter.h"
#include "workflow/loader.h"

namespace gantry::server {
namespace {

constexpr std::string_view kZeroSha = "0000000000000000000000000000000000000000";

std::string Diagnostics(const workflow::LoadResult& loaded) {
  std::string text;
  for (const auto& d : loaded.diagnostics) {
    if (d.severity != workflow::Severity::kError) continue;
    if (!text.empty()) text += "\n";
    text += d.ToString();
  }
  return text.empty() ? "the workflow file is not valid" : text;
}

std::string WorkflowName(const workflow::LoadResult& loaded, const std::string& file) {
  if (loaded.workflow && loaded.workflow->name) return loaded.workflow->name->value;
  return file;
}

// `run-name:` evaluated against github and inputs (GitHub's display title); `fallback` when
// the workflow has none or it does not evaluate.
std::string DisplayTitle(const ApiContext& ctx, const store::Project& project,
                         const store::Run& run, const workflow::Workflow& wf,
                         const std::string& fallback) {
  if (!wf.run_name) return fallback;
  auto tmpl = expr::Template::Parse(wf.run_name->value);
  if (!tmpl.ok()) return fallback;
  RunContext rc = MakeRunContext(ctx, project, run, {});
  auto value = tmpl.value().Evaluate(rc.plan_context);
  if (!value.ok()) return fallback;
  std::string title = value.value().ToString();
  return title.empty() ? fallback : title;
}

bool IsNumber(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace

nlohmann::json ValidateDispatchInputs(const std::vector<workflow::TriggerInput>& declared,
                                      const nlohmann::json& given, std::optional<Response>* error) {
  nlohmann::json out = nlohmann::json::object();
  auto fail = [&](const std::string& name, const std::string& message) {
    *error = Response::Error(422, "invalid_input", message, "inputs." + name);
    return nlohmann::json::object();
  };
  for (const auto& item : given.items()) {
    const std::string& name = item.key();
    const nlohmann::json& value = item.value();
    bool known = std::any_of(declared.begin(), declared.end(),
                             [&](const workflow::TriggerInput& in) { return in.name == name; });
    if (!known) return fail(name, "the workflow declares no input '" + name + "'");
    if (!value.is_string() && !value.is_boolean() && !value.is_number()) {
      return fail(name, "input '" + name + "' must be a string, a boolean or a number");
    }
  }
  for (const workflow::TriggerInput& in : declared) {
    std::string text;
    bool present = given.contains(in.name) && !given[in.name].is_null();
    if (present) {
      const nlohmann::json& v = given[in.name];
      text = v.is_string() ? v.get<std::string>() : v.dump();
    } else if (in.default_value) {
      text = *in.default_value;
    } else if (in.required) {
      return fail(in.name, "input '" + in.name + "' is required");
    } else if (in.type == "boolean") {
      text = "false";
    } else {
      out[in.name] = "";
      continue;
    }
    if (in.type == "boolean") {
      if (text != "true" && text != "false") {
        return fail(in.name,
                    "input '" + in.name + "' is a boolean: give true or false, not '" + text + "'");
      }
      out[in.name] = text == "true";
    } else if (in.type == "number") {
      if (!IsNumber(text)) {
        return fail(in.name, "input '" + in.name + "' is a number, not '" + text + "'");
      }
      out[in.name] = std::strtod(text.c_str(), nullptr);
    } else if (in.type == "choice") {
      if (std::find(in.options.begin(), in.options.end(), text) == in.options.end()) {
        std::string options;
        for (const auto& o : in.options) options += (options.empty() ? "" : ", ") + o;
        return fail(in.name,
                    "input '" + in.name + "' must be one of " + options + ", not '" + text + "'");
      }
      out[in.name] = text;
    } else {
      out[in.name] = text;
    }
  }
  return out;
}

core::Result<std::vector<store::Id>> TriggerRuns(ApiContext& ctx, const store::Project& project,
                                                 const TriggerEvent& event) {
  const std::string& owner = project.owner;
  const std::string& name = project.name;
  std::vector<std::string> files;
  if (!event.only_workflow.empty()) {
    files.push_back(event.only_workflow);
  } else {
    auto listed = ctx.mirrors->Workflows(owner, name, event.sha);
    if (!listed.ok()) return listed.status();
    files = std::move(listed).value();
  }
  workflow::EventFacts facts;
  facts.name = event.event;
  facts.ref = event.ref;
  facts.base_ref = event.base_ref;
  facts.action = event.action;
  // The changed files (a `git diff`) only when a workflow filters on paths.
  bool diffed = false;
  auto need_changed_files = [&](const workflow::Workflow& wf) {
    if (diffed || event.event != "push" || event.before.empty() || event.before == kZeroSha) {
      return;
    }
    const workflow::EventTrigger* t = wf.on.Find(event.event);
    if (t == nullptr || (t->paths.empty() && t->paths_ignore.empty())) return;
    diffed = true;
    auto changed = ctx.mirrors->ChangedFiles(owner, name, event.before, event.sha);
    if (changed.ok()) facts.changed_files = std::move(changed).value();
  };
  std::vector<store::Id> ids;
  for (const std::string& file : files) {
    auto yaml = ctx.mirrors->ReadFile(owner, name, event.sha, file);
    if (!yaml.ok()) return yaml.status();
    workflow::LoadOptions options;
    options.read_file = [&](const std::string& path) -> std::optional<std::string> {
      auto text = ctx.mirrors->ReadFile(owner, name, event.sha, path);
      if (!text.ok()) return std::nullopt;
      return std::move(text).value();
    };
    workflow::LoadResult loaded = workflow::LoadWorkflow(yaml.value(), file, options);
    store::Run run;
    run.project_id = project.id;
    run.workflow_file = file;
    run.workflow_name = WorkflowName(loaded, file);
    run.event = event.event;
    run.ref = event.ref;
    run.sha = event.sha;
    run.actor = event.actor;
    run.title = event.title;
    run.event_payload = Dump(event.payload);
    run.inputs = Dump(event.inputs);
    run.created_at = ctx.now_ms();
    if (!loaded.ok()) {
      // Only events the file could have been meant for show the error (GitHub shows invalid
      // workflow files on push); a dispatch answers the error instead.
      if (event.event != "push" && event.event != "pull_request") continue;
      run.status = "completed";
      run.conclusion = "failure";
      run.error = Diagnostics(loaded);
      run.completed_at = run.created_at;
      auto created = ctx.store->CreateRun(run);
      if (!created.ok()) return created.status();
      ids.push_back(created.value().id);
      continue;
    }
    if (event.event != "workflow_dispatch" && event.event != "schedule") {
      need_changed_files(*loaded.workflow);
    }
    if (event.event != "workflow_dispatch" && event.event != "schedule" &&
        !workflow::TriggersMatch(loaded.workflow->on, facts)) {
      continue;
    }
    run.title = DisplayTitle(ctx, project, run, *loaded.workflow, event.title);
    auto created = ctx.store->CreateRun(run);
    if (!created.ok()) return created.status();
    ids.push_back(created.value().id);
    if (auto s = ctx.scheduler->Launch(created.value(), loaded.workflow); !s.ok()) {
      return s;
    }
  }
  return ids;
}

}  // namespace gantry::server
