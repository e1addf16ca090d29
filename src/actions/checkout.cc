#include "actions/checkout.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

#include "actions/builtins.h"
#include "actions/paths.h"
#include "backend/backend.h"

namespace gantry::actions {

namespace fs = std::filesystem;

namespace {

// Runs git for one checkout; remembers the output of the last command for error messages.
class Git {
 public:
  explicit Git(const engine::BuiltinCall& call)
      : call_(call), backend_(backend::MakeHostBackend()) {
    env_ = call.env;
    // The step's environment may lack what git needs to find itself and its configuration.
    for (const char* name : {"PATH", "HOME"}) {
      const char* value = std::getenv(name);
      if (engine::FindEnv(env_, name) == nullptr && value != nullptr) {
        engine::SetEnv(env_, name, value);
      }
    }
    engine::SetEnv(env_, "GIT_TERMINAL_PROMPT", "0");
    if (call.cancel == nullptr) own_cancel_ = std::make_unique<backend::CancelToken>();
  }

  // Runs `git <args>` in `cwd`; Ok when it exits 0. The error names the command and git's
  // last line of output.
  core::Status Run(const std::vector<std::string>& args, const std::string& cwd,
                   bool quiet = false) {
    backend::ProcessSpec spec;
    spec.argv = {"git"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.cwd = cwd;
    spec.env = env_;
    std::string command = "git";
    for (const auto& a : args) command += " " + a;
    if (!quiet) Log("[command]" + command);
    output_.clear();
    const backend::CancelToken& cancel = call_.cancel != nullptr ? *call_.cancel : *own_cancel_;
    auto result = backend_->Run(
        spec, [&](std::string_view chunk) { output_.append(chunk); }, cancel);
    if (!quiet) {
      std::size_t start = 0;
      while (start < output_.size()) {
        std::size_t nl = output_.find('\n', start);
        if (nl == std::string::npos) nl = output_.size();
        if (nl > start) Log(std::string_view(output_).substr(start, nl - start));
        start = nl + 1;
      }
    }
    if (!result.ok())
      return core::Status::Unavailable("cannot run git: " + result.status().message());
    if (result->cancelled) return core::Status::Cancelled("the checkout was cancelled");
    if (!result->ok()) return core::Status::Internal(command + " failed: " + LastLine());
    return core::Status::Ok();
  }

  // The output of the last command without its trailing newline.
  std::string Output() const {
    std::string out = output_;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  std::string LastLine() const {
    std::string out = Output();
    std::size_t nl = out.rfind('\n');
    return nl == std::string::npos ? out : out.substr(nl + 1);
  }

  void Log(std::string_view line) const {
    if (call_.log) call_.log(line);
  }

 private:
  const engine::BuiltinCall& call_;
  std::unique_ptr<backend::Backend> backend_;
  std::unique_ptr<backend::CancelToken> own_cancel_;
  engine::EnvList env_;
  std::string output_;
};

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
core::Status GitCheckout(Git& git, const Settings& s) {
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
  if (s.depth == 0) {
    GANTRY_RETURN_IF_ERROR(
        git.Run({"fetch", "--prune", "--no-recurse-submodules", "origin",
                 "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"},
                s.dest));
  }
  std::vector<std::string> fetch = {"fetch", "--no-tags", "--no-recurse-submodules"};
  if (s.depth > 0) fetch.push_back("--depth=" + std::to_string(s.depth));
  fetch.insert(fetch.end(), {"origin", ref});
  core::Status fetched = git.Run(fetch, s.dest);
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

core::Status UpdateSubmodules(Git& git, const Settings& s) {
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
core::Status ApplyUncommittedChanges(Git& git, const std::string& top, const std::string& dest,
                                     const std::vector<std::string>& exclude) {
  GANTRY_RETURN_IF_ERROR(
      git.Run({"diff", "--name-only", "--no-renames", "-z", "HEAD", "--"}, top, true));
  std::vector<std::string> paths = SplitNul(git.Output());
  GANTRY_RETURN_IF_ERROR(git.Run({"ls-files", "-z", "--others", "--exclude-standard"}, top, true));
  for (std::string& p : SplitNul(git.Output())) paths.push_back(std::move(p));
  std::vector<std::string> skip;
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
core::Status LocalSubmodules(Git& git, const std::string& src, const std::string& dest, int depth,
                             bool recursive) {
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

// The local repository whose commit under test the default checkout clones.
struct LocalRepo {
  std::string top;      // its working tree (canonical)
  std::string objects;  // its object directory (absolute), shared with the clone
  std::string head;     // HEAD's sha
};

// The repository at `dir` when `dir` is the root of a git working tree with a commit; else why
// the working tree has to be copied instead.
core::Result<LocalRepo> FindLocalRepo(Git& git, const std::string& dir) {
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
  GANTRY_RETURN_IF_ERROR(git.Run({"rev-parse", "--git-path", "objects"}, dir, true));
  fs::path objects = git.Output();
  repo.objects = Canonical((objects.is_absolute() ? objects : fs::path(dir) / objects).string());
  return repo;
}

// The default checkout: a real clone of the commit under test, as actions/checkout v4 makes it
// (origin remote, `fetch --depth=N origin +SHA:<ref>`, a branch checked out with -B, a pull
// request or a tag detached), with the working tree's uncommitted changes on top. The clone
// borrows the local repository's objects (alternates), so nothing is copied but the files.
// Returns the checked-out sha.
core::Result<std::string> CloneLocal(Git& git, const engine::BuiltinCall& call, const Settings& s,
                                     const LocalRepo& repo) {
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
  {
    std::ofstream alternates(fs::path(s.dest) / ".git" / "objects" / "info" / "alternates");
    alternates << repo.objects << "\n";
    if (!alternates) return core::Status::Internal("cannot write the alternates of " + s.dest);
  }
  if (s.depth == 0) {
    GANTRY_RETURN_IF_ERROR(
        git.Run({"fetch", "--prune", "--no-recurse-submodules", "origin",
                 "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"},
                s.dest));
  }
  if (s.depth == 1) {
    // What `fetch --depth=1 origin +SHA:REF` leaves, without its cost (an upload-pack and a
    // walk of every object of the commit to check connectivity): the objects are already
    // there through the alternates, so only the ref and the shallow boundary are written.
    git.Log("The commit " + sha + " is in " + repo.top +
            ": its objects are shared, not fetched (as `git fetch --depth=1 origin " + sha +
            (target.fetch_ref.empty() ? "" : ":" + target.fetch_ref) + "`)");
    if (!target.fetch_ref.empty()) {
      GANTRY_RETURN_IF_ERROR(git.Run({"update-ref", target.fetch_ref, sha}, s.dest, true));
    }
    std::ofstream shallow(fs::path(s.dest) / ".git" / "shallow");
    shallow << sha << "\n";
    if (!shallow) return core::Status::Internal("cannot write the shallow file of " + s.dest);
  } else {
    std::vector<std::string> fetch = {"fetch", "--no-tags", "--no-recurse-submodules"};
    if (s.depth > 0) fetch.push_back("--depth=" + std::to_string(s.depth));
    fetch.insert(fetch.end(),
                 {"origin", target.fetch_ref.empty() ? sha : "+" + sha + ":" + target.fetch_ref});
    GANTRY_RETURN_IF_ERROR(git.Run(fetch, s.dest));
  }
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
  Git git(call);
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
      auto sha = CloneLocal(git, call, s, *repo);
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
