#include "workflow/events.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "workflow/cron.h"
#include "workflow/event_catalog.h"
#include "workflow/event_inputs.h"
#include "workflow/timezones.h"

namespace gantry::workflow {
namespace {

constexpr std::string_view kExpressionNotAllowed =
    "A template expression is not allowed in this context";

bool HasExpression(std::string_view s) { return s.find("${{") != std::string_view::npos; }

// `${{ }}` is evaluated nowhere in `on:` except workflow_call input defaults and output
// values (GitHub's schema gives no other place there a context).
bool ExpressionAllowed(const std::vector<std::string_view>& path) {
  return path.size() == 4 && path[0] == "workflow_call" &&
         ((path[1] == "inputs" && path[3] == "default") ||
          (path[1] == "outputs" && path[3] == "value"));
}

void ScanExpressions(const YamlNodePtr& node, std::vector<std::string_view>& path, Reader& reader) {
  if (!node) return;
  if (node->IsScalar()) {
    if (HasExpression(node->scalar) && !ExpressionAllowed(path)) {
      reader.Error(node->pos, std::string(kExpressionNotAllowed), "expression");
    }
    return;
  }
  for (const auto& item : node->items) {
    path.emplace_back("[]");
    ScanExpressions(item, path, reader);
    path.pop_back();
  }
  for (const auto& [key, value] : node->entries) {
    if (HasExpression(key->scalar)) {
      reader.Error(key->pos, std::string(kExpressionNotAllowed), "expression");
    }
    path.push_back(key->scalar);
    ScanExpressions(value, path, reader);
    path.pop_back();
  }
}

std::string Squash(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_' && c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A plausible intended event name: a close spelling, or else the shortest event whose name
// starts with what was written once case and underscores are ignored ("pullreq").
std::string SuggestEvent(std::string_view name) {
  std::string best = ClosestMatch(name, EventNames());
  if (!best.empty() || name.size() < 4) return best;
  const std::string squashed = Squash(name);
  for (auto candidate : EventNames()) {
    if (Squash(candidate).starts_with(squashed) &&
        (best.empty() || candidate.size() < best.size())) {
      best = std::string(candidate);
    }
  }
  return best;
}

// The spec of event `name` at `node`, or nullptr after reporting it as unknown.
const EventSpec* LookUpEvent(const YamlNode& node, Reader& reader) {
  if (!node.IsScalar() || node.IsNull()) {
    reader.Error(node.pos, "An event name must be a string, not a " + node.TypeName());
    return nullptr;
  }
  if (const EventSpec* spec = FindEvent(node.scalar)) return spec;
  if (HasExpression(node.scalar)) return nullptr;  // already reported
  std::string message =
      "Unexpected value '" + node.scalar + "': not an event that can trigger a workflow";
  std::string suggestion = SuggestEvent(node.scalar);
  if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
  reader.Error(node.pos, message, "events");
  return nullptr;
}

// A non-empty string or a sequence of them (branch, tag, path and workflow filters).
std::vector<std::string> ReadPatterns(const YamlNodePtr& node, std::string_view key,
                                      Reader& reader) {
  std::vector<std::string> out;
  auto one = [&](const YamlNodePtr& n) {
    if (!n->IsScalar() || n->IsNull()) {
      reader.Error(n->pos, "'" + std::string(key) + "' must be a string or a sequence of " +
                               "strings, not a " + n->TypeName());
      return;
    }
    if (n->scalar.empty()) {
      reader.Error(n->pos, "'" + std::string(key) + "' must not contain an empty string");
      return;
    }
    out.push_back(n->scalar);
  };
  if (node->IsSequence()) {
    if (node->items.empty()) {
      reader.Error(node->pos,
                   "'" + std::string(key) +
                       "' must not be empty: remove it to match "
                       "everything, or list at least one pattern",
                   "events");
    }
    for (const auto& item : node->items) one(item);
  } else {
    one(node);
  }
  return out;
}

std::string JoinTypes(const std::vector<std::string_view>& types) {
  std::string out;
  for (auto t : types) out += (out.empty() ? "" : ", ") + std::string(t);
  return out;
}

void ReadTypes(const YamlNodePtr& node, const EventSpec& spec, Reader& reader,
               EventTrigger& event) {
  auto check = [&](const YamlNodePtr& n) {
    if (!n->IsScalar() || n->IsNull() || n->scalar.empty()) {
      reader.Error(n->pos, "An activity type must be a non-empty string, not a " + n->TypeName());
      return;
    }
    if (spec.shape != EventShape::kAnyTypes &&
        std::find(spec.types.begin(), spec.types.end(), n->scalar) == spec.types.end()) {
      std::string message = "Unexpected value '" + n->scalar +
                            "': not an activity type of event '" + std::string(spec.name) +
                            "'; its types are " + JoinTypes(spec.types);
      std::string suggestion = ClosestMatch(n->scalar, spec.types);
      if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
      reader.Error(n->pos, message, "events");
      return;
    }
    event.types.push_back(n->scalar);
  };
  if (node->IsSequence()) {
    if (node->items.empty()) {
      reader.Error(node->pos,
                   "'types' must not be empty: remove it to run on every activity type, or list "
                   "at least one",
                   "events");
    }
    for (const auto& item : node->items) check(item);
  } else {
    check(node);
  }
}

struct FilterKey {
  std::string_view key;
  EventFilter filter;
  std::vector<std::string> EventTrigger::*field;
};

const std::vector<FilterKey>& FilterKeys() {
  static const std::vector<FilterKey> keys = {
      {"branches", EventFilter::kBranches, &EventTrigger::branches},
      {"branches-ignore", EventFilter::kBranches, &EventTrigger::branches_ignore},
      {"tags", EventFilter::kTags, &EventTrigger::tags},
      {"tags-ignore", EventFilter::kTags, &EventTrigger::tags_ignore},
      {"paths", EventFilter::kPaths, &EventTrigger::paths},
      {"paths-ignore", EventFilter::kPaths, &EventTrigger::paths_ignore},
      {"workflows", EventFilter::kWorkflows, &EventTrigger::workflows},
      {"names", EventFilter::kImage, &EventTrigger::names},
      {"versions", EventFilter::kImage, &EventTrigger::versions},
  };
  return keys;
}

void ParseFilters(const YamlNode& config, const EventSpec& spec, Reader& reader,
                  EventTrigger& event) {
  std::vector<std::string_view> allowed;
  if (!spec.types.empty() || spec.shape == EventShape::kAnyTypes) allowed.emplace_back("types");
  for (const auto& f : FilterKeys()) {
    if (spec.Allows(f.filter)) allowed.push_back(f.key);
  }
  const std::string event_name(spec.name);
  for (const auto& [key, value] : config.entries) {
    const std::string& k = key->scalar;
    if (k == "types" && !allowed.empty() && allowed[0] == "types") {
      ReadTypes(value, spec, reader, event);
      continue;
    }
    auto f = std::find_if(FilterKeys().begin(), FilterKeys().end(),
                          [&](const FilterKey& fk) { return fk.key == k; });
    if (f != FilterKeys().end() && spec.Allows(f->filter)) {
      event.*(f->field) = ReadPatterns(value, k, reader);
      continue;
    }
    if (f != FilterKeys().end() || k == "types") {
      std::string only =
          k == "types" ? "events with activity types" : EventsAllowing(f->filter) + " events";
      reader.Error(
          key->pos,
          "'" + k + "' is not available for event '" + event_name + "'; it is only for " + only,
          "events");
      continue;
    }
    std::string message = "Unexpected value '" + k + "' in event '" + event_name + "'";
    if (allowed.empty()) {
      message += "; this event takes no configuration";
    } else if (std::string s = ClosestMatch(k, allowed); !s.empty()) {
      message += " (did you mean '" + s + "'?)";
    } else {
      message += "; expected one of " + JoinTypes(allowed);
    }
    reader.Error(key->pos, message, "unknown-key");
  }
  // `x` and `x-ignore` exclude each other; GitHub wants `!pattern` entries instead.
  for (std::string_view base : {"branches", "tags", "paths"}) {
    const std::string ignore = std::string(base) + "-ignore";
    YamlNodePtr a, b;
    for (const auto& [key, value] : config.entries) {
      if (key->scalar == base) a = key;
      if (key->scalar == ignore) b = key;
    }
    if (!a || !b) continue;
    const YamlNode& later =
        a->pos.line > b->pos.line || (a->pos.line == b->pos.line && a->pos.column > b->pos.column)
            ? *a
            : *b;
    reader.Error(later.pos,
                 "'" + std::string(base) + "' and '" + ignore +
                     "' cannot both be used for event '" + event_name + "'; use '!' patterns in '" +
                     std::string(base) + "' to exclude",
                 "events");
  }
}

void ParseSchedule(const YamlNodePtr& node, Reader& reader, EventTrigger& event) {
  if (!node->IsSequence()) {
    reader.Error(node->pos,
                 "'schedule' must be a sequence of entries like '- cron: \"0 * * * *\"'"
                 ", not a " +
                     node->TypeName(),
                 "events");
    return;
  }
  if (node->items.empty()) {
    reader.Error(node->pos, "'schedule' needs at least one entry like '- cron: \"0 * * * *\"'",
                 "events");
  }
  for (const auto& item : node->items) {
    if (!reader.ExpectMapping(item, "A schedule entry")) continue;
    reader.CheckKeys(*item, {"cron", "timezone"}, "schedule entry");
    ScheduleEntry entry;
    entry.pos = item->pos;
    auto cron = item->Find("cron");
    if (!cron) {
      reader.Error(item->pos, "Required property is missing: cron", "events");
      continue;
    }
    auto text = reader.String(cron, "'cron'");
    if (!text) continue;
    if (HasExpression(*text)) continue;  // already reported
    auto parsed = ParseCron(*text);
    if (!parsed.ok()) {
      reader.Error(cron->pos,
                   "Invalid cron expression '" + *text + "': " + parsed.status().message(),
                   "events");
      continue;
    }
    entry.cron = *text;
    if (auto tz = item->Find("timezone")) {
      auto zone = reader.String(tz, "'timezone'");
      if (!zone) continue;
      if (!IsTimeZoneName(*zone)) {
        reader.Error(
            tz->pos,
            "Unknown time zone '" + *zone + "'; use an IANA time zone name such as 'Europe/Paris'",
            "events");
        continue;
      }
      entry.timezone = *zone;
    }
    event.crons.push_back(entry.cron);
    event.schedule.push_back(std::move(entry));
  }
}

// One `event: config` entry of the mapping form.
void ParseEvent(const YamlNode& key, const YamlNodePtr& value, Reader& reader, Triggers& out) {
  const EventSpec* spec = LookUpEvent(key, reader);
  if (!spec) return;
  EventTrigger event;
  event.name = key.scalar;
  event.pos = key.pos;
  if (!value || value->IsNull()) {
    if (spec->shape == EventShape::kSchedule) {
      reader.Error(key.pos, "'schedule' needs at least one entry like '- cron: \"0 * * * *\"'",
                   "events");
    }
    out.events.push_back(std::move(event));
    return;
  }
  if (spec->shape == EventShape::kSchedule) {
    ParseSchedule(value, reader, event);
    out.events.push_back(std::move(event));
    return;
  }
  if (!value->IsMapping()) {
    reader.Error(value->pos, "The configuration of event '" + event.name +
                                 "' must be a mapping, not a " + value->TypeName());
    return;
  }
  switch (spec->shape) {
    case EventShape::kDispatch:
      ParseDispatchConfig(*value, reader, event);
      break;
    case EventShape::kCall:
      ParseCallConfig(*value, reader, event);
      break;
    default:
      ParseFilters(*value, *spec, reader, event);
      break;
  }
  out.events.push_back(std::move(event));
}

void AddNamedEvent(const YamlNode& node, Reader& reader, Triggers& out) {
  const EventSpec* spec = LookUpEvent(node, reader);
  if (!spec) return;
  if (spec->shape == EventShape::kSchedule) {
    reader.Error(node.pos, "'schedule' needs cron entries: use 'on: schedule: - cron: ...'",
                 "events");
    return;
  }
  EventTrigger event;
  event.name = node.scalar;
  event.pos = node.pos;
  out.events.push_back(std::move(event));
}

}  // namespace

const EventTrigger* Triggers::Find(std::string_view name) const {
  for (const auto& e : events) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

void ParseTriggers(const YamlNodePtr& on, Reader& reader, Triggers& out) {
  if (!on) return;
  std::vector<std::string_view> path;
  ScanExpressions(on, path, reader);
  if (on->IsNull()) {
    reader.Error(on->pos, "'on' must name at least one event, e.g. 'on: push'", "events");
  } else if (on->IsScalar()) {
    AddNamedEvent(*on, reader, out);
  } else if (on->IsSequence()) {
    if (on->items.empty()) {
      reader.Error(on->pos, "'on' must name at least one event, e.g. 'on: [push]'", "events");
    }
    for (const auto& item : on->items) AddNamedEvent(*item, reader, out);
  } else {
    if (on->entries.empty()) {
      reader.Error(on->pos, "'on' must name at least one event", "events");
    }
    for (const auto& [key, value] : on->entries) ParseEvent(*key, value, reader, out);
  }
}

}  // namespace gantry::workflow
