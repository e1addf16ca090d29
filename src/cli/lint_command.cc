#include "cli/lint_command.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "cli/repo_root.h"
#include "workflow/action.h"
#include "workflow/loader.h"

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;
using workflow::Diagnostic;
using workflow::Diagnostics;

// One file to lint: how to print its name and where its repository root is.
struct Target {
  fs::path display;  // as the user gave it (or relative to the current directory)
  fs::path root;     // repository root in display form, for reusable workflow calls
  fs::path absolute_root;
};

bool IsWorkflowFile(const fs::path& path) {
  std::string ext = path.extension().string();
  return ext == ".yml" || ext == ".yaml";
}

// The nearest directory at or above `start` holding `.git`, if any.
std::optional<fs::path> FindRepositoryRoot(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec).lexically_normal();
  while (true) {
    if (fs::exists(dir / ".git", ec)) return dir;
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

// `absolute_root` in the same form as `display` (relative when the user wrote a relative path).
fs::path DisplayRoot(const fs::path& display, const fs::path& absolute_root) {
  if (display.is_absolute()) return absolute_root;
  std::error_code ec;
  fs::path relative = fs::relative(absolute_root, fs::current_path(ec), ec);
  return ec ? absolute_root : relative;
}

// Expands the user's paths into files; reports usage problems to `err`.
std::optional<std::vector<Target>> CollectTargets(const LintOptions& options, std::ostream& err) {
  std::vector<fs::path> inputs;
  for (const auto& p : options.paths) inputs.emplace_back(p);
  if (inputs.empty()) {
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    auto repo = FindRepositoryRoot(cwd);
    if (!repo) {
      err << "gantry lint: not inside a git repository; give workflow files or folders to lint\n";
      return std::nullopt;
    }
    fs::path dir = fs::relative(*repo / ".github" / "workflows", cwd, ec);
    inputs.push_back(ec ? *repo / ".github" / "workflows" : dir);
  }
  std::vector<Target> targets;
  for (const fs::path& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(input, ec)) {
        if (entry.is_regular_file(ec) && IsWorkflowFile(entry.path()))
          files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        err << "gantry lint: no workflow files (*.yml, *.yaml) in " << input.string() << "\n";
        return std::nullopt;
      }
      for (const auto& f : files) targets.push_back({f, {}, RepositoryRootFor(f)});
    } else if (fs::exists(input, ec)) {
      if (!IsWorkflowFile(input)) {
        err << "gantry lint: " << input.string()
            << " is not a workflow file (expected a .yml or .yaml file)\n";
        return std::nullopt;
      }
      targets.push_back({input, {}, RepositoryRootFor(input)});
    } else {
      err << "gantry lint: " << input.string() << ": no such file or directory\n";
      return std::nullopt;
    }
  }
  for (Target& t : targets) t.root = DisplayRoot(t.display, t.absolute_root);
  return targets;
}

// An action's metadata file, except in a `.github/workflows/` folder: GitHub reads every YAML
// file there as a workflow, whatever its name.
bool IsActionManifest(const fs::path& path) {
  std::string name = path.filename().string();
  if (name != "action.yml" && name != "action.yaml") return false;
  std::error_code ec;
  fs::path dir = fs::absolute(path, ec).lexically_normal().parent_path();
  return !(dir.filename() == "workflows" && dir.parent_path().filename() == ".github");
}

// An action's metadata file is checked against the action manifest rules, not a workflow's.
Diagnostics LintAction(const Target& target) {
  const std::string file = target.display.string();
  std::ifstream in(target.display, std::ios::binary);
  if (!in) return {{file, {}, "cannot read the file: " + std::string(std::strerror(errno)), "io"}};
  std::ostringstream text;
  text << in.rdbuf();
  return workflow::ParseActionManifest(text.str(), file).diagnostics;
}

Diagnostics LintOne(const Target& target) {
  if (IsActionManifest(target.display)) return LintAction(target);
  workflow::LoadOptions load;
  load.repository_root = target.absolute_root.string();
  load.read_file = [root = target.absolute_root](const std::string& path) {
    // Only files inside the repository; remote references ("o/r/x.yml@v1") are not fetched.
    fs::path relative = fs::path(path).lexically_normal();
    if (path.find('@') != std::string::npos || relative.is_absolute() ||
        relative.begin()->string() == "..") {
      return std::optional<std::string>();
    }
    std::ifstream in(root / relative, std::ios::binary);
    if (!in) return std::optional<std::string>();
    std::ostringstream text;
    text << in.rdbuf();
    return std::optional<std::string>(text.str());
  };
  workflow::LoadResult result = workflow::LoadWorkflowFile(target.display, load);
  const std::string main_file = target.display.string();
  for (Diagnostic& d : result.diagnostics) {
    // Called workflows are named by their repository path; print them like the user's paths.
    if (d.file != main_file) d.file = (target.root / d.file).lexically_normal().string();
  }
  return result.diagnostics;
}

void PrintJson(const Diagnostics& diagnostics, std::ostream& out) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const Diagnostic& d : diagnostics) {
    array.push_back({{"file", d.file},
                     {"line", d.pos.line},
                     {"column", d.pos.column},
                     {"message", d.message},
                     {"rule", d.rule},
                     {"severity", workflow::SeverityName(d.severity)}});
  }
  out << array.dump(2) << "\n";
}

}  // namespace

int RunLintCommand(const LintOptions& options, std::ostream& out, std::ostream& err) {
  if (options.format != "text" && options.format != "json") {
    err << "gantry lint: unknown --format '" << options.format << "' (use text or json)\n";
    return 2;
  }
  auto targets = CollectTargets(options, err);
  if (!targets) return 2;
  Diagnostics all;
  for (const Target& target : *targets) {
    Diagnostics found = LintOne(target);
    all.insert(all.end(), found.begin(), found.end());
  }
  auto key = [](const Diagnostic& d) {
    return std::tie(d.file, d.pos.line, d.pos.column, d.message);
  };
  std::stable_sort(all.begin(), all.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  // A called workflow that is also linted itself would otherwise report its problems twice.
  all.erase(std::unique(all.begin(), all.end(),
                        [&](const Diagnostic& a, const Diagnostic& b) { return key(a) == key(b); }),
            all.end());
  if (options.format == "json") {
    PrintJson(all, out);
  } else {
    for (const Diagnostic& d : all) out << d.ToString() << "\n";
  }
  // Warnings (e.g. syntax GitHub accepts only behind a feature flag) do not fail the lint.
  return workflow::HasErrors(all) ? 1 : 0;
}

}  // namespace gantry::cli
