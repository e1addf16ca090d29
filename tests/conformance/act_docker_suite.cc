// Suite "act-docker": act's run cases that need a Docker engine but no network beyond pulling
// the images they name (act/MANIFEST.tsv rows whose needs have `docker`), each executed by the
// real `gantry exec` binary against the engine in $DOCKER_HOST, as the act-exec suite does.
// The images are local stand-ins built by scripts/docker-up.sh (node:16-buster-slim, alpine,
// ...); act's omitted Dockerfiles and entrypoints are our own, in tests/conformance/act-fixtures/.
// Rows that fetch remote actions, download or install in their scripts, need pwsh, emulation
// or an image without a stand-in are listed as skipped with the reason. Without an engine the
// whole suite is skipped.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

#include "act_runner.h"
#include "suite.h"

namespace gantry::conformance {
namespace {

namespace fs = std::filesystem;
using act::Case;

// The images a row names (`image:NAME` needs); an `${{ }}` expression is not an image.
std::vector<std::string> Images(const Case& c) {
  std::vector<std::string> images;
  for (const auto& need : c.needs) {
    if (need.rfind("image:", 0) == 0 && need.find("${{") == std::string::npos)
      images.push_back(need.substr(6));
  }
  return images;
}

// The row makes an image pull fail on purpose (act maps runs-on to an image that cannot be
// pulled): the one image it names is that image.
bool PullFailureRow(const Case& c) {
  return c.needs.count("fault-injection") != 0 &&
         c.platforms.find("cannot be pulled") != std::string::npos && Images(c).size() == 1;
}

class Engine {
 public:
  /// Finds the docker CLI and asks the engine in $DOCKER_HOST; `unusable()` says why not.
  Engine() {
    const char* host = std::getenv("DOCKER_HOST");
    if (host == nullptr || *host == '\0') {
      unusable_ = "DOCKER_HOST is not set (make test sets it from scripts/docker-up.sh)";
      return;
    }
    cli_ = act::FindOnPath("docker");
    if (cli_.empty()) {
      unusable_ = "the docker CLI is not on PATH";
    } else if (act::RunQuiet({cli_, "version"}, std::chrono::seconds(20)) != 0) {
      unusable_ = std::string("the Docker engine at ") + host + " does not answer";
    }
  }
  const std::string& unusable() const { return unusable_; }
  /// True when the engine holds `image` (a stand-in from scripts/docker-up.sh).
  bool HasImage(const std::string& image) {
    auto [it, fresh] = has_.emplace(image, false);
    if (fresh) {
      it->second = act::RunQuiet({cli_, "image", "inspect", image}, std::chrono::seconds(20)) == 0;
    }
    return it->second;
  }

 private:
  std::string cli_;
  std::string unusable_;
  std::map<std::string, bool> has_;
};

// Why a Docker row cannot run here, or "".
std::string SkipReason(const Case& c, const fs::path& fixtures, Engine& engine) {
  for (const auto& need : c.needs) {
    if (need.rfind("remote:", 0) == 0) return "needs network: " + need;
    if (need.rfind("arch:", 0) == 0) return "needs emulation (" + need + ")";
  }
  for (const char* os : {"windows", "pwsh", "powershell", "cmd"}) {
    if (c.needs.count(os) != 0) return "needs " + std::string(os);
  }
  if (c.notes.find("script installs/downloads") != std::string::npos)
    return "needs network: its script installs or downloads (" + c.notes + ")";
  if (c.needs.count("fault-injection") != 0 && !PullFailureRow(c))
    return "needs a fault we cannot inject: " + c.notes;
  for (const char* program : {"node", "python"}) {
    if (c.needs.count(program) != 0 && !act::OnPath(program))
      return "needs " + std::string(program) + ", which is not on PATH";
  }
  if (!PullFailureRow(c)) {
    for (const auto& image : Images(c)) {
      if (!engine.HasImage(image))
        return "needs image " + image + ", which has no local stand-in (scripts/docker-up.sh)";
    }
  }
  return act::MissingFixture(c, fixtures);
}

// act runs its cases inside its own git checkout, so github.sha and friends are set (basic
// checks GITHUB_SHA): the scratch copy becomes a repository with one commit.
std::string MakeRepository(const fs::path& root) {
  std::string git = act::FindOnPath("git");
  if (git.empty()) return "git is not on PATH";
  std::string dir = root.string();
  std::vector<std::vector<std::string>> steps = {
      {"init", "-q"},
      {"add", "-A"},
      {"-c", "user.name=act", "-c", "user.email=act@localhost", "commit", "-q", "--no-gpg-sign",
       "-m", "act testdata"}};
  for (const auto& step : steps) {
    std::vector<std::string> argv = {git, "-C", dir};
    argv.insert(argv.end(), step.begin(), step.end());
    if (act::RunQuiet(argv, std::chrono::seconds(60)) != 0)
      return "cannot make the scratch copy a git repository (git " + step[step.size() - 3] +
             " failed)";
  }
  return "";
}

// act's `-P ubuntu-latest=IMAGE` for the pull-failure row: every job of the case's workflows
// gets `container: IMAGE`, so the job must fail when that image cannot be pulled.
std::string InjectPullFailure(const Case& c, const fs::path& root) {
  if (!PullFailureRow(c)) return "";
  std::string image = Images(c).front();
  static const std::regex runs_on(R"(^(\s+)runs-on:.*$)");
  for (const auto& entry : fs::directory_iterator(root / c.workflow_path)) {
    auto ext = entry.path().extension();
    if (ext != ".yml" && ext != ".yaml") continue;
    std::ifstream in(entry.path());
    std::ostringstream out;
    std::string line;
    while (std::getline(in, line)) {
      out << line << "\n";
      std::smatch m;
      if (std::regex_match(line, m, runs_on)) out << m[1] << "container: " << image << "\n";
    }
    in.close();
    std::ofstream(entry.path()) << out.str();
  }
  return "";
}

// An expected error must be the expected one: not a feature gantry lacks, and with the
// evidence act's label stands for in gantry's output.
std::string CheckExpectedError(const Case& c, const std::string& output) {
  if (c.expected == "success") return "";
  for (const char* missing : {"not implemented yet", "not supported yet"}) {
    if (output.find(missing) != std::string::npos)
      return std::string("failed because a feature is ") + missing + ", not with " + c.expected;
  }
  std::string evidence;
  if (PullFailureRow(c)) {
    evidence = Images(c).front();  // the error names the image that cannot be pulled
  } else if (c.expected.find("`FAILURE`: 1") != std::string::npos) {
    evidence = "exit code 1";
  }
  if (!evidence.empty() && output.find(evidence) == std::string::npos)
    return "the error (" + c.expected + ") does not mention '" + evidence + "'";
  return "";
}

SuiteResult RunActDocker(const fs::path& corpus) {
  SuiteResult result;
  Engine engine;
  if (!engine.unusable().empty()) {
    result.skipped = engine.unusable();
    return result;
  }
  fs::path act_dir = corpus / "act";
  fs::path fixtures = act::FixturesDir();
  std::vector<Case> cases;
  std::map<std::string, size_t> index;
  std::map<std::string, std::string> skipped;  // id → reason (ids without any runnable row)
  std::vector<std::string> variants;           // rows of a case that runs, skipped themselves
  for (auto& c : act::ReadRunRows(act_dir)) {
    if (c.needs.count("docker") == 0) continue;
    if (std::string why = SkipReason(c, fixtures, engine); !why.empty()) {
      if (index.count(c.id()) == 0) skipped.emplace(c.id(), why);
      variants.push_back(c.id() + ": " + why);
      continue;
    }
    skipped.erase(c.id());
    auto [it, fresh] = index.emplace(c.id(), cases.size());
    if (fresh) {
      cases.push_back(std::move(c));
    } else {
      cases[it->second].needs.insert(c.needs.begin(), c.needs.end());
    }
  }
  for (const auto& [id, why] : skipped) std::cout << "  skipped    " << id << ": " << why << "\n";
  for (const auto& v : variants) {
    if (index.count(v.substr(0, v.find(": "))) != 0)
      std::cout << "  skipped    one act row of " << v << " (the case runs once)\n";
  }
  std::cout << "  act-docker: " << cases.size() << " cases run, " << skipped.size() << " skipped\n";

  std::string binary = act::BinaryPath();
  std::vector<std::string> outcomes;
  if (access(binary.c_str(), X_OK) != 0) {
    outcomes.assign(cases.size(), "gantry binary not found at " + binary + " (set GANTRY_BINARY)");
  } else {
    act::RunOptions options;
    options.timeout = std::chrono::seconds(300);
    options.prepare = [](const Case& c, const fs::path& root) {
      std::string why = InjectPullFailure(c, root);
      return why.empty() ? MakeRepository(root) : why;
    };
    options.check = CheckExpectedError;
    outcomes = act::RunAll(cases.size(), 2, [&](size_t i) {
      return act::RunCase(cases[i], act_dir, fixtures, binary, options);
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
  std::cout << "  act-docker: " << result.passed << " passed, " << result.failures.size()
            << " failed, " << skipped.size() << " skipped\n";
  return result;
}

SuiteRegistrar act_docker{{"act-docker", RunActDocker}};

}  // namespace
}  // namespace gantry::conformance
