#pragma once

// What a workflow's `on: workflow_dispatch` asks of the one who runs it by hand, as the web
// UI's Run workflow form and GET …/workflows show it: read with the workflow loader that
// starts the runs (workflow/loader.h), so the form offers what a dispatch accepts.

#include <nlohmann/json.hpp>
#include <string>

namespace gantry::server {

/// null when the workflow `yaml` (the file `path`) has no workflow_dispatch trigger or does
/// not load (a dispatch would be refused); else {"inputs": {name: {"description", "required",
/// "default", "type", "options"}}}. "default" is typed as the input (a boolean, a number, a
/// string) and null when none is given; "options" lists a choice input's options ([] for the
/// other types).
nlohmann::json DispatchJson(const std::string& yaml, const std::string& path);

}  // namespace gantry::server
