// act's planner cases: the rows of act/MANIFEST.tsv whose act_mode is `plan` (job-id
// validation, empty workflow files, missing `needs` targets, the stage order of `basic`, matrix
// expansion), run through workflow::LoadWorkflowFile and engine::BuildPlan.
//   act-plan  id <case>@<event> (+"/recursive" when act loaded a folder's subfolders too); the
//   strategy
//             row is split per job of act/EXPECTED-strategy.json: <case>@<event>#<job>
// act words errors its own way and GitHub's wording is Gantry's specification, so an expected
// act error is checked by what it is about: each act message kind maps to the GitHub message
// the loader must give for the same file (ActErrorToGitHub).
#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/plan.h"
#include "suite.h"
#include "workflow/loader.h"

namespace gantry::conformance {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using expr::Value;

struct Row {
  std::map<std::string, std::string> cells;
  const std::string& operator[](const std::string& column) const {
    static const std::string kEmpty;
    auto it = cells.find(column);
    return it == cells.end() ? kEmpty : it->second;
  }
};

std::vector<Row> ReadManifest(const fs::path& path) {
  std::vector<Row> rows;
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> header;
  auto split = [](const std::string& text) {
    std::vector<std::string> cells;
    std::stringstream stream(text);
    std::string cell;
    while (std::getline(stream, cell, '\t')) cells.push_back(cell);
    return cells;
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (header.empty()) {
      header = split(line);
      continue;
    }
    std::vector<std::string> cells = split(line);
    Row row;
    for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) {
      row.cells[header[i]] = cells[i];
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// What loading and planning one row produced.
struct Outcome {
  std::vector<workflow::Diagnostic> errors;          // load and plan errors, every file
  std::vector<std::vector<std::string>> stages;      // job ids per stage, workflows merged
  std::vector<std::shared_ptr<engine::Plan>> plans;  // one per planned workflow
};

// The workflow files act reads for a row: the file itself, or the *.yml/*.yaml of a folder
// (of its subfolders too when act loaded recursively), sorted.
std::vector<fs::path> WorkflowFiles(const fs::path& path, bool recursive) {
  std::vector<fs::path> files;
  if (!fs::is_directory(path)) return {path};
  auto add = [&](const fs::directory_entry& e) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yml" || ext == ".yaml")) files.push_back(e.path());
  };
  if (recursive) {
    for (const auto& e : fs::recursive_directory_iterator(path)) add(e);
  } else {
    for (const auto& e : fs::directory_iterator(path)) add(e);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Loads every file of the row and plans those whose `on:` has the event ("*" and "-": all).
Outcome PlanRow(const fs::path& act, const Row& row, bool recursive) {
  Outcome out;
  const std::string& event = row["event"];
  for (const fs::path& file : WorkflowFiles(act / row["workflow_path"], recursive)) {
    workflow::LoadResult loaded = workflow::LoadWorkflowFile(file);
    if (!loaded.ok()) {
      for (const auto& d : loaded.diagnostics) {
        if (d.IsError()) out.errors.push_back(d);
      }
      continue;
    }
    if (event != "*" && event != "-" && loaded.workflow->on.Find(event) == nullptr) continue;
    auto plan = engine::BuildPlan(loaded.workflow, {});
    if (!plan.ok()) {
      out.errors.push_back({file.string(), {}, plan.status().message(), "plan"});
      continue;
    }
    for (const auto& job : plan->jobs) {
      if (out.stages.size() <= static_cast<std::size_t>(job.stage))
        out.stages.resize(job.stage + 1);
      out.stages[job.stage].push_back(job.id);
    }
    out.plans.push_back(std::make_shared<engine::Plan>(std::move(plan).value()));
  }
  return out;
}

// An error the row expects, as GitHub words it: from `file` (a base name; empty = any file),
// containing `text`.
struct ExpectedError {
  std::string file;
  std::string text;
};

std::string Between(const std::string& s, const std::string& open, const std::string& close) {
  auto a = s.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  auto b = s.find(close, a);
  return b == std::string::npos ? "" : s.substr(a, b - a);
}

// Maps each kind of act error message to the GitHub message Gantry gives for the same problem.
std::vector<ExpectedError> ActErrorToGitHub(const Row& row) {
  const std::string& expected = row["expected"];
  std::vector<ExpectedError> out;
  if (expected.rfind("unable to build dependency graph for ", 0) == 0) {
    // act: a job needs a job that does not exist; GitHub: "Job 'x' depends on unknown job 'y'."
    std::vector<std::string> files{Between(expected, "(", ")")};
    // The PlanAll row expects both broken files to be named.
    const std::string& check = row["act_check"];
    auto both = check.find("names both ");
    if (both != std::string::npos) {
      std::string rest = check.substr(both + 11);
      auto sep = rest.find(" and ");
      files = {rest.substr(0, sep),
               rest.substr(sep + 5, rest.find_first_of("; ", sep + 5) - sep - 5)};
    }
    for (const auto& f : files) out.push_back({f, "depends on unknown job"});
  } else if (expected.find("Job name '") != std::string::npos) {
    out.push_back(
        {"", "The identifier '" + Between(expected, "Job name '", "'") + "' is invalid."});
  } else if (expected.rfind("unable to read workflow '", 0) == 0) {
    out.push_back(
        {Between(expected, "unable to read workflow '", "'"), "The workflow file is empty"});
  } else {
    out.push_back({"", ""});
  }
  return out;
}

// The stage count and, when listed, the job of each stage: "success (3 stages: a, b, c)",
// "success (0 stages)", or "plan has N stage(s)" in act_check.
std::optional<int> ExpectedStageCount(const Row& row, std::vector<std::string>* names) {
  std::string text = Between(row["expected"], "(", " stage");
  if (text.empty()) text = Between(row["act_check"], "plan has ", " stage");
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  std::string list = Between(row["expected"], "stages: ", ")");
  std::stringstream stream(list);
  std::string name;
  while (std::getline(stream, name, ',')) {
    name.erase(0, name.find_first_not_of(' '));
    names->push_back(name);
  }
  return std::stoi(text);
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

std::string RowId(const Row& row, bool recursive) {
  return row["case"] + "@" + row["event"] + (recursive ? "/recursive" : "");
}

// Checks errors and stages of one row; returns what differs (empty when the row passes).
std::string CheckRow(const Row& row, const Outcome& outcome) {
  std::string problems;
  bool expect_success = row["expected"].rfind("success", 0) == 0;
  if (expect_success) {
    for (const auto& d : outcome.errors) problems += "unexpected error: " + d.ToString() + "; ";
  } else {
    for (const ExpectedError& want : ActErrorToGitHub(row)) {
      bool found = std::any_of(outcome.errors.begin(), outcome.errors.end(), [&](const auto& d) {
        return (want.file.empty() || fs::path(d.file).filename() == want.file) &&
               d.message.find(want.text) != std::string::npos;
      });
      if (!found) {
        problems += "no error" + (want.file.empty() ? "" : " from " + want.file) +
                    (want.text.empty() ? "" : " saying \"" + want.text + "\"") + "; ";
      }
    }
  }
  std::vector<std::string> names;
  if (auto count = ExpectedStageCount(row, &names)) {
    if (static_cast<int>(outcome.stages.size()) != *count) {
      problems += "expected " + std::to_string(*count) + " stages, planned " +
                  std::to_string(outcome.stages.size()) + "; ";
    } else if (!names.empty()) {
      std::vector<std::string> got;
      for (const auto& stage : outcome.stages) got.push_back(Join(stage, "+"));
      if (got != names) {
        problems += "expected stages " + Join(names, " -> ") + ", planned " + Join(got, " -> ");
      }
    }
  }
  return problems;
}

// Same value as expected JSON, object keys in order, numbers numerically.
bool SameValue(const Value& actual, const Json& expected) { return actual.ToJson() == expected; }

// One job of EXPECTED-strategy.json: combinations in order, and the effective fail-fast and
// max-parallel GitHub gives the job (max-parallel without a limit is the job total).
std::string CheckStrategyJob(const engine::PlannedJob& job, const Json& want) {
  std::string problems;
  if (!job.instances || !job.settings) return "matrix not expanded at plan time";
  const auto& instances = *job.instances;
  const Json& combos = want["matrix_combinations"];
  bool same = combos.size() == instances.size();
  for (std::size_t i = 0; same && i < instances.size(); ++i) {
    same = SameValue(instances[i].values, combos[i]);
  }
  if (!same) {
    std::string got;
    for (const auto& i : instances) got += i.values.ToJson().dump() + " ";
    problems += "combinations " + got + "expected " + combos.dump() + "; ";
  }
  int max_parallel = job.settings->max_parallel > 0 ? job.settings->max_parallel
                                                    : static_cast<int>(instances.size());
  if (want["max_parallel"].get<int>() != max_parallel) {
    problems += "max-parallel " + std::to_string(max_parallel) + ", act expects " +
                std::to_string(want["max_parallel"].get<int>()) + "; ";
  }
  if (want["fail_fast"].get<bool>() != job.settings->fail_fast) {
    problems += std::string("fail-fast ") + (job.settings->fail_fast ? "true" : "false") +
                ", act expects " + want["fail_fast"].dump() + "; ";
  }
  return problems;
}

void Record(SuiteResult& result, const std::string& id, const std::string& problems) {
  ++result.total;
  if (problems.empty()) {
    ++result.passed;
  } else {
    result.failures.push_back({id, problems});
  }
}

void RunStrategyRow(const fs::path& act, const Row& row, SuiteResult& result) {
  std::string id = RowId(row, false);
  std::ifstream in(act / "EXPECTED-strategy.json");
  Json expected = Json::parse(in, nullptr, false);
  Outcome outcome = PlanRow(act, row, false);
  if (expected.is_discarded() || outcome.plans.size() != 1 || !outcome.errors.empty()) {
    std::string why = outcome.errors.empty() ? "" : outcome.errors[0].ToString();
    Record(result, id, "cannot load EXPECTED-strategy.json or plan the workflow " + why);
    return;
  }
  const engine::Plan& plan = *outcome.plans[0];
  for (const auto& [name, want] : expected["jobs"].items()) {
    const engine::PlannedJob* job = plan.Find(name);
    Record(result, id + "#" + name, job ? CheckStrategyJob(*job, want) : "job not planned");
  }
}

// act's TestMatrixOnlyIncludes, recorded in EXPECTED-strategy.json's also_from_act_tests.
void RunOnlyIncludes(SuiteResult& result) {
  const char* yaml =
      "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"
      "    strategy:\n      matrix:\n        include:\n          - {a: 1, b: 2}\n"
      "          - {a: 3, b: 4}\n";
  auto loaded = workflow::LoadWorkflow(yaml, "only-includes.yml");
  std::string problems;
  if (!loaded.ok()) {
    problems = "does not load";
  } else {
    auto instances = engine::ExpandMatrix(*loaded.workflow->jobs[0].strategy, {});
    std::string got;
    if (instances.ok()) {
      for (const auto& i : *instances) got += i.values.ToJson().dump();
    }
    if (got != R"({"a":1,"b":2}{"a":3,"b":4})") problems = "combinations " + got;
  }
  Record(result, "EXPECTED-strategy.json#TestMatrixOnlyIncludes", problems);
}

SuiteResult RunActPlan(const fs::path& corpus) {
  SuiteResult result;
  fs::path act = corpus / "act";
  for (const Row& row : ReadManifest(act / "MANIFEST.tsv")) {
    if (row["act_mode"] != "plan") continue;
    if (row["act_check"].find("EXPECTED-strategy.json") != std::string::npos) {
      RunStrategyRow(act, row, result);
      continue;
    }
    // act loaded subfolders too for some TestPlanner rows; that matters for folders only.
    bool recursive = row["config"].find("recursively") != std::string::npos &&
                     fs::is_directory(act / row["workflow_path"]);
    Outcome outcome = PlanRow(act, row, recursive);
    Record(result, RowId(row, recursive), CheckRow(row, outcome));
  }
  RunOnlyIncludes(result);
  return result;
}

const SuiteRegistrar kActPlan({"act-plan", RunActPlan});

}  // namespace
}  // namespace gantry::conformance
