#include "actions/fetcher.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/files.h"
#include "core/strings.h"

namespace gantry::actions {
namespace {

namespace fs = std::filesystem;
using core::Result;
using core::Status;

constexpr size_t kFullShaLength = 40;
constexpr size_t kMinShortShaLength = 7;
const char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";

bool IsHex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

bool IsFullSha(std::string_view ref) { return ref.size() == kFullShaLength && IsHex(ref); }

bool IsShortSha(std::string_view ref) {
  return ref.size() >= kMinShortShaLength && ref.size() < kFullShaLength && IsHex(ref);
}

// A file name for any ref: '%XX' for everything but [A-Za-z0-9_-] and non-leading dots.
std::string EscapeRef(std::string_view ref) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < ref.size(); ++i) {
    auto c = static_cast<unsigned char>(ref[i]);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || (c == '.' && i > 0)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// A path component an owner or repository name may safely become.
bool IsSafeName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
}

bool IsLocalUrl(std::string_view url) {
  return url.starts_with("file://") || url.starts_with("/") || url.starts_with(".");
}

// The line of git's output that says why it failed: the last "fatal:"/"error:" line, else
// the last non-empty one; trimmed, without the "fatal: " prefix.
std::string Reason(std::string_view output) {
  std::string last, last_error;
  size_t start = 0;
  while (start <= output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(start, end - start);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0) {
      line.remove_suffix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())) != 0) {
      line.remove_prefix(1);
    }
    if (!line.empty()) {
      last = line;
      if (line.starts_with("fatal:") || line.starts_with("error:")) last_error = line;
    }
    start = end + 1;
  }
  std::string reason = last_error.empty() ? last : last_error;
  if (reason.starts_with("fatal: ")) reason.erase(0, 7);
  return reason.empty() ? "git failed without a message" : reason;
}

// Whether git's output says the repository does not exist (or is not ours to read: GitHub
// answers a private or missing repository with a credentials prompt).
bool SaysRepositoryMissing(std::string_view output) {
  for (std::string_view needle :
       {"does not appear to be a git repository", "not a git repository", "Repository not found",
        "repository not found", "not exported", "no such repository", "could not read Username",
        "Authentication failed"}) {
    if (output.find(needle) != std::string_view::npos) return true;
  }
  const size_t pos = output.find("repository '");
  return pos != std::string_view::npos && output.find("' not found", pos) != std::string_view::npos;
}

bool SaysRefMissing(std::string_view output) {
  return output.find("not our ref") != std::string_view::npos ||
         output.find("couldn't find remote ref") != std::string_view::npos ||
         output.find("upload-pack: not our") != std::string_view::npos;
}

// Removes a directory when it goes out of scope, unless released.
class DirGuard {
 public:
  explicit DirGuard(fs::path path) : path_(std::move(path)) {}
  ~DirGuard() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  DirGuard(const DirGuard&) = delete;
  DirGuard& operator=(const DirGuard&) = delete;

 private:
  fs::path path_;
};

// What one git invocation printed (stdout and stderr merged) and whether it succeeded.
struct GitRun {
  bool ok = false;
  std::string output;
};

class GitFetcher : public engine::ActionFetcher {
 public:
  explicit GitFetcher(FetcherOptions options)
      : options_(std::move(options)), backend_(backend::MakeHostBackend()) {
    if (options_.cache_dir.empty()) options_.cache_dir = DefaultActionCacheDir();
    std::string templ = (fs::temp_directory_path() / "gantry-git-home-XXXXXX").string();
    if (mkdtemp(templ.data()) != nullptr) home_ = templ;
    const char* path = std::getenv("PATH");
    env_ = {{"PATH", path != nullptr && *path != '\0' ? path : kDefaultPath},
            {"HOME", home_.empty() ? "/nonexistent" : home_},
            {"LC_ALL", "C"},
            {"GIT_TERMINAL_PROMPT", "0"},
            {"GIT_CONFIG_NOSYSTEM", "1"},
            {"GIT_CONFIG_GLOBAL", "/dev/null"},
            {"GIT_ASKPASS", "true"},
            {"GIT_SSH_COMMAND", "ssh -o BatchMode=yes"}};
  }
  ~GitFetcher() override {
    std::error_code ec;
    if (!home_.empty()) fs::remove_all(home_, ec);
  }
  GitFetcher(const GitFetcher&) = delete;
  GitFetcher& operator=(const GitFetcher&) = delete;

  Result<engine::FetchedAction> Fetch(const engine::ActionReference& ref,
                                      const engine::LogLine& log,
                                      const backend::CancelToken& cancel) override;

 private:
  std::string ActionName(const engine::ActionReference& ref) const {
    return ref.owner + "/" + ref.repo + "@" + ref.ref;
  }
  std::string RepositoryUrl(const engine::ActionReference& ref) const;
  fs::path RepoCacheDir(const engine::ActionReference& ref) const {
    return fs::path(options_.cache_dir) / core::AsciiLower(ref.owner) / core::AsciiLower(ref.repo);
  }
  fs::path RefRecord(const engine::ActionReference& ref) const {
    return fs::path(options_.cache_dir) / "refs" / core::AsciiLower(ref.owner) /
           core::AsciiLower(ref.repo) / EscapeRef(ref.ref);
  }
  std::optional<std::string> LocalOverride(const engine::ActionReference& ref) const;
  std::optional<std::string> RecordedSha(const engine::ActionReference& ref) const;

  Result<GitRun> Git(std::vector<std::string> args, const std::string& cwd,
                     const engine::ActionReference& ref, const backend::CancelToken& cancel);
  /// ls-remote with url and, for local repositories, url + ".git"; sets *url to the one used.
  /// `patterns` may include options ("--tags").
  Result<GitRun> LsRemote(const engine::ActionReference& ref, std::string* url,
                          const std::vector<std::string>& patterns,
                          const backend::CancelToken& cancel);
  Result<std::string> Resolve(const engine::ActionReference& ref, std::string* url,
                              const backend::CancelToken& cancel);
  Status Download(const engine::ActionReference& ref, const std::string& url,
                  const std::string& sha, const fs::path& target,
                  const backend::CancelToken& cancel);
  std::mutex& KeyMutex(const std::string& key);

  FetcherOptions options_;
  std::unique_ptr<backend::Backend> backend_;
  std::string home_;  // an empty HOME for git, so that no user configuration applies
  std::vector<std::pair<std::string, std::string>> env_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> key_mutexes_;  // guarded by mu_
};

std::string GitFetcher::RepositoryUrl(const engine::ActionReference& ref) const {
  std::string base = options_.base_url;
  const std::string owner = core::AsciiLower(ref.owner);
  for (const auto& [key, url] : options_.owner_urls) {
    if (core::AsciiLower(key) == owner) base = url;
  }
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + "/" + ref.owner + "/" + ref.repo;
}

std::optional<std::string> GitFetcher::LocalOverride(const engine::ActionReference& ref) const {
  const std::string repository = core::AsciiLower(ref.owner + "/" + ref.repo);
  for (const auto& [key, dir] : options_.local_overrides) {
    const size_t at = key.find('@');
    if (at == std::string::npos) continue;
    if (core::AsciiLower(key.substr(0, at)) == repository && key.substr(at + 1) == ref.ref)
      return dir;
  }
  return std::nullopt;
}

std::optional<std::string> GitFetcher::RecordedSha(const engine::ActionReference& ref) const {
  std::ifstream in(RefRecord(ref));
  std::string sha;
  if (!(in >> sha) || !IsFullSha(sha)) return std::nullopt;
  return sha;
}

std::mutex& GitFetcher::KeyMutex(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = key_mutexes_[key];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

Result<GitRun> GitFetcher::Git(std::vector<std::string> args, const std::string& cwd,
                               const engine::ActionReference& ref,
                               const backend::CancelToken& cancel) {
  backend::ProcessSpec spec;
  spec.argv.reserve(args.size() + 1);
  spec.argv.push_back(options_.git);
  for (auto& arg : args) spec.argv.push_back(std::move(arg));
  spec.cwd = cwd;
  spec.env = env_;
  GitRun run;
  auto result = backend_->Run(
      spec, [&run](std::string_view chunk) { run.output.append(chunk); }, cancel);
  if (!result.ok()) {
    return Status::Unavailable("Unable to fetch action `" + ActionName(ref) +
                               "`: cannot run git: " + result.status().message());
  }
  if (result->cancelled) {
    return Status::Cancelled("Fetching action `" + ActionName(ref) + "` was cancelled");
  }
  run.ok = result->ok();
  return run;
}

Result<GitRun> GitFetcher::LsRemote(const engine::ActionReference& ref, std::string* url,
                                    const std::vector<std::string>& patterns,
                                    const backend::CancelToken& cancel) {
  std::vector<std::string> candidates = {*url};
  if (IsLocalUrl(*url)) candidates.push_back(*url + ".git");
  Result<GitRun> run = GitRun{};
  for (const std::string& candidate : candidates) {
    // Options precede the URL: after it, everything is a pattern.
    std::vector<std::string> args = {"ls-remote"};
    for (const std::string& p : patterns) {
      if (p.starts_with("--")) args.push_back(p);
    }
    args.push_back(candidate);
    for (const std::string& p : patterns) {
      if (!p.starts_with("--")) args.push_back(p);
    }
    run = Git(std::move(args), home_.empty() ? "/" : home_, ref, cancel);
    if (!run.ok()) return run;
    if (run->ok) {
      *url = candidate;
      return run;
    }
    if (!SaysRepositoryMissing(run->output)) break;
  }
  if (SaysRepositoryMissing(run->output)) {
    return Status::NotFound("Unable to resolve action `" + ActionName(ref) +
                            "`, repository not found");
  }
  return Status::Unavailable("Unable to resolve action `" + ActionName(ref) +
                             "`: git ls-remote failed: " + Reason(run->output));
}

// Parses ls-remote output into (sha, ref name) pairs; other lines (warnings) are ignored.
std::vector<std::pair<std::string, std::string>> ParseRefs(std::string_view output) {
  std::vector<std::pair<std::string, std::string>> refs;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(start, end - start);
    if (line.size() > kFullShaLength + 1 && line[kFullShaLength] == '\t' &&
        IsFullSha(line.substr(0, kFullShaLength))) {
      refs.emplace_back(core::AsciiLower(std::string(line.substr(0, kFullShaLength))),
                        std::string(line.substr(kFullShaLength + 1)));
    }
    start = end + 1;
  }
  return refs;
}

Result<std::string> GitFetcher::Resolve(const engine::ActionReference& ref, std::string* url,
                                        const backend::CancelToken& cancel) {
  const std::string tag = "refs/tags/" + ref.ref;
  const std::string head = "refs/heads/" + ref.ref;
  // The peeled pattern is needed: ls-remote prints "<tag>^{}" only when asked for it.
  auto listed = LsRemote(ref, url, {tag, tag + "^{}", head}, cancel);
  if (!listed.ok()) return listed.status();
  std::string peeled, tagged, branch;
  for (const auto& [sha, name] : ParseRefs(listed->output)) {
    if (name == tag + "^{}") peeled = sha;
    if (name == tag) tagged = sha;
    if (name == head) branch = sha;
  }
  if (!peeled.empty()) return peeled;
  if (!tagged.empty()) return tagged;
  if (!branch.empty()) return branch;

  if (IsShortSha(ref.ref)) {
    // GitHub refuses short shas; name the full one when a branch or tag points at it.
    std::string full;
    auto all = LsRemote(ref, url, {"--tags", "--heads"}, cancel);
    if (!all.ok() && all.status().code() == core::StatusCode::kCancelled) return all.status();
    if (all.ok()) {
      for (const auto& [sha, name] : ParseRefs(all->output)) {
        if (sha.starts_with(core::AsciiLower(ref.ref))) full = sha;
      }
    }
    return Status::InvalidArgument(
        "Unable to resolve action `" + ActionName(ref) + "`, the provided ref `" + ref.ref +
        "` is the shortened version of a commit SHA, which is not supported. Please use the "
        "full commit SHA " +
        (full.empty() ? "" : "`" + full + "` ") + "instead.");
  }
  return Status::NotFound("Unable to resolve action `" + ActionName(ref) +
                          "`, unable to find version `" + ref.ref + "`");
}

Status GitFetcher::Download(const engine::ActionReference& ref, const std::string& url,
                            const std::string& sha, const fs::path& target,
                            const backend::CancelToken& cancel) {
  const std::string action = ActionName(ref);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return Status::Unavailable("Unable to download action `" + action + "`: cannot create " +
                               target.parent_path().string() + ": " + ec.message());
  }
  // The temp directory sits beside the target so that rename() is atomic; mkdtemp makes its
  // name unique across threads and processes.
  std::string templ = (target.parent_path() / (".tmp-" + sha + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) {
    return Status::Unavailable("Unable to download action `" + action + "`: cannot create " +
                               templ + ": " + std::strerror(errno));
  }
  const fs::path tmp = templ;
  DirGuard guard(tmp);
  auto failed = [&](const std::string& step, const GitRun& run) {
    return Status::Unavailable("Unable to download action `" + action + "` (SHA:" + sha +
                               "): git " + step + " failed: " + Reason(run.output));
  };
  auto init = Git({"init", "-q", tmp.string()}, tmp.string(), ref, cancel);
  if (!init.ok()) return init.status();
  if (!init->ok) return failed("init", *init);

  std::vector<std::string> urls = {url};
  if (IsLocalUrl(url) && !url.ends_with(".git")) urls.push_back(url + ".git");
  Result<GitRun> fetch = GitRun{};
  for (const std::string& candidate : urls) {
    fetch = Git({"fetch", "-q", "--no-tags", "--depth", "1", candidate, sha}, tmp.string(), ref,
                cancel);
    if (!fetch.ok()) return fetch.status();
    if (fetch->ok || !SaysRepositoryMissing(fetch->output)) break;
  }
  if (!fetch->ok) {
    if (SaysRepositoryMissing(fetch->output)) {
      return Status::NotFound("Unable to resolve action `" + action + "`, repository not found");
    }
    if (SaysRefMissing(fetch->output)) {
      return Status::NotFound("Unable to resolve action `" + action +
                              "`, unable to find version `" + ref.ref + "`");
    }
    return failed("fetch", *fetch);
  }
  auto checkout = Git({"checkout", "-q", "--detach", "FETCH_HEAD"}, tmp.string(), ref, cancel);
  if (!checkout.ok()) return checkout.status();
  if (!checkout->ok) return failed("checkout", *checkout);
  fs::remove_all(tmp / ".git", ec);
  if (ec) {
    return Status::Unavailable("Unable to download action `" + action + "`: cannot remove " +
                               (tmp / ".git").string() + ": " + ec.message());
  }
  fs::rename(tmp, target, ec);
  // Another process may have renamed its copy of the same commit in first: use that one.
  if (ec && !fs::is_directory(target)) {
    return Status::Unavailable("Unable to download action `" + action + "`: cannot rename " +
                               tmp.string() + " to " + target.string() + ": " + ec.message());
  }
  return Status::Ok();
}

Result<engine::FetchedAction> GitFetcher::Fetch(const engine::ActionReference& ref,
                                                const engine::LogLine& log,
                                                const backend::CancelToken& cancel) {
  const std::string action = ActionName(ref);
  if (!IsSafeName(ref.owner) || !IsSafeName(ref.repo) || ref.ref.empty()) {
    return Status::InvalidArgument("Unable to resolve action `" + action +
                                   "`: expected owner/repo@ref");
  }
  if (auto dir = LocalOverride(ref)) {
    if (!fs::is_directory(*dir)) {
      return Status::NotFound("Unable to resolve action `" + action + "`: the local directory " +
                              *dir + " does not exist");
    }
    return engine::FetchedAction{*dir, ""};
  }

  std::string url = RepositoryUrl(ref);
  const std::string spec = ref.owner + "/" + ref.repo + "@" + ref.ref;
  // What a user without network (or with a mirror) can do about a fetch that failed.
  auto with_help = [&](const Status& st) {
    if (st.code() != core::StatusCode::kUnavailable) return st;  // not a reach problem
    return Status(st.code(),
                  st.message() + " (tried " + url + "). To run without fetching: --local-action " +
                      spec + "=DIR uses a directory, --actions-url-for " + ref.owner +
                      "=URL fetches from a mirror, --offline uses what the action cache (" +
                      options_.cache_dir + ") already holds");
  };
  auto offline_help = [&](const std::string& what) {
    return Status::Unavailable("Unable to resolve action `" + action + "`: " + what +
                               " the action cache " + options_.cache_dir +
                               " (offline): run once without --offline to fetch it from " + url +
                               ", or give --local-action " + spec + "=DIR");
  };
  std::string sha;
  if (IsFullSha(ref.ref)) {
    sha = core::AsciiLower(ref.ref);
  } else if (options_.offline) {
    auto recorded = RecordedSha(ref);
    if (!recorded) return offline_help("not in");
    sha = *recorded;
  } else {
    auto resolved = Resolve(ref, &url, cancel);
    if (!resolved.ok()) return with_help(resolved.status());
    sha = *resolved;
    GANTRY_RETURN_IF_ERROR(core::WriteFileAtomically(RefRecord(ref), sha + "\n"));
  }

  const fs::path target = RepoCacheDir(ref) / sha;
  std::lock_guard<std::mutex> lock(KeyMutex(target.string()));
  if (fs::is_directory(target)) return engine::FetchedAction{target.string(), sha};
  if (options_.offline) return offline_help("commit " + sha + " is not in");
  if (log) log("Download action repository '" + action + "' (SHA:" + sha + ")");
  if (Status st = Download(ref, url, sha, target, cancel); !st.ok()) return with_help(st);
  return engine::FetchedAction{target.string(), sha};
}

}  // namespace

std::string DefaultActionCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/gantry/actions";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return std::string(home) + "/.cache/gantry/actions";
  return (fs::temp_directory_path() / ("gantry-actions-" + std::to_string(getuid()))).string();
}

std::unique_ptr<engine::ActionFetcher> MakeGitFetcher(FetcherOptions options) {
  return std::make_unique<GitFetcher>(std::move(options));
}

}  // namespace gantry::actions
