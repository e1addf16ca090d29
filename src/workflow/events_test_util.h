#pragma once

// Helper shared by the `on:` unit tests: parse a document's `on:` key as the loader does.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "workflow/events.h"

namespace gantry::workflow::testing {

/// The triggers and diagnostics of one parse.
struct ParsedTriggers {
  Triggers triggers;
  Diagnostics diagnostics;

  std::string First() const { return diagnostics.empty() ? "" : diagnostics[0].message; }
  Position FirstPos() const { return diagnostics.empty() ? Position{} : diagnostics[0].pos; }
};

/// Parses `yaml` (a document with an `on:` key) the way the loader does; the YAML itself
/// must be valid.
inline ParsedTriggers ParseOn(std::string_view yaml) {
  ParsedTriggers p;
  auto root = ParseYaml(yaml, "w.yml", p.diagnostics);
  EXPECT_TRUE(p.diagnostics.empty()) << p.diagnostics[0].ToString();
  EXPECT_TRUE(root && root->IsMapping());
  Reader reader("w.yml", p.diagnostics);
  ParseTriggers(root->Find("on"), reader, p.triggers);
  return p;
}

}  // namespace gantry::workflow::testing
