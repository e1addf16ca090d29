#include "workflow/cron.h"

#include <array>
#include <cctype>
#include <vector>

namespace gantry::workflow {
namespace {

using core::Status;

struct Field {
  std::string_view name;
  int min;
  int max;
  // Three-letter names for values min, min+1, ... (months start at 1, weekdays at 0).
  std::vector<std::string_view> names;
};

const std::array<Field, 5>& Fields() {
  static const std::array<Field, 5> fields = {{
      {"minute", 0, 59, {}},
      {"hour", 0, 23, {}},
      {"day-of-month", 1, 31, {}},
      {"month",
       1,
       12,
       {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      {"day-of-week", 0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
  }};
  return fields;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// A single value: digits, or a name for fields that have names.
core::Result<int> ParseValue(std::string_view text, const Field& field) {
  if (text.empty()) {
    return Status::InvalidArgument(std::string(field.name) + " field has an empty value");
  }
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    int value = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        return Status::InvalidArgument(std::string(field.name) + " value " + Quote(text) +
                                       " is not a number");
      }
      value = value * 10 + (c - '0');
      if (value > 1000) break;
    }
    if (value < field.min || value > field.max) {
      return Status::InvalidArgument(std::string(field.name) + " value " + Quote(text) +
                                     " is out of range " + std::to_string(field.min) + "-" +
                                     std::to_string(field.max));
    }
    return value;
  }
  if (text.size() == 3) {
    for (size_t i = 0; i < field.names.size(); ++i) {
      bool same = true;
      for (size_t j = 0; j < 3; ++j) {
        same = same && std::tolower(static_cast<unsigned char>(text[j])) == field.names[i][j];
      }
      if (same) return field.min + static_cast<int>(i);
    }
  }
  std::string what = " is not a number";
  if (!field.names.empty()) {
    what = field.name == "month" ? " is not a number or a month name (JAN-DEC)"
                                 : " is not a number or a weekday name (SUN-SAT)";
  }
  return Status::InvalidArgument(std::string(field.name) + " value " + Quote(text) + what);
}

// One comma-separated item: `*`, `N`, `N-M`, each with an optional `/step`.
Status ParseItem(std::string_view item, const Field& field, std::vector<bool>& out,
                 bool& restricted) {
  if (item.empty()) {
    return Status::InvalidArgument(std::string(field.name) + " field has an empty list item");
  }
  std::string_view base = item;
  int step = 1;
  if (auto slash = item.find('/'); slash != std::string_view::npos) {
    base = item.substr(0, slash);
    std::string_view step_text = item.substr(slash + 1);
    if (step_text.find('/') != std::string_view::npos) {
      return Status::InvalidArgument(std::string(field.name) + " part " + Quote(item) +
                                     " has more than one '/'");
    }
    bool digits = !step_text.empty();
    step = 0;
    for (char c : step_text) {
      digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (digits && step <= 1000) step = step * 10 + (c - '0');
    }
    if (!digits || step < 1 || step > field.max) {
      return Status::InvalidArgument(std::string(field.name) + " step " + Quote(step_text) +
                                     " must be a number from 1 to " + std::to_string(field.max));
    }
    if (base.empty()) {
      return Status::InvalidArgument(std::string(field.name) + " part " + Quote(item) +
                                     " has no value before '/'");
    }
  }
  int first = field.min;
  int last = field.max;
  if (base == "*") {
    // `*/1` is as unrestricted as `*` for the day-of-month/day-of-week rule.
    if (step != 1) restricted = true;
  } else {
    restricted = true;
    auto dash = base.find('-');
    auto start = ParseValue(base.substr(0, dash), field);
    if (!start.ok()) return start.status();
    first = *start;
    if (dash != std::string_view::npos) {
      auto end = ParseValue(base.substr(dash + 1), field);
      if (!end.ok()) return end.status();
      last = *end;
      if (last < first) {
        return Status::InvalidArgument(std::string(field.name) + " range " + Quote(base) +
                                       " ends before it starts");
      }
    } else if (item.find('/') == std::string_view::npos) {
      last = first;
    }
  }
  for (int v = first; v <= last; v += step) out[v] = true;
  return Status::Ok();
}

template <size_t N>
void Copy(const std::vector<bool>& values, std::bitset<N>& bits) {
  for (size_t i = 0; i < N && i < values.size(); ++i) bits[i] = values[i];
}

}  // namespace

core::Result<CronSchedule> ParseCron(std::string_view expression) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < expression.size()) {
    while (i < expression.size() && (expression[i] == ' ' || expression[i] == '\t')) ++i;
    size_t start = i;
    while (i < expression.size() && expression[i] != ' ' && expression[i] != '\t') ++i;
    if (i > start) parts.push_back(expression.substr(start, i - start));
  }
  if (parts.size() != 5) {
    return Status::InvalidArgument(
        "expected 5 fields (minute hour day-of-month month day-of-week) but found " +
        std::to_string(parts.size()));
  }
  CronSchedule schedule;
  std::array<bool*, 5> restricted = {nullptr, nullptr, &schedule.dom_restricted, nullptr,
                                     &schedule.dow_restricted};
  for (size_t f = 0; f < 5; ++f) {
    const Field& field = Fields()[f];
    std::vector<bool> values(field.max + 1, false);
    bool is_restricted = false;
    std::string_view part = parts[f];
    size_t pos = 0;
    while (true) {
      size_t comma = part.find(',', pos);
      std::string_view item =
          part.substr(pos, comma == std::string_view::npos ? part.npos : comma - pos);
      if (auto st = ParseItem(item, field, values, is_restricted); !st.ok()) return st;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    if (restricted[f]) *restricted[f] = is_restricted;
    switch (f) {
      case 0:
        Copy(values, schedule.minutes);
        break;
      case 1:
        Copy(values, schedule.hours);
        break;
      case 2:
        Copy(values, schedule.days_of_month);
        break;
      case 3:
        Copy(values, schedule.months);
        break;
      default:
        Copy(values, schedule.days_of_week);
        break;
    }
  }
  return schedule;
}

bool CronSchedule::Matches(std::chrono::sys_seconds t) const {
  namespace chr = std::chrono;
  auto day = chr::floor<chr::days>(t);
  chr::hh_mm_ss hms{t - day};
  return minutes[hms.minutes().count()] && hours[hms.hours().count()] && DayMatches(t);
}

bool CronSchedule::DayMatches(std::chrono::sys_seconds t) const {
  namespace chr = std::chrono;
  auto day = chr::floor<chr::days>(t);
  chr::year_month_day ymd{day};
  if (!months[static_cast<unsigned>(ymd.month())]) return false;
  bool dom = days_of_month[static_cast<unsigned>(ymd.day())];
  bool dow = days_of_week[chr::weekday{day}.c_encoding()];
  if (dom_restricted && dow_restricted) return dom || dow;
  return dom && dow;
}

std::optional<std::chrono::sys_seconds> CronSchedule::Next(std::chrono::sys_seconds t) const {
  namespace chr = std::chrono;
  chr::sys_seconds m = chr::floor<chr::minutes>(t) + chr::minutes(1);
  const chr::sys_seconds limit = m + chr::days(366 * 5);
  // Skip whole days, then whole hours, that cannot match: a search takes at most a few
  // thousand steps.
  while (m < limit) {
    auto day = chr::floor<chr::days>(m);
    if (!DayMatches(m)) {
      m = day + chr::days(1);
      continue;
    }
    chr::hh_mm_ss hms{m - day};
    if (!hours[hms.hours().count()]) {
      m = day + chr::hours(hms.hours().count() + 1);
      continue;
    }
    if (minutes[hms.minutes().count()]) return m;
    m += chr::minutes(1);
  }
  return std::nullopt;
}

}  // namespace gantry::workflow
