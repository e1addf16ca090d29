#pragma once

// UTF-8 decoding shared by the expression functions and glob matching.

#include <cstddef>
#include <string_view>

namespace gantry::core {

/// Decodes the code point at `*i` and advances `*i` past it. Invalid bytes (and a truncated
/// sequence) decode as U+FFFD and advance by one byte.
char32_t DecodeUtf8(std::string_view s, std::size_t* i);

}  // namespace gantry::core
