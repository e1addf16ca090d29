#pragma once

// Readers of the workflow sections that appear at more than one level (workflow and job):
// permissions, concurrency, defaults, environment, containers and services, runs-on.
// Each reports problems through the Reader and returns what it could read.

#include <optional>
#include <vector>

#include "workflow/model.h"
#include "workflow/places.h"
#include "workflow/reader.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// `permissions:`: "read-all", "write-all", or a mapping of scope → read|write|none.
std::optional<Permissions> ReadPermissions(Reader& r, const YamlNodePtr& node);

/// `concurrency:`: a group string or {group, cancel-in-progress, queue}. Job-level groups must
/// not be empty (`job_level`).
std::optional<Concurrency> ReadConcurrency(Reader& r, const YamlNodePtr& node, Place place,
                                           bool job_level);

/// `defaults:` with its `run:` (shell, working-directory) read at `place`.
RunDefaults ReadDefaults(Reader& r, const YamlNodePtr& node, Place place);

/// `jobs.<id>.environment`: a name or {name, url, deployment}.
std::optional<Environment> ReadEnvironment(Reader& r, const YamlNodePtr& node);

/// `jobs.<id>.container` (`service_id` empty) or one entry of `services:`.
std::optional<Container> ReadContainer(Reader& r, const YamlNodePtr& node,
                                       const std::string& service_id);

/// `jobs.<id>.services` into `job.services` / `job.services_expression`.
void ReadServices(Reader& r, const YamlNodePtr& node, Job& job);

/// `jobs.<id>.runs-on` in any of its forms.
std::optional<RunsOn> ReadRunsOn(Reader& r, const YamlNodePtr& node);

}  // namespace gantry::workflow
