#pragma once

// The `steps:` of a job: run steps and action steps, their ids and `uses` references.

#include <string_view>
#include <vector>

#include "workflow/model.h"
#include "workflow/reader.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// Reads `jobs.<id>.steps`, reporting shape errors, invalid or duplicate step ids (unique per
/// job, ignoring case), malformed `uses` and expressions not allowed in steps.
std::vector<Step> ReadSteps(Reader& r, const YamlNodePtr& node);

/// GitHub's identifier rule for job and step ids: a letter or '_' first, then alphanumerics,
/// '-' or '_', under 100 characters, not starting with "__". Returns "" when `id` is valid,
/// else GitHub's message.
std::string CheckIdentifier(std::string_view id);

/// True when `uses` of a step has a shape GitHub accepts: "docker://image", a local
/// "./path" or "$/path", or "{owner}/{repo}[/path]@{ref}".
bool IsValidActionReference(std::string_view uses);

/// True when `uses` names a path of the running repository: "./path" (or ".\path", ".") or
/// GitHub's self-repository form "$/path", which resolves exactly like "./path".
bool IsLocalReference(std::string_view uses);

/// The repository-relative path of a local reference ("./a/b" and "$/a/b" → "a/b"; "." → "").
std::string_view LocalPath(std::string_view uses);

}  // namespace gantry::workflow
