#pragma once

// `jobs:`: job ids and the two kinds of job, one that runs steps on a runner (`runs-on`) and
// one that calls a reusable workflow (`uses`). Checks that span jobs (needs) are in validate.h.

#include "workflow/model.h"
#include "workflow/reader.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// Reads the value of `jobs:` into `workflow.jobs`, reporting every problem found.
void ReadJobs(Reader& r, const YamlNodePtr& node, Workflow& workflow);

}  // namespace gantry::workflow
