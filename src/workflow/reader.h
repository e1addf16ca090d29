#pragma once

// Typed reads of YamlNodes that report every problem as a Diagnostic at the node's
// position. Shared by every part of the workflow loader (jobs, steps, triggers, actions).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/diagnostic.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// The closest candidate to `word` by edit distance (case-insensitive), or "" when none
/// is close enough to be a plausible typo.
std::string ClosestMatch(std::string_view word, const std::vector<std::string_view>& candidates);

/// Collects diagnostics for one file. Not thread-safe; one per file being loaded.
class Reader {
 public:
  Reader(std::string file, Diagnostics& diagnostics)
      : file_(std::move(file)), diagnostics_(diagnostics) {}

  const std::string& file() const { return file_; }
  Diagnostics& diagnostics() { return diagnostics_; }

  /// Records `message` at `pos` under `rule`.
  void Error(Position pos, std::string message, std::string rule = "syntax");
  /// Records a warning: advice that does not make the workflow invalid.
  void Warning(Position pos, std::string message, std::string rule);

  /// True when `node` is a mapping; otherwise reports "<what> must be a mapping, not <type>".
  bool ExpectMapping(const YamlNodePtr& node, std::string_view what);
  /// True when `node` is a sequence; otherwise reports an error.
  bool ExpectSequence(const YamlNodePtr& node, std::string_view what);
  /// The text of a scalar that is not null (booleans and numbers are accepted as their
  /// text, as GitHub does for string fields); nullopt and an error otherwise.
  std::optional<std::string> String(const YamlNodePtr& node, std::string_view what);
  /// A scalar, or a sequence of scalars, as a list of strings.
  std::optional<std::vector<std::string>> StringOrList(const YamlNodePtr& node,
                                                       std::string_view what);
  /// A plain boolean scalar.
  std::optional<bool> Bool(const YamlNodePtr& node, std::string_view what);
  /// A number scalar.
  std::optional<double> Number(const YamlNodePtr& node, std::string_view what);

  /// Reports every key of `mapping` not in `allowed` as "Unexpected value 'k'" with a
  /// "did you mean" suggestion. `what` names the mapping, e.g. "job 'build'".
  void CheckKeys(const YamlNode& mapping, const std::vector<std::string_view>& allowed,
                 std::string_view what);

 private:
  std::string file_;
  Diagnostics& diagnostics_;
};

}  // namespace gantry::workflow
