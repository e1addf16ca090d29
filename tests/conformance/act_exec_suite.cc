// Suite "act-exec": act's run cases that need neither Docker nor the network and only a Linux
// shell (act/MANIFEST.tsv, README section 1), each executed by the real `gantry exec` binary in
// a scratch copy of act/ with the case's configuration; the exit status must match `expected`
// (success ↔ 0, an error ↔ a non-zero exit). act's JavaScript fixtures are not in the corpus:
// our own stand-ins in tests/conformance/act-fixtures/ (written from FIXTURES-OMITTED.tsv) are
// laid over the scratch copy. Windows-only rows, node rows when `node` is not on PATH and rows
// whose fixtures we have not written are listed as skipped. Cases run two at a time.
#include <unistd.h>

#include <iostream>
#include <map>

#include "act_runner.h"
#include "suite.h"

namespace gantry::conformance {
namespace {

namespace fs = std::filesystem;
using act::Case;

// Why a no-docker/no-network run row cannot run here, or "".
std::string SkipReason(const Case& c, const fs::path& fixtures) {
  for (const char* os : {"windows", "pwsh", "powershell", "cmd"}) {
    if (c.needs.count(os) != 0) return "Windows-only (needs " + std::string(os) + ")";
  }
  if (c.needs.count("node") != 0 && !act::OnPath("node")) return "needs node, which is not on PATH";
  return act::MissingFixture(c, fixtures);
}

SuiteResult RunActExec(const fs::path& corpus) {
  SuiteResult result;
  fs::path act_dir = corpus / "act";
  std::vector<Case> cases;
  std::map<std::string, size_t> index;
  std::map<std::string, std::string> skipped;
  fs::path fixtures = act::FixturesDir();
  for (auto& c : act::ReadRunRows(act_dir)) {
    if (!c.no_docker_no_network) continue;
    if (std::string why = SkipReason(c, fixtures); !why.empty()) {
      skipped[c.id()] = why;
      continue;
    }
    auto [it, fresh] = index.emplace(c.id(), cases.size());
    if (fresh) {
      cases.push_back(std::move(c));
    } else {
      cases[it->second].needs.insert(c.needs.begin(), c.needs.end());
    }
  }
  for (const auto& [id, why] : skipped) std::cout << "  skipped    " << id << ": " << why << "\n";

  std::string binary = act::BinaryPath();
  std::vector<std::string> outcomes;
  if (access(binary.c_str(), X_OK) != 0) {
    outcomes.assign(cases.size(), "gantry binary not found at " + binary + " (set GANTRY_BINARY)");
  } else {
    outcomes = act::RunAll(cases.size(), 2, [&](size_t i) {
      return act::RunCase(cases[i], act_dir, fixtures, binary, act::RunOptions{});
    });
  }
  result.total = static_cast<int>(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    if (outcomes[i].empty()) {
      ++result.passed;
    } else {
      result.failures.push_back({cases[i].id(), outcomes[i]});
    }
  }
  return result;
}

SuiteRegistrar act_exec{{"act-exec", RunActExec}};

}  // namespace
}  // namespace gantry::conformance
