#include "actions/checkout.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

#include "actions/builtins.h"
#include "actions/checkout_git.h"
#include "actions/checkout_local.h"
#include "actions/paths.h"
#include "backend/backend.h"

namespace gantry::actions {

namespace fs = std::filesystem;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsFullSha(std::string_view ref) {
  return ref.size() == 40 && std::all_of(ref.begin(), ref.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

engine::BuiltinResult Fail(std::string error) {
  engine::BuiltinResult result;
  result.error = "actions/checkout: " + std::move(error);
  return result;
}

// What to check out and how.
struct Settings {
  std::string url;   // "" = copy the local working tree
  std::string ref;   // as given ("" = the default)
  std::string dest;  // absolute, inside the workspace
  int depth = 1;     // 0 = full history
  bool clean = true;
  bool submodules = false;
  bool recursive = false;
};

core::Status Clean(const engine::BuiltinCall& call, const std::string& dest) {
  std::string real = Canonical(dest);
  std::vector<std::string> keep = call.exclude;
  if (!call.repository_dir.empty()) keep.push_back(call.repository_dir);
  for (const auto& k : keep) {
    if (IsWithin(Canonical(k), real)) {
      return core::Status::InvalidArgument("refusing to clean " + dest + ": it contains " + k);
    }
  }
  return EmptyDirectory(dest);
}

// Fetches `s.ref` (or the default branch) of `s.url` into the git repository at s.dest and
// checks it out, as actions/checkout does (init, remote add, fetch, checkout).
core::Status GitCheckout(CheckoutGit& git, const Settings& s) {
  std::error_code ec;
  fs::create_directories(s.dest, ec);
  if (ec) return core::Status::Internal("cannot create " + s.dest + ": " + ec.message());
  if (!fs::exists(fs::path(s.dest) / ".git")) {
    GANTRY_RETURN_IF_ERROR(git.Run({"init", "-q", s.dest}, s.dest));
    GANTRY_RETURN_IF_ERROR(git.Run({"remote", "add", "origin", s.url}, s.dest));
  } else {
    GANTRY_RETURN_IF_ERROR(git.Run({"remote", "set-url", "origin", s.url}, s.dest));
  }
  std::string ref = s.ref.empty() ? "HEAD" : s.ref;
  core::Status fetched = git.FetchFromOrigin(s.dest, s.depth, ref);
  if (!fetched.ok()) {
    if (fetched.code() == core::StatusCode::kCancelled) return fetched;
    return core::Status::NotFound("A branch or tag with the name '" + ref +
                                  "' could not be found in " + s.url + " (" + fetched.message() +
                                  ")");
  }
  // FETCH_HEAD says "<sha>\t\tbranch 'main' of <url>" for a branch: check that out as a local
  // branch like actions/checkout; tags and commits are checked out detached.
  std::ifstream in(fs::path(s.dest) / ".git" / "FETCH_HEAD");
  std::string line;
  std::getline(in, line);
  std::string branch;
  std::size_t at = line.find("\t\tbranch '");
  if (at != std::string::npos) {
    std::size_t begin = at + 10;
    std::size_t end = line.find('\'', begin);
    if (end != std::string::npos) branch = line.substr(begin, end - begin);
  }
  if (!branch.empty()) {
    return git.Run({"checkout", "-q", "--force", "-B", branch, "FETCH_HEAD"}, s.dest);
  }
  return git.Run({"checkout", "-q", "--force", "--detach", "FETCH_HEAD"}, s.dest);
}

core::Status UpdateSubmodules(CheckoutGit& git, const Settings& s) {
  if (!fs::exists(fs::path(s.dest) / ".gitmodules")) {
    git.Log("No submodules to update (no .gitmodules)");
    return core::Status::Ok();
  }
  std::vector<std::string> sync = {"submodule", "sync"};
  if (s.recursive) sync.emplace_back("--recursive");
  GANTRY_RETURN_IF_ERROR(git.Run(sync, s.dest));
  // Local runs use file:// submodules, which git refuses by default since 2.38.1.
  std::vector<std::string> update = {
      "-c", "protocol.file.allow=always", "submodule", "update", "--init", "--force"};
  if (s.recursive) update.emplace_back("--recursive");
  if (s.depth > 0) update.push_back("--depth=" + std::to_string(s.depth));
  return git.Run(update, s.dest);
}

core::Result<Settings> ReadSettings(const engine::BuiltinCall& call) {
  Settings s;
  std::string repository = GetInput(call, "repository");
  if (!repository.empty() && !EqualsIgnoreCase(repository, call.github_repository)) {
    if (repository.find("://") == std::string::npos && repository[0] != '/') {
      return core::Status::InvalidArgument(
          "checking out another repository (" + repository +
          ") needs a URL or a mirror: give `repository:` as a URL (https://..., file://...) or "
          "an absolute path to a local clone");
    }
    s.url = repository;
  }
  s.ref = GetInput(call, "ref");
  auto dest = ResolveWithin(GetInput(call, "path"), call.workspace, {call.workspace}, "path");
  if (!dest.ok()) return dest.status();
  s.dest = *dest;
  auto clean = GetBooleanInput(call, "clean", true);
  if (!clean.ok()) return clean.status();
  s.clean = *clean;
  std::string depth = GetInput(call, "fetch-depth");
  if (!depth.empty()) {
    char* end = nullptr;
    long value = std::strtol(depth.c_str(), &end, 10);
    if (*end != '\0' || value < 0 || value > 1'000'000'000) {
      return core::Status::InvalidArgument("fetch-depth '" + depth +
                                           "' is not a number of commits (0 = all history)");
    }
    s.depth = static_cast<int>(value);
  }
  std::string submodules = GetInput(call, "submodules");
  std::transform(submodules.begin(), submodules.end(), submodules.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  s.recursive = submodules == "recursive";
  s.submodules = s.recursive || submodules == "true";
  auto persist = GetBooleanInput(call, "persist-credentials", true);
  if (!persist.ok()) return persist.status();  // accepted: nothing to persist locally
  return s;
}

}  // namespace

core::Status CopyWorkingTree(const std::string& from, const std::string& to,
                             const std::vector<std::string>& exclude) {
  std::error_code ec;
  fs::path root = fs::weakly_canonical(from, ec);
  if (ec || !fs::is_directory(root)) {
    return core::Status::NotFound("the repository directory " + from + " does not exist");
  }
  fs::path dest = fs::weakly_canonical(to, ec);
  fs::create_directories(dest, ec);
  if (ec) return core::Status::Internal("cannot create " + to + ": " + ec.message());
  std::vector<fs::path> skip = {dest};
  for (const std::string& e : exclude) skip.push_back(fs::weakly_canonical(e, ec));

  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return core::Status::Internal("cannot read " + from + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return core::Status::Internal("cannot read " + from + ": " + ec.message());
    const fs::path& src = it->path();
    // A nested .git (a submodule's link file, a nested repository) is meaningless in a copy.
    if (src.filename() == ".git" || std::find(skip.begin(), skip.end(), src) != skip.end()) {
      it.disable_recursion_pending();
      continue;
    }
    fs::path target = dest / src.lexically_relative(root);
    fs::file_status status = it->symlink_status(ec);
    if (fs::is_symlink(status)) {
      fs::remove(target, ec);
      fs::copy_symlink(src, target, ec);
    } else if (fs::is_directory(status)) {
      fs::create_directories(target, ec);
    } else if (fs::is_regular_file(status)) {
      fs::copy_file(src, target, fs::copy_options::overwrite_existing, ec);
    } else {
      continue;  // sockets, fifos, devices: nothing a build reads
    }
    if (ec) {
      return core::Status::Internal("cannot copy " + src.string() + " to " + target.string() +
                                    ": " + ec.message());
    }
  }
  return core::Status::Ok();
}

engine::BuiltinResult RunCheckout(const engine::BuiltinCall& call) {
  auto settings = ReadSettings(call);
  if (!settings.ok()) return Fail(settings.status().message());
  Settings s = std::move(settings).value();
  CheckoutGit git(call);
  engine::BuiltinResult result;
  const std::string* github_ref = engine::FindEnv(call.env, "GITHUB_REF");
  // GITHUB_REF describes the workflow's repository only.
  std::string out_ref =
      s.ref.empty() && s.url.empty() && github_ref != nullptr ? *github_ref : s.ref;
  if (IsFullSha(out_ref)) out_ref.clear();  // as actions/checkout: the commit output has it

  if (s.url.empty()) {
    if (!call.shared_workspace.empty() && GetInput(call, "path").empty()) {
      git.Log("The workspace is shared with the repository: nothing to copy.");
      if (!s.ref.empty()) git.Log("Note: ref '" + s.ref + "' is not checked out into it.");
      return result;
    }
    if (call.repository_dir.empty()) {
      return Fail(
          "no local repository to copy (gantry exec copies the working tree of the repository "
          "it runs in)");
    }
    if (s.ref.empty()) {
      if (s.clean) {
        core::Status cleaned = Clean(call, s.dest);
        if (!cleaned.ok()) return Fail(cleaned.message());
      }
      auto repo = FindLocalRepo(git, call.repository_dir);
      if (!repo.ok()) {
        // Not a git working tree of its own: only its files can be given to the job.
        git.Log(repo.status().message() + ": copying its working tree to " + s.dest +
                " (without .git)");
        core::Status copied = CopyWorkingTree(call.repository_dir, s.dest, call.exclude);
        if (!copied.ok()) return Fail(copied.message());
        if (git.Run({"rev-parse", "HEAD"}, call.repository_dir, true).ok()) {
          engine::SetEnv(result.outputs, "ref", out_ref);
          engine::SetEnv(result.outputs, "commit", git.Output());
        }
        return result;
      }
      git.Log("Cloning the commit under test of " + repo->top + " into " + s.dest);
      auto sha = CloneLocal(git, call, {s.dest, s.depth, s.submodules, s.recursive}, *repo);
      if (!sha.ok()) return Fail(sha.status().message());
      engine::SetEnv(result.outputs, "ref", out_ref);
      engine::SetEnv(result.outputs, "commit", *sha);
      return result;
    }
    s.url = "file://" + Canonical(call.repository_dir);
  }
  if (s.clean) {
    core::Status cleaned = Clean(call, s.dest);
    if (!cleaned.ok()) return Fail(cleaned.message());
  }
  git.Log("Checking out " +
          (s.ref.empty() ? std::string("the default branch") : "'" + s.ref + "'") + " of " + s.url +
          " into " + s.dest);
  core::Status done = GitCheckout(git, s);
  if (done.ok() && s.submodules) done = UpdateSubmodules(git, s);
  if (!done.ok()) return Fail(done.message());
  core::Status head = git.Run({"rev-parse", "HEAD"}, s.dest, true);
  if (!head.ok()) return Fail(head.message());
  engine::SetEnv(result.outputs, "ref", out_ref);
  engine::SetEnv(result.outputs, "commit", git.Output());
  return result;
}

}  // namespace gantry::actions
