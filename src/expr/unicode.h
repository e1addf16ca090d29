#pragma once

// UTF-8 helpers and the case-insensitive string operations of GitHub expressions. Strings are
// compared after mapping every code point to upper case with the simple (1:1) Unicode mapping,
// except U+0131 (dotless i), which GitHub deliberately leaves alone. None of these allocate.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace gantry::expr {

/// Decodes the code point at `*i` and advances `*i` past it (see core/utf8.h).
using core::DecodeUtf8;
/// Appends `cp` encoded as UTF-8.
void AppendUtf8(std::string* out, char32_t cp);
/// Simple upper-case mapping as used for comparisons (U+0131 maps to itself).
char32_t ToUpperForCompare(char32_t cp);
/// Number of UTF-16 code units of `s` (positions in messages count these, as GitHub does).
std::size_t Utf16Length(std::string_view s);
/// True for the code points JavaScript's \s matches (whitespace and line terminators).
bool IsJsWhitespace(char32_t cp);

/// Case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
/// Case-insensitive ordering by UTF-16 code units of the upper-cased strings: <0, 0 or >0.
int CompareIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);
bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix);
bool ContainsIgnoreCase(std::string_view s, std::string_view needle);

}  // namespace gantry::expr
