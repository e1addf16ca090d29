#pragma once

// The catalogue of events that can trigger a workflow: which `on.<event>` keys each one
// accepts and its documented activity types.

#include <string_view>
#include <vector>

namespace gantry::workflow {

/// Keys an event configuration may hold besides `types`.
enum class EventFilter : unsigned {
  kNone = 0,
  kBranches = 1 << 0,   // branches, branches-ignore
  kTags = 1 << 1,       // tags, tags-ignore
  kPaths = 1 << 2,      // paths, paths-ignore
  kWorkflows = 1 << 3,  // workflows (workflow_run)
  kImage = 1 << 4,      // names, versions (image_version)
};

/// How an event is configured beyond the filters.
enum class EventShape {
  kNoConfig,  // only `on: event` / `event:` (null)
  kFilters,   // a mapping of filters and activity types
  kSchedule,  // a sequence of {cron, timezone}
  kDispatch,  // workflow_dispatch inputs
  kCall,      // workflow_call inputs/outputs/secrets
  kAnyTypes,  // repository_dispatch: `types` with any names
};

/// One event GitHub documents.
struct EventSpec {
  std::string_view name;
  EventShape shape;
  unsigned filters;  // EventFilter bits
  /// Documented activity types; empty when the event has none.
  std::vector<std::string_view> types;

  bool Allows(EventFilter f) const { return (filters & static_cast<unsigned>(f)) != 0; }
};

/// Every event, sorted by name.
const std::vector<EventSpec>& EventCatalog();
/// The event named `name` (case-sensitive), or nullptr.
const EventSpec* FindEvent(std::string_view name);
/// Every event name, for did-you-mean suggestions.
std::vector<std::string_view> EventNames();
/// Names of the events that accept `filter`, e.g. "push, pull_request, pull_request_target".
std::string EventsAllowing(EventFilter filter);

}  // namespace gantry::workflow
