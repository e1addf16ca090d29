#include "server/libgit2.h"

#include "core/dynamic_library.h"

namespace gantry::server {
namespace {

core::Status Bind(const core::DynamicLibrary& lib, LibGit2& api) {
  for (const core::Status& st : {
           lib.Bind("git_libgit2_init", api.init),
           lib.Bind("git_libgit2_opts", api.opts),
           lib.Bind("git_error_last", api.error_last),
           lib.Bind("git_repository_open_bare", api.repository_open_bare),
           lib.Bind("git_repository_free", api.repository_free),
           lib.Bind("git_repository_open", api.repository_open),
           lib.Bind("git_repository_path", api.repository_path),
           lib.Bind("git_reference_create", api.reference_create),
           lib.Bind("git_reference_remove", api.reference_remove),
           lib.Bind("git_revparse_single", api.revparse_single),
           lib.Bind("git_object_peel", api.object_peel),
           lib.Bind("git_object_id", api.object_id),
           lib.Bind("git_object_free", api.object_free),
           lib.Bind("git_oid_fmt", api.oid_fmt),
           lib.Bind("git_oid_fromstrn", api.oid_fromstrn),
           lib.Bind("git_reference_iterator_glob_new", api.reference_iterator_glob_new),
           lib.Bind("git_reference_next", api.reference_next),
           lib.Bind("git_reference_iterator_free", api.reference_iterator_free),
           lib.Bind("git_reference_name", api.reference_name),
           lib.Bind("git_reference_resolve", api.reference_resolve),
           lib.Bind("git_reference_target", api.reference_target),
           lib.Bind("git_reference_free", api.reference_free),
           lib.Bind("git_commit_lookup", api.commit_lookup),
           lib.Bind("git_commit_tree", api.commit_tree),
           lib.Bind("git_commit_summary", api.commit_summary),
           lib.Bind("git_commit_author", api.commit_author),
           lib.Bind("git_commit_free", api.commit_free),
           lib.Bind("git_tree_entry_bypath", api.tree_entry_bypath),
           lib.Bind("git_tree_entry_type", api.tree_entry_type),
           lib.Bind("git_tree_entry_id", api.tree_entry_id),
           lib.Bind("git_tree_entry_free", api.tree_entry_free),
           lib.Bind("git_tree_lookup", api.tree_lookup),
           lib.Bind("git_tree_entrycount", api.tree_entrycount),
           lib.Bind("git_tree_entry_byindex", api.tree_entry_byindex),
           lib.Bind("git_tree_entry_name", api.tree_entry_name),
           lib.Bind("git_tree_free", api.tree_free),
           lib.Bind("git_blob_lookup", api.blob_lookup),
           lib.Bind("git_blob_rawcontent", api.blob_rawcontent),
           lib.Bind("git_blob_rawsize", api.blob_rawsize),
           lib.Bind("git_blob_free", api.blob_free),
           lib.Bind("git_diff_tree_to_tree", api.diff_tree_to_tree),
           lib.Bind("git_diff_num_deltas", api.diff_num_deltas),
           lib.Bind("git_diff_get_delta", api.diff_get_delta),
           lib.Bind("git_diff_free", api.diff_free),
           lib.Bind("git_remote_lookup", api.remote_lookup),
           lib.Bind("git_remote_url", api.remote_url),
           lib.Bind("git_remote_fetch", api.remote_fetch),
           lib.Bind("git_remote_free", api.remote_free),
           lib.Bind("git_fetch_options_init", api.fetch_options_init),
       }) {
    GANTRY_RETURN_IF_ERROR(st);
  }
  return core::Status::Ok();
}

struct Loaded {
  core::Status status;
  LibGit2 api;
};

const Loaded& Load() {
  static const Loaded loaded = [] {
    Loaded l;
    core::Result<core::DynamicLibrary> lib =
        core::DynamicLibrary::Open(GANTRY_LIBGIT2_SONAME, "libgit2-1.5");
    if (!lib.ok()) {
      l.status = lib.status();
      return l;
    }
    l.status = Bind(*lib, l.api);
    if (l.status.ok() && l.api.init() < 0) {
      l.status = core::Status::Unavailable("git_libgit2_init failed");
    }
    return l;
  }();
  return loaded;
}

}  // namespace

core::Result<const LibGit2*> LoadLibGit2() {
  const Loaded& l = Load();
  if (!l.status.ok()) return l.status;
  return &l.api;
}

}  // namespace gantry::server
