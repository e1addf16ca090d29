#pragma once

// Public contract of the expression layer used by the workflow loader, the engine and the
// CLI. The implementation (lexer, parser, evaluator, functions) lives beside this file.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "expr/value.h"

namespace gantry::expr {

struct Node;  // AST node, defined in expr/ast.h

/// What a parse accepts. Unknown named values (contexts) and functions are parse errors,
/// worded as GitHub words them ("Unrecognized named-value: 'foo'...").
struct ParseOptions {
  /// Contexts allowed, lower-case (e.g. "github", "matrix"). nullopt accepts any name.
  std::optional<std::vector<std::string>> named_values;
  /// Functions allowed besides the always-available ones (contains, startsWith, endsWith,
  /// format, join, toJSON, fromJSON, case), lower-case: e.g. "hashfiles", "success",
  /// "failure", "cancelled", "always". nullopt accepts every built-in function.
  std::optional<std::vector<std::string>> extra_functions;
  /// Job-level `if:` only: success() and failure() may name jobs, e.g.
  /// `success('build', 'test')`, and then test those jobs' results in the needs context.
  bool status_functions_take_job_ids = false;
};

/// Evaluation-time state: the contexts and the job/step status for status functions.
struct EvalContext {
  /// Object whose keys are context names ("github", "env", ...). Lookups are
  /// case-insensitive.
  Value contexts;
  /// Status of the current job as seen by success()/failure()/cancelled(). kSkipped is for
  /// a job-level `if:` whose ancestors include a skipped job but no failed or cancelled one:
  /// success(), failure() and cancelled() are then all false (GitHub skips dependents).
  enum class JobStatus {
    kSuccess,
    kFailure,
    kCancelled,
    kSkipped
  } job_status = JobStatus::kSuccess;
  /// Directory hashFiles() resolves its patterns against (GITHUB_WORKSPACE).
  std::string workspace;
};

/// A parsed expression (the text inside `${{ }}`). Immutable after Parse; Evaluate is
/// const and safe to call from several threads at once.
class Expression {
 public:
  /// Parses `text`. On failure the Status is InvalidArgument with GitHub's message, e.g.
  /// "Unexpected symbol: '('. Located at position 3 within expression: a ((".
  static core::Result<Expression> Parse(std::string_view text, const ParseOptions& options = {});

  /// Evaluates against `ctx`. Errors (e.g. format() misuse, fromJSON of bad JSON) are
  /// InvalidArgument with GitHub's wording.
  core::Result<Value> Evaluate(const EvalContext& ctx) const;
  /// Evaluates and converts the result with GitHub's truthiness, without copying the result
  /// (the fast path for `if:` conditions). An empty expression is false.
  core::Result<bool> EvaluateTruthy(const EvalContext& ctx) const;

  /// Lower-case names of the contexts referenced, in first-use order, no duplicates.
  const std::vector<std::string>& referenced_contexts() const;
  /// Lower-case names of the functions called, in first-use order, no duplicates.
  const std::vector<std::string>& called_functions() const;
  /// True when a status function (success, failure, cancelled, always) is called; an `if:`
  /// without one is implicitly `success() && (...)`.
  bool HasStatusFunction() const;
  /// The original text.
  const std::string& text() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

/// A string with zero or more `${{ expr }}` parts, e.g. "v${{ matrix.os }}-${{ 1 + 1 }}".
class Template {
 public:
  /// Parses every `${{ }}` in `text`. A `${{` without its `}}` is an error.
  static core::Result<Template> Parse(std::string_view text, const ParseOptions& options = {});

  /// True when `text` has no `${{ }}` at all.
  bool IsLiteral() const;
  /// True when the template is exactly one `${{ expr }}` and nothing else (its value then
  /// keeps its type instead of becoming a string).
  bool IsSingleExpression() const;
  /// Evaluates: a single expression yields its value; otherwise every part is converted to
  /// a string and concatenated.
  core::Result<Value> Evaluate(const EvalContext& ctx) const;
  /// The expressions it contains, in order.
  const std::vector<Expression>& expressions() const;

 private:
  struct Part {
    std::string literal;
    int expression = -1;  // index into expressions_, or -1 for literal text
  };
  std::vector<Part> parts_;
  std::vector<Expression> expressions_;
};

/// Evaluates an `if:` condition: parses `condition` (with or without `${{ }}`), wraps it
/// in `success() && (...)` when it calls no status function, and converts the result to
/// a boolean with GitHub's truthiness.
core::Result<bool> EvaluateCondition(std::string_view condition, const EvalContext& ctx,
                                     const ParseOptions& options = {});

}  // namespace gantry::expr
