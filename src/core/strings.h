#pragma once

// Small string helpers every layer needs (ASCII case mapping, trimming white space).

#include <string>
#include <string_view>

namespace gantry::core {

/// `s` without leading and trailing white space (as std::isspace defines it).
std::string_view TrimSpace(std::string_view s);

/// `s` with the ASCII letters A-Z mapped to a-z; other bytes unchanged.
std::string AsciiLower(std::string_view s);

/// `s` with the ASCII letters a-z mapped to A-Z; other bytes unchanged.
std::string AsciiUpper(std::string_view s);

}  // namespace gantry::core
