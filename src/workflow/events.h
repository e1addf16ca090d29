#pragma once

// The `on:` section of a workflow: every event GitHub documents, in its three forms
// (string, list, map), with filters, activity types, inputs and schedules.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "workflow/diagnostic.h"
#include "workflow/reader.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// One input of workflow_dispatch or workflow_call.
struct TriggerInput {
  std::string name;
  Position pos;
  std::string description;
  /// "string", "boolean", "number", "choice", "environment" (dispatch) or
  /// "string"/"boolean"/"number" (call).
  std::string type = "string";
  bool required = false;
  /// The default as written (a string, or the text of a boolean/number), if any.
  std::optional<std::string> default_value;
  /// Options of a `choice` input.
  std::vector<std::string> options;
};

/// One output of workflow_call.
struct TriggerOutput {
  std::string name;
  Position pos;
  std::string description;
  std::string value;  // an expression template
};

/// One secret declared by workflow_call.
struct TriggerSecret {
  std::string name;
  Position pos;
  std::string description;
  bool required = false;
};

/// One entry of `on.schedule`.
struct ScheduleEntry {
  std::string cron;      // validated 5-field expression
  std::string timezone;  // IANA name; empty = UTC
  Position pos;
};

/// One event of `on:` with everything that can filter it.
struct EventTrigger {
  std::string name;  // e.g. "push", "pull_request", "workflow_dispatch"
  Position pos;
  std::vector<std::string> types;
  std::vector<std::string> branches, branches_ignore, tags, tags_ignore, paths, paths_ignore;
  /// workflow_run: the workflows it follows.
  std::vector<std::string> workflows;
  /// image_version: image names and versions.
  std::vector<std::string> names, versions;
  /// schedule: cron expressions (validated), and the same entries with their time zones.
  std::vector<std::string> crons;
  std::vector<ScheduleEntry> schedule;
  /// workflow_dispatch / workflow_call.
  std::vector<TriggerInput> inputs;
  std::vector<TriggerOutput> outputs;
  std::vector<TriggerSecret> secrets;
};

/// Every event the workflow listens to, in the order written.
struct Triggers {
  std::vector<EventTrigger> events;
  /// The event named `name`, or nullptr.
  const EventTrigger* Find(std::string_view name) const;
};

/// Parses the value of `on:` into `out`, reporting problems through `reader`: unknown
/// events (with a did-you-mean), keys an event does not accept, activity types it does not
/// document, `x` with `x-ignore`, bad cron expressions and time zones, malformed
/// workflow_dispatch/workflow_call inputs, outputs and secrets, and any `${{ }}` (allowed
/// only in workflow_call input defaults and output values). A null `on` is an error; a
/// missing one (nullptr) is left to the caller.
void ParseTriggers(const YamlNodePtr& on, Reader& reader, Triggers& out);

}  // namespace gantry::workflow
