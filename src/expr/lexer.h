#pragma once

// Tokenizer for the text inside `${{ }}`, with GitHub's lexical rules: numbers in JavaScript
// syntax (hex, octal, exponent, NaN, Infinity, leading sign), single-quoted strings with ''
// escapes, identifiers of letters, digits, '_' and '-'.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::expr {

/// Longest expression GitHub accepts.
inline constexpr std::size_t kMaxExpressionLength = 21000;

enum class TokenType {
  kLeftParen,
  kRightParen,
  kLeftBracket,
  kRightBracket,
  kComma,
  kDot,
  kBang,
  kBangEqual,
  kEqualEqual,
  kGreater,
  kGreaterEqual,
  kLess,
  kLessEqual,
  kAnd,
  kOr,
  kStar,
  kNumber,
  kString,
  kIdentifier,
  kTrue,
  kFalse,
  kNull,
  kEof,
};

/// One token. `offset` is the byte offset of its first character in the expression.
struct Token {
  TokenType type = TokenType::kEof;
  std::string_view lexeme;  // view into the expression text
  std::size_t offset = 0;
  double number = 0;   // kNumber
  std::string string;  // kString: the unescaped value
};

/// "Located at position N within expression: TEXT" with N 1-based in UTF-16 units.
std::string LocationSuffix(std::string_view text, std::size_t offset);

/// Splits `text` into tokens ending with kEof. Errors are InvalidArgument worded as GitHub's
/// ("Unexpected symbol: '@abc'. Located at position 3 within expression: 1 @abc 2").
core::Result<std::vector<Token>> Lex(std::string_view text);

}  // namespace gantry::expr
