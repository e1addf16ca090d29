#pragma once

// Decoding of an HTTP request target (RFC 9112 origin-form): the percent-decoded path and the
// decoded query parameters the router and handlers see. Pure functions, no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::server {

/// `s` with every %XX replaced by its byte (and '+' by a space when `plus_is_space`, as in
/// query strings); nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);

struct Target {
  std::string path;                                        // percent-decoded, '+' kept
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order; "a" -> {"a",""}
};

/// Splits "/p%20ath?a=1&b=x+y" into its decoded path and query. InvalidArgument (the message
/// names the part) when the target does not start with '/', has a bad %-escape, or its path
/// decodes to a NUL byte.
core::Result<Target> ParseTarget(std::string_view target);

}  // namespace gantry::server
