#pragma once

// Typed reads of workflow values shared by every section of the loader. Each read checks the
// value's shape the way GitHub's workflow parser does, checks the `${{ }}` expressions it holds
// against the contexts allowed at its place, and reports problems through the Reader.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/model.h"
#include "workflow/places.h"
#include "workflow/reader.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// Reports `node` as having the wrong shape, in GitHub's words ("Unexpected value 'x'",
/// "A sequence was not expected", "A mapping was not expected") plus what was expected.
void ReportUnexpected(Reader& r, const YamlNode& node, std::string_view expected);

/// True when `node` is a scalar whose text contains "${{".
bool HasExpression(const YamlNode& node);

/// True when `node` is a scalar that is exactly one `${{ }}` and parses (no report).
bool IsSingleExpression(const YamlNode& node);

/// What CheckExpressions found in a scalar.
struct ExpressionCheck {
  bool ok = true;               // false when an error was reported
  bool has_expression = false;  // the text contains ${{ }}
  bool single = false;          // the text is exactly one ${{ }} (its value keeps its type)
};

/// Parses every `${{ }}` of a scalar with the contexts allowed at `place`, reporting GitHub's
/// parse message (or "A template expression is not allowed in this context") at the scalar.
ExpressionCheck CheckExpressions(Reader& r, const YamlNode& node, Place place);

/// A string field (booleans and numbers are taken as their text, null as ""). With
/// `non_empty`, "" is an error. nullopt when absent or on error.
std::optional<Text> ReadString(Reader& r, const YamlNodePtr& node, Place place,
                               bool non_empty = false);
/// A boolean, or an expression where `place` allows one. Text is "true"/"false" or the template.
std::optional<Text> ReadBool(Reader& r, const YamlNodePtr& node, Place place);
/// A number, or an expression where `place` allows one.
std::optional<Text> ReadNumber(Reader& r, const YamlNodePtr& node, Place place);
/// An `if:` condition: an expression with or without `${{ }}` (empty means success()).
std::optional<Text> ReadCondition(Reader& r, const YamlNodePtr& node, Place place);
/// A string or a sequence of strings (e.g. needs, ports).
std::vector<Text> ReadStringList(Reader& r, const YamlNodePtr& node, Place place,
                                 bool non_empty_items);
/// A mapping of names to strings (env, with, outputs, secrets). Where `place` allows
/// expressions, the whole map may be one expression (see IsWholeExpression).
TextMap ReadTextMap(Reader& r, const YamlNodePtr& node, Place place);

/// Reports keys of `mapping` that repeat an earlier key ignoring case ("'X' is already
/// defined", as GitHub compares keys) and returns, for each entry, whether it is such a repeat.
std::vector<bool> CheckDuplicateKeys(Reader& r, const YamlNode& mapping);

/// One alternative layout of a mapping: the keys it knows and those it requires. The keys only
/// an `experimental` shape knows are left out of the "not enough info" hint, as GitHub leaves
/// out the keys of shapes behind a feature flag.
struct Shape {
  std::vector<std::string_view> keys;
  std::vector<std::string_view> required;
  bool experimental = false;
};

/// Checks the keys of `mapping` against alternative shapes as GitHub does: each key keeps only
/// the shapes that know it, a key no remaining shape knows is "Unexpected value 'k'", then the
/// required keys of the one remaining shape are checked. Returns that shape's index, or -1 when
/// the keys did not decide between several shapes (reported as "not enough info"). Messages
/// are GitHub's, with a did-you-mean or a hint naming `what` (e.g. "a job") appended.
int CheckShape(Reader& r, const YamlNode& mapping, const std::vector<Shape>& shapes,
               std::string_view what);

}  // namespace gantry::workflow
