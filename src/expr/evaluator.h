#pragma once

// Tree-walking evaluator with GitHub's semantics: loose coercions, short-circuit `&&`/`||`
// returning operand values, `*` filters, and GitHub's memory limit on intermediate results.

#include <array>
#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "expr/ast.h"
#include "expr/expression.h"
#include "expr/functions.h"

namespace gantry::expr {

/// Largest total size of live intermediate results, as GitHub accounts it (strings count two
/// bytes a character plus overhead).
inline constexpr std::int64_t kMaxEvaluationMemory = 1048576;

/// Evaluates one tree against one context. Single use, not thread-safe; cheap to construct
/// (no allocation), so build one per evaluation.
class Evaluator {
 public:
  /// `text` is the expression text, quoted in error messages.
  Evaluator(const EvalContext& ctx, std::string_view text) : ctx_(ctx), text_(text) {}

  /// Evaluates `node` into `*out`. The result may point into ctx's contexts or the tree, so it
  /// must not outlive them.
  core::Status Evaluate(const Node& node, Ref* out);

 private:
  bool Eval(const Node& n, Ref* out);
  bool EvalIndex(const Node& n, Ref* out);
  bool EvalCall(const Node& n, Ref* out);
  bool Account(const Node& n, const Ref& result);
  bool Fail(core::Status status);

  const EvalContext& ctx_;
  std::string_view text_;
  core::Status error_;
  // GitHub's per-level memory accounting: bytes held at each tree level. Entries above
  // max_active_level_ are garbage; they are zeroed when that level becomes active.
  std::array<std::int64_t, 64> level_bytes_;
  int max_active_level_ = -1;
  std::int64_t total_bytes_ = 0;
};

}  // namespace gantry::expr
