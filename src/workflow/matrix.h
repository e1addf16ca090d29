#pragma once

// `jobs.<id>.strategy`: the matrix (vectors, include, exclude, or one expression), fail-fast and
// max-parallel. The matrix is validated here and expanded later by the engine's planner.

#include <optional>

#include "workflow/model.h"
#include "workflow/reader.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// Reads a strategy, reporting empty vectors, malformed include/exclude lists, exclude keys
/// that name no matrix key, and expressions that use contexts a strategy cannot see.
std::optional<Strategy> ReadStrategy(Reader& r, const YamlNodePtr& node);

}  // namespace gantry::workflow
