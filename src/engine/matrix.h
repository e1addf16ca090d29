#pragma once

// Helpers of the planner around `strategy:` that ExpandMatrix (plan.h) does not cover: which
// contexts a strategy's expressions read, so the planner knows whether it can expand the
// matrix now or must leave it to the runner.

#include <string>
#include <vector>

#include "workflow/model.h"

namespace gantry::engine {

/// Lower-case names of the contexts read by every `${{ }}` of `strategy` (matrix keys and
/// values, fail-fast, max-parallel, or the whole-strategy expression), in first-use order,
/// without duplicates. Expressions that do not parse are skipped (the loader reported them).
std::vector<std::string> StrategyReferencedContexts(const workflow::Strategy& strategy);

}  // namespace gantry::engine
