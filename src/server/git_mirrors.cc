#include "server/git_mirrors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace gantry::server {
namespace {

bool IsFullSha(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

GitMirrors::GitMirrors(std::string root, std::function<std::unique_ptr<GitBackend>()> make)
    : root_(std::move(root)), make_backend_(std::move(make)) {}

GitBackend& GitMirrors::Backend() {
  std::call_once(backend_once_, [this] { backend_ = make_backend_(); });
  return *backend_;
}

GitMirrors::~GitMirrors() {
  std::lock_guard<std::mutex> lock(mu_);
  if (maintenance_.joinable()) maintenance_.join();
}

std::string GitMirrors::PathFor(const std::string& owner, const std::string& name) const {
  return root_ + "/" + owner + "/" + name + ".git";
}

std::mutex& GitMirrors::LockFor(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& m = locks_[path];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

core::Status GitMirrors::Create(const std::string& owner, const std::string& name,
                                const std::string& url) {
  std::string path = PathFor(owner, name);
  std::lock_guard<std::mutex> lock(LockFor(path));
  std::error_code ec;
  std::filesystem::create_directories(root_ + "/" + owner, ec);
  std::string tmp = path + ".new";
  std::filesystem::remove_all(tmp, ec);
  auto r = core::RunProgram({"git", "clone", "--quiet", "--mirror", "--", url, tmp}, "");
  if (!r.ok()) {
    std::filesystem::remove_all(tmp, ec);
    return core::Status::InvalidArgument("cannot clone '" + url + "': " + r.status().message());
  }
  std::filesystem::remove_all(path, ec);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return core::Status::Internal("cannot move the mirror into place: " + ec.message());
  return core::Status::Ok();
}

void GitMirrors::Ensure(const std::string& owner, const std::string& name) {
  if (!origins_) return;
  std::error_code ec;
  if (std::filesystem::exists(PathFor(owner, name), ec)) return;
  auto origin = origins_(owner, name);
  if (!origin.ok()) return;
  std::lock_guard<std::mutex> lock(LockFor(PathFor(owner, name) + "\ncreate"));
  if (std::filesystem::exists(PathFor(owner, name), ec)) return;
  (void)Create(owner, name, origin.value());
}

bool GitMirrors::FetchMissing(const std::string& owner, const std::string& name,
                              const std::string& sha) {
  if (!origins_ || !IsFullSha(sha) || Backend().Resolve(PathFor(owner, name), sha).ok()) {
    return false;
  }
  return Fetch(owner, name).ok();
}

core::Status GitMirrors::Fetch(const std::string& owner, const std::string& name) {
  Ensure(owner, name);
  std::string path = PathFor(owner, name);
  bool maintain = false;
  {
    std::lock_guard<std::mutex> lock(LockFor(path));
    GANTRY_RETURN_IF_ERROR(Backend().Fetch(path));
    std::lock_guard<std::mutex> counts(mu_);
    maintain = ++fetches_[path] % kMaintenanceEvery == 0;
  }
  if (maintain) Maintain(path);
  return core::Status::Ok();
}

void GitMirrors::Maintain(const std::string& path) {
  if (maintaining_.exchange(true)) return;  // one at a time; the next fetches will ask again
  std::lock_guard<std::mutex> lock(mu_);
  if (maintenance_.joinable()) maintenance_.join();  // finished: maintaining_ was false
  maintenance_ = std::thread([this, path] {
    (void)core::RunProgram({"git", "maintenance", "run", "--auto", "--quiet"}, path);
    maintaining_ = false;
  });
}

bool GitMirrors::RefIs(const std::string& owner, const std::string& name, const std::string& ref,
                       const std::string& sha) {
  if (!IsFullSha(sha) || ref.rfind("refs/", 0) != 0 || ref.find("..") != std::string::npos) {
    return false;
  }
  std::ifstream in(PathFor(owner, name) + "/" + ref);
  std::string line;
  return in && std::getline(in, line) && line == sha;
}

std::optional<std::string> GitMirrors::Cached(const std::string& key) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

void GitMirrors::Keep(const std::string& key, const std::string& content) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_bytes_ + key.size() + content.size() > kCacheBytes) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  if (cache_.emplace(key, content).second) cache_bytes_ += key.size() + content.size();
}

core::Result<std::string> GitMirrors::Resolve(const std::string& owner, const std::string& name,
                                              const std::string& ref) {
  Ensure(owner, name);
  return Backend().Resolve(PathFor(owner, name), ref);
}

core::Result<std::map<std::string, std::string>> GitMirrors::Refs(const std::string& owner,
                                                                  const std::string& name) {
  Ensure(owner, name);
  return Backend().Refs(PathFor(owner, name));
}

core::Result<std::vector<std::string>> GitMirrors::Workflows(const std::string& owner,
                                                             const std::string& name,
                                                             const std::string& sha) {
  const std::string path = PathFor(owner, name);
  const bool full = IsFullSha(sha);
  const std::string list_key = path + "\n" + sha + "\n";
  if (full) {
    if (auto listed = Cached(list_key)) {
      std::vector<std::string> files;
      size_t pos = 0;
      while (pos < listed->size()) {
        size_t end = listed->find('\n', pos);
        files.push_back(listed->substr(pos, end - pos));
        pos = end + 1;
      }
      return files;
    }
  }
  Ensure(owner, name);
  auto found = Backend().YamlFiles(path, sha, ".github/workflows");
  if (!found.ok() && FetchMissing(owner, name, sha)) {
    found = Backend().YamlFiles(path, sha, ".github/workflows");
  }
  if (!found.ok()) return found.status();
  std::vector<std::string> files;
  std::string list;
  for (const auto& [file, content] : found.value()) {
    files.push_back(file);
    list += file + "\n";
    if (full) Keep(path + "\n" + sha + "\n" + file, content);
  }
  if (full) Keep(list_key, list);
  return files;
}

core::Result<std::string> GitMirrors::ReadFile(const std::string& owner, const std::string& name,
                                               const std::string& sha, const std::string& path) {
  const std::string key = PathFor(owner, name) + "\n" + sha + "\n" + path;
  const bool full = IsFullSha(sha);
  if (full) {
    if (auto hit = Cached(key)) return std::move(*hit);
  }
  Ensure(owner, name);
  auto r = Backend().ReadFile(PathFor(owner, name), sha, path);
  if (!r.ok() && FetchMissing(owner, name, sha))
    r = Backend().ReadFile(PathFor(owner, name), sha, path);
  if (r.ok() && full) Keep(key, r.value());
  return r;
}

core::Result<std::vector<std::string>> GitMirrors::ChangedFiles(const std::string& owner,
                                                                const std::string& name,
                                                                const std::string& before,
                                                                const std::string& after) {
  Ensure(owner, name);
  return Backend().ChangedFiles(PathFor(owner, name), before, after);
}

core::Result<std::pair<std::string, std::string>> GitMirrors::CommitInfo(const std::string& owner,
                                                                         const std::string& name,
                                                                         const std::string& sha) {
  Ensure(owner, name);
  return Backend().CommitInfo(PathFor(owner, name), sha);
}

}  // namespace gantry::server
