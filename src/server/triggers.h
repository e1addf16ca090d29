#pragma once

// Which workflows an event starts: reads `.github/workflows/` of the project's mirror at the
// event's commit, loads each file with the same loader as `gantry lint`, matches its `on:`
// with the same filters as `gantry exec`, and creates a run per match (a file that does not
// load gives a failed run naming the error, as GitHub shows an invalid workflow file).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/api.h"
#include "workflow/events.h"

namespace gantry::server {

struct TriggerEvent {
  std::string event;  // push | pull_request | workflow_dispatch | schedule
  std::string ref;    // refs/heads/main, refs/tags/v1, refs/pull/3/merge
  std::string sha;
  std::string before;    // push: the previous sha ("" or zeros when unknown / a new branch)
  std::string base_ref;  // pull_request: the base branch name
  std::string head_ref;  // pull_request: the head branch name
  std::string action;    // pull_request: opened, synchronize, ...
  std::string actor;
  std::string title;  // head commit subject, PR title ...
  nlohmann::json payload = nlohmann::json::object();
  nlohmann::json inputs = nlohmann::json::object();  // dispatch, already validated
  /// Only this workflow file (dispatch, schedule); "" = every file.
  std::string only_workflow;
};

/// Creates and launches the runs `event` starts in `project`; returns their ids (empty when
/// no workflow matches). Unavailable when the commit cannot be read.
core::Result<std::vector<store::Id>> TriggerRuns(ApiContext& ctx, const store::Project& project,
                                                 const TriggerEvent& event);

/// Checks dispatch `inputs` against the workflow's `workflow_dispatch.inputs` and returns
/// them typed and defaulted (`*error` is set to a 422 response naming the field
/// "inputs.<name>" otherwise).
nlohmann::json ValidateDispatchInputs(const std::vector<workflow::TriggerInput>& declared,
                                      const nlohmann::json& given, std::optional<Response>* error);

}  // namespace gantry::server
