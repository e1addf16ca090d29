#pragma once

// The IANA time zone names (tzdata 2025b zones and links) GitHub accepts for
// `on.schedule[*].timezone`.

#include <string_view>

namespace gantry::workflow {

/// True when `name` is an IANA time zone name, e.g. "Europe/Paris", "UTC", "Etc/GMT+5"
/// (case-sensitive, as the tz database is).
bool IsTimeZoneName(std::string_view name);

}  // namespace gantry::workflow
