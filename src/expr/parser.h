#pragma once

// Recursive-descent parser with GitHub's precedence (`!` > `< <= > >=` > `== !=` > `&&` > `||`),
// postfix property/index access, parse-time validation of named values and functions, and
// GitHub's maximum depth.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "expr/ast.h"
#include "expr/expression.h"

namespace gantry::expr {

/// Maximum nesting depth GitHub accepts.
inline constexpr int kMaxParseDepth = 50;

/// The output of Parse.
struct ParseResult {
  std::unique_ptr<Node> root;          // nullptr for an empty expression
  std::vector<std::string> contexts;   // lower-case, first-use order, unique
  std::vector<std::string> functions;  // lower-case, first-use order, unique
};

/// Lexes and parses `text`. Errors are InvalidArgument worded as GitHub's, ending with
/// ". Located at position N within expression: TEXT".
core::Result<ParseResult> ParseExpression(std::string_view text, const ParseOptions& options);

}  // namespace gantry::expr
