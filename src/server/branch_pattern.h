#pragma once

// Branch name patterns of branch protection rules, matched as GitHub matches them (Ruby's
// File.fnmatch with FNM_PATHNAME): `*` is any run of characters but `/`, `**` any run
// including `/` (so `release/**` matches `release/1/x` and `**` every branch), `?` one
// character but `/`, `[abc]`, `[a-z]` and `[!a]` (or `[^a]`) one character of a set.

#include <string>
#include <string_view>

#include "core/status.h"

namespace gantry::server {

/// True when `branch` (a short name, "release/1.2") matches `pattern`.
bool BranchPatternMatches(std::string_view pattern, std::string_view branch);

/// OK when `pattern` can be a rule's pattern: 1 to 255 characters, no control characters,
/// every `[` closed. InvalidArgument saying what is wrong otherwise.
core::Status ValidateBranchPattern(std::string_view pattern);

}  // namespace gantry::server
