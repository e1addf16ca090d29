#include "actions/checkout_local.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <string_view>
#include <system_error>
#include <vector>

#include "actions/paths.h"

namespace gantry::actions {

namespace fs = std::filesystem;

namespace {

// Splits git's -z output into paths.
std::vector<std::string> SplitNul(const std::string& out) {
  std::vector<std::string> paths;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\0', start);
    if (end == std::string::npos) end = out.size();
    if (end > start) paths.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  return paths;
}

// Applies the uncommitted changes of the working tree at `top` (whose HEAD is checked out in
// `dest`) to `dest`: files changed or deleted against HEAD, staged or not, and untracked files
// that .gitignore does not exclude. Directories (submodules, nested repositories) are left out.
core::Status ApplyUncommittedChanges(CheckoutGit& git, const std::string& top,
                                     const std::string& dest,
                                     const std::vector<std::string>& exclude) {
  GANTRY_RETURN_IF_ERROR(
      git.Run({"diff", "--name-only", "--no-renames", "-z", "HEAD", "--"}, top, true));
  std::vector<std::string> paths = SplitNul(git.Output());
  GANTRY_RETURN_IF_ERROR(git.Run({"ls-files", "-z", "--others", "--exclude-standard"}, top, true));
  std::vector<std::string> untracked = SplitNul(git.Output());
  paths.insert(paths.end(), std::make_move_iterator(untracked.begin()),
               std::make_move_iterator(untracked.end()));
  std::vector<std::string> skip;
  skip.reserve(exclude.size());
  for (const std::string& e : exclude) skip.push_back(Canonical(e));
  std::size_t applied = 0;
  for (const std::string& rel : paths) {
    if (rel.back() == '/') continue;  // an untracked nested repository
    fs::path src = fs::path(top) / rel;
    fs::path target = fs::path(dest) / rel;
    if (std::any_of(skip.begin(), skip.end(),
                    [&](const std::string& k) { return IsWithin(src.string(), k); })) {
      continue;
    }
    std::error_code ec;
    fs::file_status status = fs::symlink_status(src, ec);
    if (!fs::exists(status)) {
      fs::remove(target, ec);
    } else if (fs::is_directory(status)) {
      continue;  // a submodule whose commit changed
    } else {
      fs::create_directories(target.parent_path(), ec);
      if (fs::is_symlink(status)) {
        fs::remove(target, ec);
        fs::copy_symlink(src, target, ec);
      } else if (fs::is_regular_file(status)) {
        if (fs::is_symlink(fs::symlink_status(target, ec))) fs::remove(target, ec);
        fs::copy_file(src, target, fs::copy_options::overwrite_existing, ec);
      } else {
        continue;
      }
    }
    if (ec) {
      return core::Status::Internal("cannot copy " + src.string() + " to " + target.string() +
                                    ": " + ec.message());
    }
    ++applied;
  }
  if (applied > 0) {
    git.Log("Applied " + std::to_string(applied) + " uncommitted change" +
            (applied == 1 ? "" : "s") + " of the working tree (git diff shows them)");
  }
  return core::Status::Ok();
}

// Where actions/checkout v4 fetches the commit under test to (`+SHA:<fetch_ref>`) and what it
// checks out, from GITHUB_REF: a branch as a local branch, a pull request's merge ref and a tag
// detached; anything else (no ref) the bare commit, detached.
struct Target {
  std::string fetch_ref;  // "" = fetch the commit alone
  std::string branch;     // the local branch to create, "" = detached HEAD
};

Target TargetOf(std::string_view github_ref) {
  Target t;
  if (github_ref.starts_with("refs/heads/")) {
    t.branch = github_ref.substr(11);
    t.fetch_ref = "refs/remotes/origin/" + t.branch;
  } else if (github_ref.starts_with("refs/pull/")) {
    t.fetch_ref = "refs/remotes/" + std::string(github_ref.substr(5));
  } else if (github_ref.starts_with("refs/tags/")) {
    t.fetch_ref = std::string(github_ref);
  }
  return t;
}

// Checks out the submodules of `dest`, a clone of the working tree at `src`: a submodule that is
// initialised in `src` is fetched from there (no network), the others from their URL in
// .gitmodules, as actions/checkout does.
core::Status LocalSubmodules(CheckoutGit& git, const std::string& src, const std::string& dest,
                             int depth, bool recursive) {
  if (!fs::exists(fs::path(dest) / ".gitmodules")) {
    git.Log("No submodules to update (no .gitmodules)");
    return core::Status::Ok();
  }
  GANTRY_RETURN_IF_ERROR(git.Run({"submodule", "init"}, dest, true));
  std::vector<std::string> paths;
  // Exits 1 when there is no match: no submodule to redirect.
  if (git.Run({"config", "-f", ".gitmodules", "--get-regexp", "^submodule\\..*\\.path$"}, dest,
              true)
          .ok()) {
    std::string out = git.Output();
    std::size_t start = 0;
    while (start < out.size()) {
      std::size_t end = out.find('\n', start);
      if (end == std::string::npos) end = out.size();
      std::string line = out.substr(start, end - start);
      start = end + 1;
      std::size_t space = line.find(' ');
      if (space == std::string::npos || space < 15) continue;
      std::string name = line.substr(10, space - 15);  // submodule.<name>.path
      std::string path = line.substr(space + 1);
      paths.push_back(path);
      fs::path local = fs::path(src) / path;
      if (fs::exists(local / ".git")) {
        GANTRY_RETURN_IF_ERROR(
            git.Run({"config", "submodule." + name + ".url", "file://" + Canonical(local.string())},
                    dest, true));
      }
    }
  }
  // Local runs use file:// submodules, which git refuses by default since 2.38.1.
  std::vector<std::string> update = {
      "-c", "protocol.file.allow=always", "submodule", "update", "--init", "--force"};
  if (depth > 0) update.push_back("--depth=" + std::to_string(depth));
  GANTRY_RETURN_IF_ERROR(git.Run(update, dest));
  if (!recursive) return core::Status::Ok();
  for (const std::string& path : paths) {
    fs::path sub = fs::path(dest) / path;
    if (!fs::exists(sub / ".git")) continue;
    GANTRY_RETURN_IF_ERROR(
        LocalSubmodules(git, (fs::path(src) / path).string(), sub.string(), depth, true));
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<LocalRepo> FindLocalRepo(CheckoutGit& git, const std::string& dir) {
  if (!git.Run({"rev-parse", "--show-toplevel"}, dir, true).ok()) {
    return core::Status::NotFound(dir + " is not in a git repository");
  }
  LocalRepo repo;
  repo.top = Canonical(git.Output());
  if (repo.top != Canonical(dir)) {
    return core::Status::NotFound(dir + " is a folder of the git repository " + repo.top +
                                  ", not its root");
  }
  if (!git.Run({"rev-parse", "--verify", "-q", "HEAD^{commit}"}, dir, true).ok()) {
    return core::Status::NotFound(dir + " has no commit yet");
  }
  repo.head = git.Output();
  return repo;
}

core::Result<std::string> CloneLocal(CheckoutGit& git, const engine::BuiltinCall& call,
                                     const LocalClone& s, const LocalRepo& repo) {
  std::string sha = repo.head;
  const std::string* github_sha = engine::FindEnv(call.env, "GITHUB_SHA");
  if (github_sha != nullptr && !github_sha->empty() && *github_sha != sha &&
      git.Run({"cat-file", "-e", *github_sha + "^{commit}"}, repo.top, true).ok()) {
    sha = *github_sha;
  }
  const std::string* github_ref = engine::FindEnv(call.env, "GITHUB_REF");
  Target target = TargetOf(github_ref != nullptr ? *github_ref : "");
  std::error_code ec;
  fs::create_directories(s.dest, ec);
  if (ec) return core::Status::Internal("cannot create " + s.dest + ": " + ec.message());
  std::string url = "file://" + repo.top;
  if (!fs::exists(fs::path(s.dest) / ".git")) {
    GANTRY_RETURN_IF_ERROR(git.Run({"init", "-q", s.dest}, s.dest));
    GANTRY_RETURN_IF_ERROR(git.Run({"remote", "add", "origin", url}, s.dest));
  } else {
    GANTRY_RETURN_IF_ERROR(git.Run({"remote", "set-url", "origin", url}, s.dest));
  }
  // A real fetch, not objects borrowed through alternates: steps in a job container or under
  // --sandbox see the workspace but not this repository's path, and git must work there too.
  GANTRY_RETURN_IF_ERROR(git.FetchFromOrigin(
      s.dest, s.depth, target.fetch_ref.empty() ? sha : "+" + sha + ":" + target.fetch_ref));
  if (!target.branch.empty()) {
    GANTRY_RETURN_IF_ERROR(
        git.Run({"checkout", "-q", "--force", "-B", target.branch, target.fetch_ref}, s.dest));
  } else {
    GANTRY_RETURN_IF_ERROR(git.Run({"checkout", "-q", "--force", "--detach",
                                    target.fetch_ref.empty() ? sha : target.fetch_ref},
                                   s.dest));
  }
  if (s.submodules) {
    GANTRY_RETURN_IF_ERROR(LocalSubmodules(git, repo.top, s.dest, s.depth, s.recursive));
  }
  if (sha == repo.head) {
    GANTRY_RETURN_IF_ERROR(ApplyUncommittedChanges(git, repo.top, s.dest, call.exclude));
  } else {
    git.Log("GITHUB_SHA " + sha + " is not HEAD: the working tree's changes are not applied");
  }
  return sha;
}

}  // namespace gantry::actions
