#pragma once

// The conformance harness: each suite runs one external corpus from ../shared/conformance
// and reports which cases pass. The driver (main.cc) compares the result with the
// committed floor (floors.tsv) and the justified known failures (known-failures/<suite>.tsv).

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace gantry::conformance {

/// One case that did not pass: its stable id (file#index or path) and why.
struct Failure {
  std::string id;
  std::string detail;
};

/// What one suite found.
struct SuiteResult {
  int passed = 0;
  int total = 0;
  std::vector<Failure> failures;
  /// Non-empty when the suite cannot run here at all (say, no Docker engine): why. The driver
  /// then reports the suite as skipped instead of comparing it with its floor.
  std::string skipped;
};

/// A suite: its name (as printed) and the function that runs it against the corpus root
/// (the `conformance/` folder).
struct Suite {
  std::string name;
  std::function<SuiteResult(const std::filesystem::path& corpus)> run;
};

/// Registers a suite at static-initialisation time; use via a namespace-scope variable.
struct SuiteRegistrar {
  explicit SuiteRegistrar(Suite suite);
};

/// All registered suites, in registration order.
std::vector<Suite>& Suites();

}  // namespace gantry::conformance
