// GitBackend over libgit2: reads objects in-process (no process per webhook), and fetches
// from a local origin in-process too. A repository is opened for each operation: opening a
// bare repository reads its config and a few directories (tens of microseconds), and a fresh
// handle always sees what another process (a `git fetch`, `git maintenance`) wrote.

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/files.h"
#include "server/git_backend.h"
#include "server/libgit2.h"
#include "workflow/reusable.h"

namespace gantry::server {
namespace {

template <typename T>
using Owned = std::unique_ptr<T, void (*)(T*)>;

class Libgit2Backend : public GitBackend {
 public:
  Libgit2Backend(const LibGit2* api, std::unique_ptr<GitBackend> fallback)
      : git_(api), fallback_(std::move(fallback)) {}

  const char* name() const override { return "libgit2"; }

  core::Status Fetch(const std::string& repo) override {
    std::string url;
    {
      auto opened = Open(repo);
      if (!opened.ok()) return opened.status();
      git_remote* raw = nullptr;
      if (git_->remote_lookup(&raw, opened.value().get(), "origin") < 0) {
        return Error("no remote 'origin'");
      }
      Owned<git_remote> remote(raw, git_->remote_free);
      const char* u = git_->remote_url(remote.get());
      url = u != nullptr ? u : "";
    }
    if (url.rfind("file://", 0) == 0) url.erase(0, 7);
    // A remote URL goes through `git fetch`: the user's credential helpers, proxies and ssh
    // configuration apply to it as they do to their own git.
    if (url.rfind('/', 0) != 0) return fallback_->Fetch(repo);
    return SyncLocal(repo, url);
  }

  /// A local origin: the mirror borrows its objects (objects/info/alternates, as `git clone
  /// --shared` does) and copies its refs, so a push is mirrored in well under a millisecond,
  /// with no pack written. The origin's own gc keeps every object its refs reach, and the
  /// mirror's refs are a copy of those; an object that only an old run's commit reaches
  /// survives the origin's gc.pruneExpire (two weeks by default).
  core::Status SyncLocal(const std::string& repo, const std::string& origin_path) {
    git_repository* raw = nullptr;
    if (git_->repository_open(&raw, origin_path.c_str()) < 0) {
      return core::Status::Unavailable("git fetch failed: cannot open " + origin_path + ": " +
                                       LastError());
    }
    Owned<git_repository> origin(raw, git_->repository_free);
    std::string objects = std::string(git_->repository_path(origin.get())) + "objects";
    GANTRY_RETURN_IF_ERROR(Borrow(repo, objects));
    auto source = RefMap(origin.get());
    if (!source.ok()) return source.status();
    auto opened = Open(repo);  // after Borrow: this handle sees the origin's objects
    if (!opened.ok()) return opened.status();
    git_repository* mirror = opened.value().get();
    auto mine = RefMap(mirror);
    if (!mine.ok()) return mine.status();
    for (const auto& [name, id] : source.value()) {
      auto it = mine.value().find(name);
      if (it != mine.value().end() && std::memcmp(&it->second, &id, sizeof id) == 0) continue;
      git_reference* made = nullptr;
      if (git_->reference_create(&made, mirror, name.c_str(), &id, 1, "fetch") < 0) {
        return core::Status::Unavailable("git fetch failed: " + name + ": " + LastError());
      }
      git_->reference_free(made);
    }
    for (const auto& [name, id] : mine.value()) {
      if (source.value().count(name) == 0 && git_->reference_remove(mirror, name.c_str()) < 0) {
        return core::Status::Unavailable("git fetch failed: cannot prune " + name + ": " +
                                         LastError());
      }
    }
    return core::Status::Ok();
  }

  core::Result<std::string> Resolve(const std::string& repo, const std::string& ref) override {
    auto opened = Open(repo);
    if (!opened.ok()) return opened.status();
    git_repository* r = opened.value().get();
    auto commit = Peel(r, ref + "^{commit}");
    if (!commit) return core::Status::NotFound("no commit '" + ref + "' in the repository");
    return Hex(git_->object_id(commit.get()));
  }

  core::Result<std::map<std::string, std::string>> Refs(const std::string& repo) override {
    auto opened = Open(repo);
    if (!opened.ok()) return opened.status();
    auto all = RefMap(opened.value().get());
    if (!all.ok()) return all.status();
    std::map<std::string, std::string> refs;
    for (const auto& [name, id] : all.value()) {
      if (name.rfind("refs/heads/", 0) == 0 || name.rfind("refs/tags/", 0) == 0) {
        refs[name] = Hex(&id);
      }
    }
    return refs;
  }

  core::Result<std::vector<std::pair<std::string, std::string>>> YamlFiles(
      const std::string& repo, const std::string& commit, const std::string& dir) override {
    auto opened = Open(repo);
    if (!opened.ok()) return opened.status();
    git_repository* r = opened.value().get();
    auto root = Peel(r, commit + "^{tree}");
    if (!root) return Error("cannot read commit '" + commit + "'");
    std::vector<std::pair<std::string, std::string>> files;
    git_tree_entry* raw = nullptr;
    if (git_->tree_entry_bypath(&raw, reinterpret_cast<git_tree*>(root.get()), dir.c_str()) < 0) {
      return files;  // no such directory
    }
    Owned<git_tree_entry> entry(raw, git_->tree_entry_free);
    if (git_->tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return files;
    git_tree* tree_raw = nullptr;
    if (git_->tree_lookup(&tree_raw, r, git_->tree_entry_id(entry.get())) < 0) {
      return Error("cannot read '" + dir + "' at " + commit);
    }
    Owned<git_tree> tree(tree_raw, git_->tree_free);
    for (size_t i = 0, n = git_->tree_entrycount(tree.get()); i < n; ++i) {
      const git_tree_entry* e = git_->tree_entry_byindex(tree.get(), i);
      std::string_view file = git_->tree_entry_name(e);
      if (git_->tree_entry_type(e) != GIT_OBJECT_BLOB || !workflow::IsWorkflowFileName(file))
        continue;
      auto content = Blob(r, git_->tree_entry_id(e));
      if (!content.ok()) return content.status();
      files.emplace_back(dir + "/" + std::string(file), std::move(content).value());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  core::Result<std::string> ReadFile(const std::string& repo, const std::string& commit,
                                     const std::string& path) override {
    auto missing = [&] {
      return core::Status::NotFound("no file '" + path + "' at " + commit.substr(0, 12));
    };
    auto opened = Open(repo);
    if (!opened.ok()) return opened.status();
    git_repository* r = opened.value().get();
    auto root = Peel(r, commit + "^{tree}");
    if (!root) return missing();
    git_tree_entry* raw = nullptr;
    if (git_->tree_entry_bypath(&raw, reinterpret_cast<git_tree*>(root.get()), path.c_str()) < 0) {
      return missing();
    }
    Owned<git_tree_entry> entry(raw, git_->tree_entry_free);
    if (git_->tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return missing();
    return Blob(r, git_->tree_entry_id(entry.get()));
  }

  core::Result<std::vector<std::string>> ChangedFiles(const std::string& repo,
                                                      const std::string& before,
                                                      const std::string& after) override {
    auto opened = Open(repo);
    if (!opened.ok()) return opened.status();
    git_repository* r = opened.value().get();
    auto old_tree = Peel(r, before + "^{tree}");
    auto new_tree = Peel(r, after + "^{tree}");
    if (!old_tree || !new_tree) return Error("cannot compare " + before + " with " + after);
    git_diff* raw = nullptr;
    if (git_->diff_tree_to_tree(&raw, r, reinterpret_cast<git_tree*>(old_tree.get()),
                                reinterpret_cast<git_tree*>(new_tree.get()), nullptr) < 0) {
      return Error("cannot compare " + before + " with " + after);
    }
    Owned<git_diff> diff(raw, git_->diff_free);
    std::vector<std::string> files;
    for (size_t i = 0, n = git_->diff_num_deltas(diff.get()); i < n; ++i) {
      const git_diff_delta* d = git_->diff_get_delta(diff.get(), i);
      files.emplace_back(d->new_file.path != nullptr ? d->new_file.path : d->old_file.path);
    }
    return files;
  }

  core::Result<std::pair<std::string, std::string>> CommitInfo(const std::string& repo,
                                                               const std::string& commit) override {
    auto opened = Open(repo);
    if (!opened.ok()) return opened.status();
    git_repository* r = opened.value().get();
    auto object = Peel(r, commit + "^{commit}");
    if (!object) return Error("cannot read commit '" + commit + "'");
    auto* c = reinterpret_cast<git_commit*>(object.get());
    const char* summary = git_->commit_summary(c);
    const git_signature* author = git_->commit_author(c);
    return std::make_pair(std::string(summary != nullptr ? summary : ""),
                          std::string(author != nullptr && author->name ? author->name : ""));
  }

 private:
  std::string LastError() const {
    const git_error* e = git_->error_last();
    return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
  }
  core::Status Error(const std::string& what) const {
    return core::Status::Internal(what + ": " + LastError());
  }

  core::Result<Owned<git_repository>> Open(const std::string& repo) const {
    git_repository* raw = nullptr;
    if (git_->repository_open_bare(&raw, repo.c_str()) < 0) {
      return core::Status::Unavailable("cannot open the mirror " + repo + ": " + LastError());
    }
    return Owned<git_repository>(raw, git_->repository_free);
  }

  /// Every ref under refs/ → the object it points at (a symbolic ref resolved).
  core::Result<std::map<std::string, git_oid>> RefMap(git_repository* repo) const {
    git_reference_iterator* raw = nullptr;
    if (git_->reference_iterator_glob_new(&raw, repo, "refs/*") < 0) {
      return Error("cannot list refs");
    }
    Owned<git_reference_iterator> it(raw, git_->reference_iterator_free);
    std::map<std::string, git_oid> refs;
    git_reference* ref = nullptr;
    while (git_->reference_next(&ref, it.get()) == 0) {
      Owned<git_reference> owned(ref, git_->reference_free);
      const git_oid* target = git_->reference_target(ref);
      Owned<git_reference> resolved(nullptr, git_->reference_free);
      if (target == nullptr) {  // symbolic
        git_reference* direct = nullptr;
        if (git_->reference_resolve(&direct, ref) < 0) continue;
        resolved.reset(direct);
        target = git_->reference_target(direct);
      }
      if (target != nullptr) refs.emplace(git_->reference_name(ref), *target);
    }
    return refs;
  }

  /// Adds `objects` to the mirror's objects/info/alternates unless it is there.
  static core::Status Borrow(const std::string& repo, const std::string& objects) {
    const std::string file = repo + "/objects/info/alternates";
    std::string have;
    {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      have = text.str();
    }
    std::istringstream lines(have);
    for (std::string line; std::getline(lines, line);) {
      if (line == objects) return core::Status::Ok();
    }
    if (!have.empty() && have.back() != '\n') have += '\n';
    std::error_code ec;
    std::filesystem::create_directories(repo + "/objects/info", ec);
    core::Status st = core::WriteFileAtomically(file, have + objects + "\n");
    if (!st.ok()) return core::Status::Unavailable("git fetch failed: " + st.message());
    return core::Status::Ok();
  }

  /// The object `spec` ("<ref>^{commit}", "<sha>^{tree}") names; null when none.
  Owned<git_object> Peel(git_repository* repo, const std::string& spec) const {
    git_object* raw = nullptr;
    if (git_->revparse_single(&raw, repo, spec.c_str()) < 0) raw = nullptr;
    return Owned<git_object>(raw, git_->object_free);
  }

  core::Result<std::string> Blob(git_repository* repo, const git_oid* id) const {
    git_blob* raw = nullptr;
    if (git_->blob_lookup(&raw, repo, id) < 0) return Error("cannot read blob " + Hex(id));
    Owned<git_blob> blob(raw, git_->blob_free);
    const auto* data = static_cast<const char*>(git_->blob_rawcontent(blob.get()));
    return std::string(data, static_cast<size_t>(git_->blob_rawsize(blob.get())));
  }

  std::string Hex(const git_oid* id) const {
    std::string hex(GIT_OID_HEXSZ, '0');
    git_->oid_fmt(hex.data(), id);
    return hex;
  }

  const LibGit2* git_;
  std::unique_ptr<GitBackend> fallback_;
};

}  // namespace

core::Result<std::unique_ptr<GitBackend>> MakeLibgit2Backend(std::unique_ptr<GitBackend> fallback) {
  auto api = LoadLibGit2();
  if (!api.ok()) return api.status();
  return std::unique_ptr<GitBackend>(
      std::make_unique<Libgit2Backend>(api.value(), std::move(fallback)));
}

}  // namespace gantry::server
