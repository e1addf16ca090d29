// GitBackend over the `git` program: a process per operation.

#include <algorithm>
#include <cstdlib>

#include "core/subprocess.h"
#include "server/git_backend.h"
#include "workflow/reusable.h"

namespace gantry::server {
namespace {

std::vector<std::string> Lines(const std::string& text, char sep = '\n') {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(sep, pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

class ProcessGitBackend : public GitBackend {
 public:
  const char* name() const override { return "git"; }

  core::Status Fetch(const std::string& repo) override {
    // git's own `maintenance run --auto` after a fetch is one more process on the webhook's
    // path; GitMirrors runs it now and then instead.
    auto r = core::RunProgram(
        {"git", "-c", "maintenance.auto=false", "fetch", "--quiet", "--prune", "origin"}, repo);
    if (!r.ok()) return core::Status::Unavailable("git fetch failed: " + r.status().message());
    return core::Status::Ok();
  }

  core::Result<std::string> Resolve(const std::string& repo, const std::string& ref) override {
    auto r = core::RunProgram({"git", "rev-parse", "--verify", "--quiet", ref + "^{commit}"}, repo);
    if (!r.ok() || r.value().size() < 40) {
      return core::Status::NotFound("no commit '" + ref + "' in the repository");
    }
    return r.value().substr(0, 40);
  }

  core::Result<std::map<std::string, std::string>> Refs(const std::string& repo) override {
    auto r = core::RunProgram(
        {"git", "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"},
        repo);
    if (!r.ok()) return r.status();
    std::map<std::string, std::string> refs;
    for (const std::string& line : Lines(r.value())) {
      if (line.size() > 41) refs[line.substr(41)] = line.substr(0, 40);
    }
    return refs;
  }

  core::Result<std::vector<std::pair<std::string, std::string>>> YamlFiles(
      const std::string& repo, const std::string& commit, const std::string& dir) override {
    // "<mode> <type> <oid>\t<path>\0" for each entry of the directory.
    auto r = core::RunProgram({"git", "ls-tree", "-z", commit, dir + "/"}, repo);
    if (!r.ok()) return r.status();
    std::vector<std::pair<std::string, std::string>> blobs;  // path, oid
    for (const std::string& entry : Lines(r.value(), '\0')) {
      size_t tab = entry.find('\t');
      if (tab == std::string::npos) continue;
      std::string f = entry.substr(tab + 1);
      std::string head = entry.substr(0, tab);
      size_t sp1 = head.find(' ');
      size_t sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
      if (sp2 == std::string::npos || head.compare(sp1 + 1, sp2 - sp1 - 1, "blob") != 0) continue;
      if (workflow::IsWorkflowFileName(f)) blobs.emplace_back(f, head.substr(sp2 + 1));
    }
    std::sort(blobs.begin(), blobs.end());
    std::vector<std::pair<std::string, std::string>> files;
    if (blobs.empty()) return files;
    // Every file's content in one process: "<oid> blob <size>\n<content>\n" each.
    std::string request;
    for (const auto& [f, oid] : blobs) request += oid + "\n";
    auto contents = core::RunProgram({"git", "cat-file", "--batch"}, repo, &request);
    if (!contents.ok()) return contents.status();
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
      files.emplace_back(f, out.substr(nl + 1, size));
      at = nl + 1 + size + 1;
    }
    if (files.size() != blobs.size()) {
      return core::Status::Internal("git cat-file --batch answered unexpectedly in " + repo);
    }
    return files;
  }

  core::Result<std::string> ReadFile(const std::string& repo, const std::string& commit,
                                     const std::string& path) override {
    auto r = core::RunProgram({"git", "cat-file", "blob", commit + ":" + path}, repo);
    if (!r.ok()) return core::Status::NotFound("no file '" + path + "' at " + commit.substr(0, 12));
    return r;
  }

  core::Result<std::vector<std::string>> ChangedFiles(const std::string& repo,
                                                      const std::string& before,
                                                      const std::string& after) override {
    auto r = core::RunProgram({"git", "diff", "--name-only", "--no-renames", before, after}, repo);
    if (!r.ok()) return r.status();
    return Lines(r.value());
  }

  core::Result<std::pair<std::string, std::string>> CommitInfo(const std::string& repo,
                                                               const std::string& commit) override {
    auto r = core::RunProgram({"git", "log", "-1", "--format=%an%n%s", commit}, repo);
    if (!r.ok()) return r.status();
    const std::string& text = r.value();
    size_t nl = text.find('\n');
    std::string author = text.substr(0, nl);
    std::string subject = nl == std::string::npos ? "" : text.substr(nl + 1);
    while (!subject.empty() && subject.back() == '\n') subject.pop_back();
    return std::make_pair(subject, author);
  }
};

}  // namespace

std::unique_ptr<GitBackend> MakeProcessGitBackend() {
  return std::make_unique<ProcessGitBackend>();
}

std::unique_ptr<GitBackend> MakeGitBackend() {
  auto libgit2 = MakeLibgit2Backend(MakeProcessGitBackend());
  if (libgit2.ok()) return std::move(libgit2).value();
  return MakeProcessGitBackend();
}

}  // namespace gantry::server
