#pragma once

// Checks that span jobs, run after every job was read: what `needs` refers to.

#include "workflow/model.h"
#include "workflow/reader.h"

namespace gantry::workflow {

/// Reports `needs` entries naming unknown jobs, dependency cycles (naming the cycle, e.g.
/// "a -> b -> a") and a workflow with no job free of dependencies (at `jobs_pos`). Job ids
/// are matched ignoring case, as GitHub treats them.
void ValidateNeeds(Reader& r, const Workflow& workflow, Position jobs_pos);

}  // namespace gantry::workflow
