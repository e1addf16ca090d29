#pragma once

// Running act's run cases (act/MANIFEST.tsv) with the real `gantry exec` binary: shared by the
// act-exec suite (no Docker, no network) and the act-docker suite (a local Docker engine with
// stand-in images). Each case runs in a scratch copy of act/ with our stand-ins for act's
// omitted fixtures (tests/conformance/act-fixtures/) laid over it.

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace gantry::conformance::act {

/// One `run` row of act/MANIFEST.tsv.
struct Case {
  std::string name, workflow_path, event, expected, platforms, workdir, config, notes;
  std::set<std::string> needs;
  bool no_docker_no_network = false;
  std::vector<std::string> omitted_fixtures;  // paths relative to act/
  /// The stable id reported by the suites: `case:event`.
  std::string id() const { return name + ":" + event; }
};

/// Every row of `act_dir`/MANIFEST.tsv whose act_mode is `run`, in file order (a case can have
/// several rows, one per act test table). Empty when the manifest cannot be read.
std::vector<Case> ReadRunRows(const std::filesystem::path& act_dir);

/// Our stand-ins for act's omitted fixtures: $GANTRY_SOURCE_DIR/tests/conformance/act-fixtures.
std::filesystem::path FixturesDir();

/// The path of the executable `program` in one of $PATH's directories, or "".
std::string FindOnPath(const std::string& program);

/// True when an executable `program` is in one of $PATH's directories.
bool OnPath(const std::string& program);

/// Runs `argv` (argv[0] a path) with its output discarded, killed after `timeout`; its exit code,
/// or -1 when it could not start, was killed or timed out.
int RunQuiet(const std::vector<std::string>& argv, std::chrono::seconds timeout);

/// Why `c` cannot run for lack of an omitted fixture that act-fixtures/ does not provide, or "".
std::string MissingFixture(const Case& c, const std::filesystem::path& fixtures);

/// The gantry binary: $GANTRY_BINARY, else the one this build made.
std::string BinaryPath();

/// How RunCase runs a case beyond the manifest's own configuration.
struct RunOptions {
  std::chrono::seconds timeout{120};
  /// Extra `gantry exec` arguments.
  std::vector<std::string> extra_args;
  /// Called on the scratch copy of act/ before gantry starts; returns "" or why it failed.
  std::function<std::string(const Case&, const std::filesystem::path& root)> prepare;
  /// Called with gantry's output when the exit status matched; returns "" or why the run
  /// still does not count (say, it failed for another reason than the expected one).
  std::function<std::string(const Case&, const std::string& output)> check;
};

/// Runs `c` with `binary` in a scratch copy of `act_dir` (the fixtures laid over it), removed
/// afterwards. Returns "" when the exit status matches `expected` (success ↔ 0, an error ↔ a
/// non-zero exit; log-check rows must not show their secrets; then `options.check`), else why
/// not with the tail of gantry's output.
std::string RunCase(const Case& c, const std::filesystem::path& act_dir,
                    const std::filesystem::path& fixtures, const std::string& binary,
                    const RunOptions& options);

/// Runs `run(i)` for every i < count on `workers` threads; returns the results by index.
std::vector<std::string> RunAll(size_t count, int workers,
                                const std::function<std::string(size_t)>& run);

}  // namespace gantry::conformance::act
