// Suite "gantry-background": Gantry's own runtime cases for GitHub's background steps
// (tests/conformance/gantry-cases/background/*.yml), written from GitHub's runner (its
// background-step coordinator) where the documentation is silent. Each case is a workflow that
// checks the semantics from inside its own steps; its header says what the run must end as:
//   # expect: success | failure
//   # expect-output: TEXT        (repeatable: gantry's output contains TEXT)
//   # expect-no-output: TEXT     (repeatable: it does not)
// Every case runs with the real `gantry exec` binary in a scratch workspace, two at a time.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "act_runner.h"
#include "suite.h"

namespace gantry::conformance {
namespace {

namespace fs = std::filesystem;

struct OwnCase {
  fs::path file;
  bool expect_success = true;
  std::vector<std::string> output, no_output;
};

OwnCase ReadCase(const fs::path& file) {
  OwnCase c;
  c.file = file;
  std::ifstream in(file);
  std::string line;
  auto after = [&](const std::string& prefix) -> std::optional<std::string> {
    if (line.rfind(prefix, 0) != 0) return std::nullopt;
    return line.substr(prefix.size());
  };
  while (std::getline(in, line) && line.rfind('#', 0) == 0) {
    if (auto v = after("# expect: ")) c.expect_success = *v == "success";
    if (auto v = after("# expect-output: ")) c.output.push_back(*v);
    if (auto v = after("# expect-no-output: ")) c.no_output.push_back(*v);
  }
  return c;
}

// Runs `c` and returns "" when it ended as its header says, else why not.
std::string RunOwnCase(const OwnCase& c, const std::string& binary) {
  std::string pattern = (fs::temp_directory_path() / "gantry-case-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return "cannot create a scratch directory";
  fs::path dir = pattern;
  fs::create_directories(dir / "ws");
  fs::path out = dir / "out.txt";
  std::string command = "cd '" + dir.string() + "' && NO_COLOR=1 '" + binary + "' exec push -W '" +
                        c.file.string() + "' --workspace '" + (dir / "ws").string() + "' > '" +
                        out.string() + "' 2>&1";
  int status = std::system(command.c_str());
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  std::string output = text.str();
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::string why;
  if (c.expect_success ? code != 0 : code != 1) {
    why = "exit status " + std::to_string(code) + ", expected " + (c.expect_success ? "0" : "1");
  }
  for (const std::string& s : c.output) {
    if (why.empty() && output.find(s) == std::string::npos) why = "no '" + s + "' in the output";
  }
  for (const std::string& s : c.no_output) {
    if (why.empty() && output.find(s) != std::string::npos) why = "'" + s + "' in the output";
  }
  if (why.empty()) return "";
  std::string tail = output.size() > 1500 ? output.substr(output.size() - 1500) : output;
  return why + "\n" + tail;
}

SuiteResult RunBackgroundCases(const fs::path& /*corpus*/) {
  SuiteResult result;
  const char* source = std::getenv("GANTRY_SOURCE_DIR");
  fs::path dir = fs::path(source != nullptr ? source : GANTRY_SOURCE_DIR_DEFAULT) / "tests" /
                 "conformance" / "gantry-cases" / "background";
  std::vector<OwnCase> cases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yml") cases.push_back(ReadCase(entry.path()));
  }
  std::sort(cases.begin(), cases.end(),
            [](const OwnCase& a, const OwnCase& b) { return a.file < b.file; });
  std::string binary = act::BinaryPath();
  if (access(binary.c_str(), X_OK) != 0) {
    result.skipped = "gantry binary not found at " + binary + " (set GANTRY_BINARY)";
    return result;
  }
  std::vector<std::string> outcomes =
      act::RunAll(cases.size(), 2, [&](size_t i) { return RunOwnCase(cases[i], binary); });
  result.total = static_cast<int>(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    if (outcomes[i].empty()) {
      ++result.passed;
    } else {
      result.failures.push_back({cases[i].file.filename().string(), outcomes[i]});
    }
  }
  return result;
}

const SuiteRegistrar kRegistrar(Suite{"gantry-background", RunBackgroundCases});

}  // namespace
}  // namespace gantry::conformance
