// Conformance driver.
//   conformance --summary            run every suite, print one line per suite, exit 0
//   conformance --suite NAME         run one suite; exit 1 when its pass count is under the
//                                    committed floor or a failure is not in known-failures,
//                                    77 when the suite cannot run here (reason printed)
//   conformance --suite NAME --list  print every failing case id with its detail
// The corpus is ../shared/conformance relative to the source tree, or $GANTRY_CONFORMANCE.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "suite.h"

namespace fs = std::filesystem;
using gantry::conformance::Suite;
using gantry::conformance::SuiteResult;

namespace gantry::conformance {
std::vector<Suite>& Suites() {
  static std::vector<Suite> suites;
  return suites;
}
SuiteRegistrar::SuiteRegistrar(Suite suite) { Suites().push_back(std::move(suite)); }
}  // namespace gantry::conformance

namespace {

// The exit status of `--suite NAME` when the suite cannot run here (ctest's SKIP_RETURN_CODE).
constexpr int kSkipped = 77;

fs::path SourceDir() {
  if (const char* s = std::getenv("GANTRY_SOURCE_DIR")) return s;
  return GANTRY_SOURCE_DIR_DEFAULT;
}

fs::path CorpusDir() {
  if (const char* c = std::getenv("GANTRY_CONFORMANCE")) return c;
  return SourceDir().parent_path() / "shared" / "conformance";
}

std::map<std::string, int> ReadFloors() {
  std::map<std::string, int> floors;
  std::ifstream in(SourceDir() / "tests" / "conformance" / "floors.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream row(line);
    std::string name;
    int floor = 0;
    if (row >> name >> floor) floors[name] = floor;
  }
  return floors;
}

// Known failures: one "id<TAB>reason" per line; every entry must carry a reason.
std::map<std::string, std::string> ReadKnownFailures(const std::string& suite) {
  std::map<std::string, std::string> known;
  std::ifstream in(SourceDir() / "tests" / "conformance" / "known-failures" / (suite + ".tsv"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    known[line.substr(0, tab)] = tab == std::string::npos ? "" : line.substr(tab + 1);
  }
  return known;
}

int RunOne(const Suite& suite, const fs::path& corpus, bool list) {
  SuiteResult r = suite.run(corpus);
  if (!r.skipped.empty()) {
    std::cout << "conformance " << suite.name << ": skipped: " << r.skipped << "\n";
    return kSkipped;
  }
  std::cout << "conformance " << suite.name << ": " << r.passed << "/" << r.total << " passed\n";
  auto floors = ReadFloors();
  auto known = ReadKnownFailures(suite.name);
  int status = 0;
  for (const auto& f : r.failures) {
    auto it = known.find(f.id);
    if (list || it == known.end()) {
      std::cout << (it == known.end() ? "  UNEXPECTED " : "  known      ") << f.id << ": "
                << f.detail << "\n";
    }
    if (it == known.end()) status = 1;
    if (it != known.end() && it->second.empty()) {
      std::cout << "  known failure without a reason: " << f.id << "\n";
      status = 1;
    }
  }
  if (!list && !r.failures.empty()) {
    std::cout << "  " << r.failures.size() << " failures, see known-failures/" << suite.name
              << ".tsv for reasons\n";
  }
  auto fl = floors.find(suite.name);
  if (fl == floors.end()) {
    std::cout << "  no floor committed for " << suite.name << " in floors.tsv\n";
    status = 1;
  } else if (r.passed < fl->second) {
    std::cout << "  pass count " << r.passed << " is below the committed floor " << fl->second
              << "\n";
    status = 1;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::string suite_name;
  bool summary = false;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--summary") {
      summary = true;
    } else if (a == "--list") {
      list = true;
    } else if (a == "--suite" && i + 1 < argc) {
      suite_name = argv[++i];
    } else {
      std::cerr << "usage: conformance --summary | --suite NAME [--list]\n";
      return 2;
    }
  }
  fs::path corpus = CorpusDir();
  if (!fs::is_directory(corpus)) {
    std::cout << "conformance: corpus not found at " << corpus.string()
              << "; conformance suites skipped\n";
    return 0;
  }
  int status = 0;
  for (const auto& s : gantry::conformance::Suites()) {
    if (summary) {
      SuiteResult r = s.run(corpus);
      if (!r.skipped.empty()) {
        std::cout << "conformance " << s.name << ": skipped: " << r.skipped << "\n";
        continue;
      }
      std::cout << "conformance " << s.name << ": " << r.passed << "/" << r.total << " passed\n";
    } else if (s.name == suite_name) {
      return RunOne(s, corpus, list);
    }
  }
  if (!summary) {
    std::cerr << "conformance: no suite named '" << suite_name << "'\n";
    return 2;
  }
  return status;
}
