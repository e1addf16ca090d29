#include "workflow/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_set>
#include <vector>

#include "workflow/fields.h"
#include "workflow/jobs.h"
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

// State shared by one top-level load and the reusable workflows it calls.
struct CallState {
  const LoadOptions& options;
  Diagnostics& diagnostics;
  std::vector<std::string> stack;  // files being loaded, outermost first
  std::map<std::string, std::shared_ptr<const Workflow>> loaded;  // callee path → workflow
};

std::shared_ptr<Workflow> LoadOne(std::string_view content, const std::string& file,
                                  CallState& state);

// yaml-cpp marks an empty mapping value (`image:` followed by a newline) at the next token,
// often on a later line; GitHub reports such a value right after its key's colon. The nodes
// were created mutable by ParseYaml and are not shared yet, so they are fixed in place.
// TODO(workflow): move into yaml.cc's tree builder.
void FixEmptyValuePositions(const YamlNode& node, std::unordered_set<const YamlNode*>& seen) {
  if (!seen.insert(&node).second) return;  // an alias of a node already fixed
  for (const auto& item : node.items) FixEmptyValuePositions(*item, seen);
  for (const auto& [key, value] : node.entries) {
    if (value->IsScalar() && value->plain && value->scalar.empty() &&
        (value->pos.line != key->pos.line || value->pos.column <= key->pos.column)) {
      int key_length = static_cast<int>(key->scalar.size()) + (key->plain ? 0 : 2);
      const_cast<YamlNode&>(*value).pos = {key->pos.line, key->pos.column + key_length + 1};
    }
    FixEmptyValuePositions(*value, seen);
  }
}

// Hook for the checks of a call against its callee's workflow_call contract.
void CheckCall(const Job& caller, const Workflow& callee, const Workflow& caller_workflow,
               Reader& reader) {
  (void)caller;
  (void)callee;
  (void)caller_workflow;
  (void)reader;
}

// Loads the local reusable workflows `workflow` calls and checks each call.
void FollowCalls(Workflow& workflow, Reader& reader, CallState& state) {
  for (Job& job : workflow.jobs) {
    if (!job.uses || job.uses->value.substr(0, 2) != "./") continue;
    const Text& uses = *job.uses;
    const std::string path = uses.value.substr(2);
    int depth = static_cast<int>(state.stack.size());
    if (depth > state.options.max_call_depth) {
      reader.Error(uses.pos,
                   "Nested reusable workflow depth exceeded " +
                       std::to_string(state.options.max_call_depth) + ".",
                   "workflow-call");
      continue;
    }
    auto on_stack = std::find(state.stack.begin(), state.stack.end(), path);
    if (on_stack != state.stack.end()) {
      std::string chain;
      for (auto it = on_stack; it != state.stack.end(); ++it) chain += *it + " -> ";
      reader.Error(uses.pos, "Reusable workflow '" + path + "' calls itself: " + chain + path,
                   "workflow-call");
      continue;
    }
    std::shared_ptr<const Workflow> callee;
    if (auto cached = state.loaded.find(path); cached != state.loaded.end()) {
      callee = cached->second;
    } else {
      std::optional<std::string> content = state.options.read_file(path);
      if (!content) {
        reader.Error(uses.pos,
                     "Reusable workflow '" + uses.value + "' was not found: no file '" + path +
                         "' in the repository",
                     "workflow-call");
        continue;
      }
      callee = LoadOne(*content, path, state);
      state.loaded.emplace(path, callee);
    }
    if (!callee) continue;
    CheckCall(job, *callee, workflow, reader);
    job.called_workflow = callee;
  }
}

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

std::shared_ptr<Workflow> LoadOne(std::string_view content, const std::string& file,
                                  CallState& state) {
  Diagnostics diagnostics;
  Reader reader(file, diagnostics);
  std::shared_ptr<Workflow> workflow;
  YamlNodePtr root = ParseYaml(content, file, diagnostics);
  if (!root) {
    if (diagnostics.empty()) {
      reader.Error({}, "The workflow file is empty: it needs at least 'on' and 'jobs'", "syntax");
    }
  } else if (!root->IsMapping()) {
    ReportUnexpected(reader, *root, "a workflow mapping with 'on' and 'jobs'");
  } else {
    std::unordered_set<const YamlNode*> seen;
    FixEmptyValuePositions(*root, seen);
    workflow = std::make_shared<Workflow>();
    workflow->file = file;
    ReadWorkflow(reader, *root, *workflow);
    if (state.options.read_file) {
      state.stack.push_back(file);
      FollowCalls(*workflow, reader, state);
      state.stack.pop_back();
    }
  }
  SortByPosition(diagnostics);
  // The caller's own problems come first; those of the files it calls follow.
  state.diagnostics.insert(state.diagnostics.begin(), diagnostics.begin(), diagnostics.end());
  return workflow;
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
  CallState state{options, result.diagnostics, {}, {}};
  result.workflow = LoadOne(content, file, state);
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
