// Suite "workflow-parser": GitHub's workflow-parser x-lang vectors
// (languageservices/workflow-parser/testdata/reader/*.yml). Each file holds documents split on
// lines that are exactly `---`: options, the workflow (loaded as .github/workflows/<file>),
// for `reusable` files name/content pairs of the called workflows, and the expected JSON last.
// A case passes when a file expecting errors is rejected and a file expecting success loads
// with no diagnostic. As a secondary metric the suite counts the rejected cases whose first
// expected error (message, line and column) is among our diagnostics word for word.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "suite.h"
#include "workflow/loader.h"
#include "workflow/yaml.h"

namespace gantry::conformance {
namespace {

namespace fs = std::filesystem;
namespace wf = gantry::workflow;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> SplitDocuments(const std::string& text) {
  std::vector<std::string> docs(1);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "---") {
      docs.emplace_back();
    } else {
      docs.back() += line + "\n";
    }
  }
  return docs;
}

std::string Trim(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  return s;
}

// The test options of the first document that map onto LoadOptions. The others (file, result
// and object-depth limits, experimental features, partial reruns) have no counterpart.
wf::LoadOptions ReadOptions(const std::string& doc) {
  wf::LoadOptions options;
  wf::Diagnostics ignored;
  auto root = wf::ParseYaml(doc, "options", ignored);
  if (!root || !root->IsMapping()) return options;
  if (auto depth = root->Find("max-nested-reusable-workflows-depth")) {
    options.max_call_depth = static_cast<int>(depth->AsNumber());
  }
  if (auto policy = root->Find("permissions-policy")) {
    options.permissions_policy = policy->scalar == "LimitedRead"
                                     ? wf::PermissionPolicy::kLimitedRead
                                     : wf::PermissionPolicy::kWrite;
  }
  if (auto jobs = root->Find("max-job-limit"))
    options.max_jobs = static_cast<int>(jobs->AsNumber());
  return options;
}

// One expected error: "<file> (Line: L, Col: C): message", or "<file>: message".
struct ExpectedError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
};

ExpectedError ParseExpected(const std::string& text) {
  static const std::regex with_pos(R"(^(?:In )?(\S+) \(Line: (\d+), Col: (\d+)\): ([\s\S]*)$)");
  static const std::regex without_pos(R"(^(\S+\.ya?ml\S*): ([\s\S]*)$)");
  std::smatch m;
  ExpectedError e;
  if (std::regex_match(text, m, with_pos)) {
    e.file = m[1];
    e.line = std::stoi(m[2]);
    e.column = std::stoi(m[3]);
    e.message = m[4];
  } else if (std::regex_match(text, m, without_pos)) {
    e.file = m[1];
    e.message = m[2];
  } else {
    e.message = text;
  }
  return e;
}

bool MatchesExactly(const ExpectedError& expected, const wf::Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [&](const wf::Diagnostic& d) {
    return d.message == expected.message && d.pos.line == expected.line &&
           d.pos.column == expected.column && (expected.file.empty() || d.file == expected.file);
  });
}

struct CaseOutcome {
  bool passed = false;
  bool expects_errors = false;
  bool exact_first_error = false;
  std::string detail;
};

CaseOutcome RunCase(const fs::path& file) {
  CaseOutcome out;
  std::vector<std::string> docs = SplitDocuments(ReadAll(file));
  const std::string name = file.filename().string();
  if (docs.size() < 3) {
    out.detail = "malformed case: fewer than 3 documents";
    return out;
  }
  wf::LoadOptions options = ReadOptions(docs[0]);
  std::map<std::string, std::string> called;
  if (name.find("reusable") != std::string::npos) {
    for (size_t i = 2; i + 2 < docs.size(); i += 2) called[Trim(docs[i])] = docs[i + 1];
  }
  options.read_file = [called](const std::string& path) -> std::optional<std::string> {
    for (const std::string& key : {path, "./" + path}) {
      if (auto it = called.find(key); it != called.end()) return it->second;
    }
    return std::nullopt;
  };

  nlohmann::json expected = nlohmann::json::parse(docs.back(), nullptr, false);
  if (expected.is_discarded()) {
    out.detail = "malformed case: the last document is not JSON";
    return out;
  }
  out.expects_errors = expected.contains("errors") && !expected["errors"].empty();
  wf::LoadResult result = wf::LoadWorkflow(docs[1], ".github/workflows/" + name, options);
  wf::SortByPosition(result.diagnostics);

  if (out.expects_errors) {
    std::string first = expected["errors"][0].value("Message", "");
    out.passed = !result.ok();
    if (!out.passed) {
      out.detail = "accepted, but expected: " + first;
    } else {
      out.exact_first_error = MatchesExactly(ParseExpected(first), result.diagnostics);
      if (!out.exact_first_error) {
        out.detail = "rejected (ok); first expected: " + first + " | ours: " +
                     (result.diagnostics.empty() ? std::string("(no diagnostic)")
                                                 : result.diagnostics[0].ToString());
      }
    }
  } else {
    out.passed = result.ok();
    if (!out.passed) {
      out.detail = result.diagnostics.empty() ? "rejected without a diagnostic"
                                              : "rejected: " + result.diagnostics[0].ToString();
    }
  }
  return out;
}

SuiteResult Run(const fs::path& corpus) {
  SuiteResult result;
  fs::path dir = corpus / "languageservices" / "workflow-parser" / "testdata" / "reader";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  int rejected_as_expected = 0;
  int exact = 0;
  for (const auto& file : files) {
    CaseOutcome outcome = RunCase(file);
    ++result.total;
    if (outcome.passed) {
      ++result.passed;
      if (outcome.expects_errors) {
        ++rejected_as_expected;
        if (outcome.exact_first_error) ++exact;
        // GANTRY_CONFORMANCE_MESSAGES=1 lists the cases whose first message differs.
        if (!outcome.exact_first_error && std::getenv("GANTRY_CONFORMANCE_MESSAGES")) {
          std::cout << "  message differs: " << file.filename().string() << ": " << outcome.detail
                    << "\n";
        }
      }
    } else {
      result.failures.push_back({file.filename().string(), outcome.detail});
    }
  }
  std::cout << "conformance workflow-parser: first expected error reproduced exactly (message, "
               "line, column) in "
            << exact << "/" << rejected_as_expected << " rejected cases\n";
  return result;
}

const SuiteRegistrar kRegistrar({"workflow-parser", Run});

}  // namespace
}  // namespace gantry::conformance
