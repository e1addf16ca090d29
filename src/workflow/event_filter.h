#pragma once

// Whether a workflow's `on:` fires for an event: the event name, its activity types, and the
// branches/tags/paths filters matched with GitHub's filter pattern syntax.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/events.h"

namespace gantry::workflow {

/// GitHub's filter pattern syntax: `*` (any characters but '/'), `**` (any characters), `?`
/// and `+` (zero-or-one / one-or-more of the preceding character), `[a-z0-9]` (one character
/// of a class) and `\` escapes. The whole `value` must match.
bool MatchFilterPattern(std::string_view pattern, std::string_view value);

/// An ordered list of patterns where `!pattern` excludes what earlier patterns included:
/// true when the last pattern matching `value` is a positive one.
bool MatchFilterList(const std::vector<std::string>& patterns, std::string_view value);

/// What is known about the event being simulated.
struct EventFacts {
  std::string name;      // "push", "pull_request", ...
  std::string ref;       // push: refs/heads/<b> or refs/tags/<t>
  std::string base_ref;  // pull_request*: the base branch the filters match
  std::string action;    // the payload's activity type, empty when unknown
  /// Changed files relative to the repository root; nullopt when unknown (path filters then
  /// let the event through, as GitHub does when it cannot compute the diff).
  std::optional<std::vector<std::string>> changed_files;
};

/// True when `triggers` fire for `facts`: the event is listed, its types (default for
/// pull_request: opened, synchronize, reopened) include the action, and its filters match
/// (branches and tags of push against the ref — a ref kind with no filter of its own does not
/// match when only the other kind is filtered; branches of pull_request against the base
/// branch; paths against the changed files).
bool TriggersMatch(const Triggers& triggers, const EventFacts& facts);

}  // namespace gantry::workflow
