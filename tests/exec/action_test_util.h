#pragma once

// Helpers of the `uses:` integration tests: finding node, writing actions, serving action
// repositories from a local bare-repository mirror (`--actions-url file://...`).

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "exec_test_util.h"

namespace gantry::exec_test {

/// Runs `gantry exec` (plus `extra`) on a workflow of one job whose first step is
/// actions/checkout followed by `steps`, in `p` made a git repository, so that `uses: ./...`
/// finds the actions committed with it.
inline Finished RunCheckedOutJob(Project& p, const std::string& steps,
                                 const std::vector<std::string>& extra = {}) {
  p.Workflow("ci.yml",
             "on: push\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n"
             "      - uses: actions/checkout@v4\n" +
                 steps);
  p.GitInit();
  std::vector<std::string> args = {"exec"};
  args.insert(args.end(), extra.begin(), extra.end());
  return p.Run(args);
}

/// True when `node` is on PATH (node actions need it; their tests skip without it).
inline bool HaveNode() { return std::system("command -v node >/dev/null 2>&1") == 0; }

/// Runs `command` in `dir` with a fixed git identity; throws when it fails.
inline void ShIn(const fs::path& dir, const std::string& command) {
  std::string full = "cd '" + dir.string() +
                     "' && export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "
                     "GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=t@example.com "
                     "GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=t@example.com && (" +
                     command + ") >/dev/null 2>&1";
  if (std::system(full.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

/// The output of `command` run in `dir`, without the trailing newline.
inline std::string ShOut(const fs::path& dir, const std::string& command) {
  fs::path out = dir / ".sh-out";
  ShIn(dir, "(" + command + ") > '" + out.string() + "'");
  std::string s = ReadFile(out);
  fs::remove(out);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

inline void WriteAt(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

/// A mirror of action repositories: <base>/mirror/<owner>/<repo>.git, bare repositories
/// pushed from working copies under <base>/src/<owner>/<repo>.
class Mirror {
 public:
  explicit Mirror(const fs::path& base) : root_(base / "mirror"), src_(base / "src") {}

  /// The --actions-url value that serves this mirror.
  std::string Url() const { return "file://" + root_.string(); }
  const fs::path& root() const { return root_; }

  /// The working copy of owner/repo (created with `git init` on first use).
  fs::path Repo(const std::string& owner, const std::string& repo) const {
    fs::path dir = src_ / owner / repo;
    if (!fs::exists(dir / ".git")) {
      fs::create_directories(dir);
      ShIn(dir, "git init -q -b main");
    }
    return dir;
  }
  /// Commits everything in the working copy; returns the commit's full sha.
  std::string Commit(const std::string& owner, const std::string& repo,
                     const std::string& message) const {
    fs::path dir = Repo(owner, repo);
    ShIn(dir, "git add -A && git commit -q -m '" + message + "'");
    return ShOut(dir, "git rev-parse HEAD");
  }
  /// Publishes every branch and tag of the working copy to the bare repository.
  void Publish(const std::string& owner, const std::string& repo) const {
    fs::path bare = root_ / owner / (repo + ".git");
    if (!fs::exists(bare)) {
      fs::create_directories(bare);
      ShIn(bare, "git init -q --bare");
    }
    ShIn(Repo(owner, repo), "git push -q --force '" + bare.string() + "' --all && git push -q " +
                                "--force '" + bare.string() + "' --tags");
  }

 private:
  fs::path root_, src_;
};

}  // namespace gantry::exec_test
