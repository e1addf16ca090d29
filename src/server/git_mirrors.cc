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

GitMirrors::GitMirrors(std::string root) : root_(std::move(root)) {}

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

core::Status GitMirrors::Fetch(const std::string& owner, const std::string& name) {
  std::string path = PathFor(owner, name);
  std::mutex& mirror = LockFor(path);
  std::lock_guard<std::mutex> lock(mirror);
  // git's own `maintenance run --auto` after every fetch is one more process on the webhook's
  // path; it runs here after every kMaintenanceEvery-th fetch of the mirror instead (it only
  // acts past git's thresholds, thousands of loose objects, and detaches when it does).
  auto r = core::RunProgram(
      {"git", "-c", "maintenance.auto=false", "fetch", "--quiet", "--prune", "origin"}, path);
  if (!r.ok()) return core::Status::Unavailable("git fetch failed: " + r.status().message());
  bool maintain = false;
  {
    std::lock_guard<std::mutex> counts(mu_);
    maintain = ++fetches_[path] % kMaintenanceEvery == 1;
  }
  if (maintain) (void)core::RunProgram({"git", "maintenance", "run", "--auto", "--quiet"}, path);
  return core::Status::Ok();
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
  auto r = core::RunProgram({"git", "rev-parse", "--verify", "--quiet", ref + "^{commit}"},
                            PathFor(owner, name));
  if (!r.ok() || r.value().size() < 40) {
    return core::Status::NotFound("no commit '" + ref + "' in the repository");
  }
  return r.value().substr(0, 40);
}

core::Result<std::map<std::string, std::string>> GitMirrors::Refs(const std::string& owner,
                                                                  const std::string& name) {
  auto r = core::RunProgram(
      {"git", "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"},
      PathFor(owner, name));
  if (!r.ok()) return r.status();
  std::map<std::string, std::string> refs;
  size_t pos = 0;
  const std::string& text = r.value();
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (line.size() > 41) refs[line.substr(41)] = line.substr(0, 40);
    pos = end + 1;
  }
  return refs;
}

core::Result<std::vector<std::string>> GitMirrors::Workflows(const std::string& owner,
                                                             const std::string& name,
                                                             const std::string& sha) {
  const std::string path = PathFor(owner, name);
  const bool full = IsFullSha(sha);
  const std::string list_key = path + "\n" + sha + "\n";
  auto split = [](const std::string& text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      if (end > pos) out.push_back(text.substr(pos, end - pos));
      pos = end + 1;
    }
    return out;
  };
  if (full) {
    if (auto listed = Cached(list_key)) return split(*listed);
  }
  // "<mode> <type> <oid>\t<path>\0" for each entry of the directory.
  auto r = core::RunProgram({"git", "ls-tree", "-z", sha, ".github/workflows/"}, path);
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, std::string>> blobs;  // path, oid
  const std::string& text = r.value();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\0', pos);
    if (end == std::string::npos) end = text.size();
    std::string entry = text.substr(pos, end - pos);
    pos = end + 1;
    size_t tab = entry.find('\t');
    if (tab == std::string::npos) continue;
    std::string f = entry.substr(tab + 1);
    std::string head = entry.substr(0, tab);
    size_t sp1 = head.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
    if (sp2 == std::string::npos || head.compare(sp1 + 1, sp2 - sp1 - 1, "blob") != 0) continue;
    auto ends = [&f](std::string_view s) {
      return f.size() >= s.size() && f.compare(f.size() - s.size(), s.size(), s) == 0;
    };
    if (ends(".yml") || ends(".yaml")) blobs.emplace_back(f, head.substr(sp2 + 1));
  }
  std::sort(blobs.begin(), blobs.end());
  std::vector<std::string> files;
  std::string list;
  for (const auto& [f, oid] : blobs) {
    files.push_back(f);
    list += f + "\n";
  }
  if (!full) return files;
  // Every file's content in one process: "<oid> blob <size>\n<content>\n" each.
  std::string request;
  for (const auto& [f, oid] : blobs) request += oid + "\n";
  if (!blobs.empty()) {
    auto contents = core::RunProgram({"git", "cat-file", "--batch"}, path, &request);
    if (!contents.ok()) return files;  // ReadFile reads them one by one
    const std::string& out = contents.value();
    size_t at = 0;
    for (const auto& [f, oid] : blobs) {
      size_t nl = out.find('\n', at);
      if (nl == std::string::npos) break;
      std::string header = out.substr(at, nl - at);
      size_t last = header.rfind(' ');
      if (header.rfind(oid + " blob ", 0) != 0 || last == std::string::npos) break;
      size_t size = std::strtoull(header.c_str() + last + 1, nullptr, 10);
      if (nl + 1 + size > out.size()) break;
      Keep(path + "\n" + sha + "\n" + f, out.substr(nl + 1, size));
      at = nl + 1 + size + 1;
    }
  }
  Keep(list_key, list);
  return files;
}

core::Result<std::string> GitMirrors::ReadFile(const std::string& owner, const std::string& name,
                                               const std::string& sha, const std::string& path) {
  const std::string key = PathFor(owner, name) + "\n" + sha + "\n" + path;
  const bool full = IsFullSha(sha);
  if (full) {
    if (auto hit = Cached(key)) return std::move(*hit);
  }
  auto r = core::RunProgram({"git", "cat-file", "blob", sha + ":" + path}, PathFor(owner, name));
  if (!r.ok()) return core::Status::NotFound("no file '" + path + "' at " + sha.substr(0, 12));
  if (full) Keep(key, r.value());
  return r;
}

core::Result<std::vector<std::string>> GitMirrors::ChangedFiles(const std::string& owner,
                                                                const std::string& name,
                                                                const std::string& before,
                                                                const std::string& after) {
  auto r = core::RunProgram({"git", "diff", "--name-only", before, after}, PathFor(owner, name));
  if (!r.ok()) return r.status();
  std::vector<std::string> files;
  size_t pos = 0;
  const std::string& text = r.value();
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) files.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return files;
}

core::Result<std::pair<std::string, std::string>> GitMirrors::CommitInfo(const std::string& owner,
                                                                         const std::string& name,
                                                                         const std::string& sha) {
  auto r = core::RunProgram({"git", "log", "-1", "--format=%an%n%s", sha}, PathFor(owner, name));
  if (!r.ok()) return r.status();
  const std::string& text = r.value();
  size_t nl = text.find('\n');
  std::string author = text.substr(0, nl);
  std::string subject = nl == std::string::npos ? "" : text.substr(nl + 1);
  while (!subject.empty() && subject.back() == '\n') subject.pop_back();
  return std::make_pair(subject, author);
}

}  // namespace gantry::server
