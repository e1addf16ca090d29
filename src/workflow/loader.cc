#include "workflow/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <vector>

#include "workflow/fields.h"
#include "workflow/jobs.h"
#include "workflow/reusable.h"
#include "workflow/sections.h"
#include "workflow/validate.h"

namespace gantry::workflow {
namespace {

const Shape& WorkflowShape() {
  static const Shape shape = {{"on", "name", "description", "run-name", "defaults", "env",
                               "permissions", "concurrency", "jobs"},
                              {"on", "jobs"}};
  return shape;
}

// A called workflow, loaded once per top-level load however often it is called.
struct Callee {
  std::shared_ptr<Workflow> workflow;  // nullptr when it did not parse
  Diagnostics diagnostics;
  bool followed = false;  // its own calls were loaded and checked
};

// State shared by one top-level load and the reusable workflows it calls.
struct CallState {
  const LoadOptions& options;
  std::vector<std::string> stack;  // files on the current call chain, outermost first
  std::map<std::string, std::unique_ptr<Callee>> callees;  // by path or reference
  std::vector<std::string> order;                          // callees in first-load order
};

void ReadWorkflow(Reader& r, const YamlNode& root, Workflow& workflow) {
  CheckShape(r, root, {WorkflowShape()}, "workflow");
  workflow.name = ReadString(r, root.Find("name"), Place::kNoExpressions);
  workflow.description = ReadString(r, root.Find("description"), Place::kNoExpressions);
  workflow.run_name = ReadString(r, root.Find("run-name"), Place::kRunName);
  if (YamlNodePtr on = root.Find("on")) ParseTriggers(on, r, workflow.on);
  workflow.permissions = ReadPermissions(r, root.Find("permissions"));
  workflow.env = ReadTextMap(r, root.Find("env"), Place::kWorkflowEnv);
  workflow.defaults = ReadDefaults(r, root.Find("defaults"), Place::kNoContexts);
  workflow.concurrency =
      ReadConcurrency(r, root.Find("concurrency"), Place::kWorkflowConcurrency, false);
  if (YamlNodePtr jobs = root.Find("jobs")) {
    ReadJobs(r, jobs, workflow);
    if (jobs->IsMapping()) ValidateNeeds(r, workflow, jobs->pos);
  }
}

// Parses and validates one file on its own (calls are followed by FollowCalls).
std::shared_ptr<Workflow> Parse(std::string_view content, const std::string& file, Reader& r) {
  YamlNodePtr root = ParseYaml(content, file, r.diagnostics());
  if (!root) {
    if (r.diagnostics().empty()) {
      r.Error({}, "The workflow file is empty: it needs at least 'on' and 'jobs'", "syntax");
    }
    return nullptr;
  }
  auto workflow = std::make_shared<Workflow>();
  workflow->file = file;
  if (!root->IsMapping()) {
    ReportUnexpected(r, *root, "a workflow mapping with 'on' and 'jobs'");
    return workflow;
  }
  ReadWorkflow(r, *root, *workflow);
  return workflow;
}

// The callee stored under `key`, reading and parsing it on first use; nullptr when it cannot
// be read (reported for a local file, silent for a remote reference).
Callee* FindCallee(const Text& uses, const std::string& key, bool local, Reader& reader,
                   CallState& state) {
  if (auto it = state.callees.find(key); it != state.callees.end()) return it->second.get();
  std::optional<std::string> content = state.options.read_file(key);
  if (!content) {
    if (local) {
      const std::string& root = state.options.repository_root;
      std::string where =
          root.empty() ? "no file '" + key + "' in the repository"
                       : "no file '" + (std::filesystem::path(root) / key).string() +
                             "' (local paths resolve against the repository root " + root + ")";
      reader.Error(uses.pos, "Reusable workflow '" + uses.value + "' was not found: " + where,
                   "workflow-call");
    }
    return nullptr;
  }
  auto callee = std::make_unique<Callee>();
  Reader callee_reader(key, callee->diagnostics);
  callee->workflow = Parse(*content, key, callee_reader);
  state.order.push_back(key);
  return state.callees.emplace(key, std::move(callee)).first->second.get();
}

// Loads the reusable workflows `workflow` calls, checks each call against its callee, and
// recurses into the callees' own calls. `depth` is 0 for the top-level workflow.
void FollowCalls(Workflow& workflow, Reader& reader, const PermissionSet& inherited, int depth,
                 CallState& state) {
  // As GitHub does, calls are checked against their callees only when the caller itself is
  // valid: with errors its jobs may be incomplete, and the checks would report noise.
  const bool caller_valid = !HasErrors(reader.diagnostics());
  for (Job& job : workflow.jobs) {
    if (!job.uses || job.uses->value.find("${{") != std::string::npos) continue;
    Diagnostics scratch;  // the reference's form was reported when the job was read
    Reader quiet(reader.file(), scratch);
    if (!CheckWorkflowRef(*job.uses, quiet)) continue;
    if (!CheckCallDepth(job, depth + 1, state.options.max_call_depth, reader)) continue;
    // "$/path" is GitHub's self-repository form: the same file as "./path".
    const bool local = job.uses->value.starts_with("./") || job.uses->value.starts_with("$/");
    const std::string key = local ? job.uses->value.substr(2) : job.uses->value;
    if (auto it = std::find(state.stack.begin(), state.stack.end(), key); it != state.stack.end()) {
      std::string message = "Reusable workflow '" + key + "' calls itself: ";
      for (; it != state.stack.end(); ++it) {
        message += *it;
        message += " -> ";
      }
      message += key;
      reader.Error(job.uses->pos, message, "workflow-call");
      continue;
    }
    Callee* callee = FindCallee(*job.uses, key, local, reader, state);
    if (!callee || !callee->workflow) continue;
    if (caller_valid) {
      CheckReusableCall(job, *callee->workflow, workflow, CallContext{inherited}, reader);
    }
    job.called_workflow = callee->workflow;
    if (callee->followed) continue;
    // A callee called from several places is followed once, with the first caller's grant.
    callee->followed = true;
    state.stack.push_back(key);
    Reader callee_reader(key, callee->diagnostics);
    FollowCalls(*callee->workflow, callee_reader, EffectivePermissions(job, workflow, inherited),
                depth + 1, state);
    state.stack.pop_back();
  }
}

// Jobs of a run: a calling job counts itself and the jobs of its callee (GitHub rejects three
// calls of a two-job workflow under a limit of 8: 3 + 3 * 2 = 9).
int CountJobs(const Workflow& workflow, int depth) {
  int count = 0;
  for (const Job& job : workflow.jobs) {
    count += 1;
    if (job.called_workflow && depth < 16) count += CountJobs(*job.called_workflow, depth + 1);
  }
  return count;
}

}  // namespace

const Job* Workflow::FindJob(std::string_view id) const {
  for (const Job& job : jobs) {
    if (job.id == id) return &job;
  }
  return nullptr;
}

LoadResult LoadWorkflow(std::string_view content, const std::string& file,
                        const LoadOptions& options) {
  LoadResult result;
  Reader reader(file, result.diagnostics);
  std::shared_ptr<Workflow> workflow = Parse(content, file, reader);
  CallState state{options, {file}, {}, {}};
  if (workflow && options.read_file) {
    FollowCalls(*workflow, reader, PermissionSet::FromPolicy(options.permissions_policy), 0, state);
  }
  if (workflow && options.max_jobs > 0)
    CheckJobCount(CountJobs(*workflow, 0), options.max_jobs, reader);
  SortByPosition(result.diagnostics);
  for (const std::string& key : state.order) {
    Diagnostics& found = state.callees[key]->diagnostics;
    SortByPosition(found);
    result.diagnostics.insert(result.diagnostics.end(), found.begin(), found.end());
  }
  // A node reached through several YAML aliases reports its problems once.
  std::set<std::tuple<std::string, int, int, std::string>> seen;
  std::erase_if(result.diagnostics, [&seen](const Diagnostic& d) {
    return !seen.emplace(d.file, d.pos.line, d.pos.column, d.message).second;
  });
  result.workflow = std::move(workflow);
  return result;
}

LoadResult LoadWorkflowFile(const std::filesystem::path& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.diagnostics.push_back(
        {path.string(), {}, "cannot read the file: " + std::string(std::strerror(errno)), "io"});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return LoadWorkflow(text.str(), path.string(), options);
}

}  // namespace gantry::workflow
