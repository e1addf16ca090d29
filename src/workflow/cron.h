#pragma once

// POSIX 5-field cron expressions as GitHub's `on.schedule` accepts them: minute (0-59),
// hour (0-23), day of month (1-31), month (1-12 or JAN-DEC), day of week (0-6 or SUN-SAT);
// each field a comma-separated list of `*`, `N`, `N-M`, with an optional `/step`.

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace gantry::workflow {

/// A parsed schedule: the set of values each field matches. Value type, immutable use.
struct CronSchedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bit 0 unused
  std::bitset<13> months;         // bit 0 unused
  std::bitset<7> days_of_week;    // 0 = Sunday
  /// Whether the day fields were restricted (not `*`). When both are, a day matches if
  /// either matches (classic cron semantics); otherwise the restricted one decides.
  bool dom_restricted = false;
  bool dow_restricted = false;

  /// True when the UTC minute starting at `t` matches.
  bool Matches(std::chrono::sys_seconds t) const;
  /// True when the UTC day of `t` matches (month and day fields only).
  bool DayMatches(std::chrono::sys_seconds t) const;
  /// The first matching minute strictly after `t`, or nullopt when none exists within
  /// ~5 years (e.g. `0 0 31 2 *`).
  std::optional<std::chrono::sys_seconds> Next(std::chrono::sys_seconds t) const;
};

/// Parses `expression`. Errors are InvalidArgument with a message that names the field and
/// the offending part, e.g. "minute value '61' is out of range 0-59".
core::Result<CronSchedule> ParseCron(std::string_view expression);

}  // namespace gantry::workflow
