#pragma once

// `gantry expr`: evaluate one expression (or template) against JSON contexts.

#include <iosfwd>
#include <string>

namespace gantry::cli {

/// Evaluates `expression` — bare, inside `${{ }}`, or a template with text around or between
/// several `${{ }}` (whose result is a string) — against the JSON object of contexts in
/// `context_file` ("" = no contexts, "-" = stdin). Prints the result as JSON (pretty, as
/// toJSON prints it) to `out`. Returns 0; 1 with GitHub's message on `err` when the expression
/// fails to parse or evaluate; 2 when the context file is unreadable or not a JSON object.
int RunExprCommand(const std::string& expression, const std::string& context_file,
                   std::ostream& out, std::ostream& err);

/// Batch mode for test tooling: reads JSON lines {"expr": "...", "contexts": {...}} from `in`
/// and writes one JSON line per input to `out`: {"ok":true,"kind":"String","value":...} or
/// {"ok":false,"error":"..."}. Top-level numbers are written as strings in JavaScript form
/// ("1.5", "NaN", "Infinity") so that non-finite results survive. Returns 0, or 2 when a line
/// is not valid JSON.
int RunExprBatchCommand(std::istream& in, std::ostream& out);

}  // namespace gantry::cli
