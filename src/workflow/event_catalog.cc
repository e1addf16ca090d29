#include "workflow/event_catalog.h"

#include <algorithm>
#include <string>

namespace gantry::workflow {
namespace {

constexpr unsigned kBranches = static_cast<unsigned>(EventFilter::kBranches);
constexpr unsigned kTags = static_cast<unsigned>(EventFilter::kTags);
constexpr unsigned kPaths = static_cast<unsigned>(EventFilter::kPaths);
constexpr unsigned kWorkflows = static_cast<unsigned>(EventFilter::kWorkflows);
constexpr unsigned kImage = static_cast<unsigned>(EventFilter::kImage);

std::vector<EventSpec> MakeCatalog() {
  using S = EventShape;
  const std::vector<std::string_view> created_edited_deleted = {"created", "edited", "deleted"};
  const std::vector<std::string_view> pull_request_types = {"assigned",
                                                            "unassigned",
                                                            "labeled",
                                                            "unlabeled",
                                                            "opened",
                                                            "edited",
                                                            "closed",
                                                            "reopened",
                                                            "synchronize",
                                                            "converted_to_draft",
                                                            "locked",
                                                            "unlocked",
                                                            "enqueued",
                                                            "dequeued",
                                                            "milestoned",
                                                            "demilestoned",
                                                            "ready_for_review",
                                                            "review_requested",
                                                            "review_request_removed",
                                                            "auto_merge_enabled",
                                                            "auto_merge_disabled",
                                                            "stacked"};
  std::vector<EventSpec> events = {
      {"branch_protection_rule", S::kFilters, 0, created_edited_deleted},
      {"check_run", S::kFilters, 0, {"created", "rerequested", "completed", "requested_action"}},
      {"check_suite", S::kFilters, 0, {"completed"}},
      {"create", S::kNoConfig, 0, {}},
      {"delete", S::kNoConfig, 0, {}},
      {"deployment", S::kNoConfig, 0, {}},
      {"deployment_status", S::kNoConfig, 0, {}},
      {"discussion",
       S::kFilters,
       0,
       {"created", "edited", "deleted", "transferred", "pinned", "unpinned", "labeled", "unlabeled",
        "locked", "unlocked", "category_changed", "answered", "unanswered"}},
      {"discussion_comment", S::kFilters, 0, created_edited_deleted},
      {"fork", S::kNoConfig, 0, {}},
      {"gollum", S::kNoConfig, 0, {}},
      {"image_version", S::kFilters, kImage, {"created", "ready", "deleted"}},
      {"issue_comment", S::kFilters, 0, created_edited_deleted},
      {"issues", S::kFilters, 0, {"opened",      "edited",        "deleted",    "transferred",
                                  "pinned",      "unpinned",      "closed",     "reopened",
                                  "assigned",    "unassigned",    "labeled",    "unlabeled",
                                  "locked",      "unlocked",      "milestoned", "demilestoned",
                                  "field_added", "field_removed", "typed",      "untyped"}},
      {"label", S::kFilters, 0, created_edited_deleted},
      {"merge_group", S::kFilters, kBranches, {"checks_requested"}},
      {"milestone", S::kFilters, 0, {"created", "closed", "opened", "edited", "deleted"}},
      {"page_build", S::kNoConfig, 0, {}},
      {"project", S::kFilters, 0, {"created", "closed", "reopened", "edited", "deleted"}},
      {"project_card", S::kFilters, 0, {"created", "moved", "converted", "edited", "deleted"}},
      {"project_column", S::kFilters, 0, {"created", "updated", "moved", "deleted"}},
      {"public", S::kNoConfig, 0, {}},
      {"pull_request", S::kFilters, kBranches | kPaths, pull_request_types},
      {"pull_request_comment", S::kFilters, 0, created_edited_deleted},
      {"pull_request_review", S::kFilters, 0, {"submitted", "edited", "dismissed"}},
      {"pull_request_review_comment", S::kFilters, 0, created_edited_deleted},
      {"pull_request_target", S::kFilters, kBranches | kPaths, pull_request_types},
      {"push", S::kFilters, kBranches | kTags | kPaths, {}},
      {"registry_package", S::kFilters, 0, {"published", "updated"}},
      {"release",
       S::kFilters,
       0,
       {"published", "unpublished", "created", "edited", "deleted", "prereleased", "released"}},
      {"repository_dispatch", S::kAnyTypes, 0, {}},
      {"schedule", S::kSchedule, 0, {}},
      {"status", S::kNoConfig, 0, {}},
      {"watch", S::kFilters, 0, {"started"}},
      {"workflow_call", S::kCall, 0, {}},
      {"workflow_dispatch", S::kDispatch, 0, {}},
      {"workflow_run",
       S::kFilters,
       kBranches | kWorkflows,
       {"requested", "completed", "in_progress"}},
  };
  std::sort(events.begin(), events.end(),
            [](const EventSpec& a, const EventSpec& b) { return a.name < b.name; });
  return events;
}

}  // namespace

const std::vector<EventSpec>& EventCatalog() {
  static const std::vector<EventSpec> catalog = MakeCatalog();
  return catalog;
}

const EventSpec* FindEvent(std::string_view name) {
  const auto& events = EventCatalog();
  auto it = std::lower_bound(events.begin(), events.end(), name,
                             [](const EventSpec& e, std::string_view n) { return e.name < n; });
  return it != events.end() && it->name == name ? &*it : nullptr;
}

std::vector<std::string_view> EventNames() {
  std::vector<std::string_view> names;
  for (const auto& e : EventCatalog()) names.push_back(e.name);
  return names;
}

std::string EventsAllowing(EventFilter filter) {
  std::string out;
  for (const auto& e : EventCatalog()) {
    if (!e.Allows(filter)) continue;
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

}  // namespace gantry::workflow
