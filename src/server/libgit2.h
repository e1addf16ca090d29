#pragma once

// libgit2, opened with dlopen on first use (core/dynamic_library.h), like libpq: the gantry
// binary does not link it, so commands other than `gantry server` never load it and a machine
// without it still runs the server (on the `git` program, server/git_backend.h).

#include <git2.h>

#include "core/status.h"

namespace gantry::server {

/// The libgit2 functions the server calls.
struct LibGit2 {
  decltype(&git_libgit2_init) init = nullptr;
  decltype(&git_libgit2_opts) opts = nullptr;
  decltype(&git_error_last) error_last = nullptr;
  decltype(&git_repository_open_bare) repository_open_bare = nullptr;
  decltype(&git_repository_free) repository_free = nullptr;
  decltype(&git_repository_open) repository_open = nullptr;
  decltype(&git_repository_path) repository_path = nullptr;
  decltype(&git_reference_create) reference_create = nullptr;
  decltype(&git_reference_remove) reference_remove = nullptr;
  decltype(&git_revparse_single) revparse_single = nullptr;
  decltype(&git_object_peel) object_peel = nullptr;
  decltype(&git_object_id) object_id = nullptr;
  decltype(&git_object_free) object_free = nullptr;
  decltype(&git_oid_fmt) oid_fmt = nullptr;
  decltype(&git_oid_fromstrn) oid_fromstrn = nullptr;
  decltype(&git_reference_iterator_glob_new) reference_iterator_glob_new = nullptr;
  decltype(&git_reference_next) reference_next = nullptr;
  decltype(&git_reference_iterator_free) reference_iterator_free = nullptr;
  decltype(&git_reference_name) reference_name = nullptr;
  decltype(&git_reference_resolve) reference_resolve = nullptr;
  decltype(&git_reference_target) reference_target = nullptr;
  decltype(&git_reference_free) reference_free = nullptr;
  decltype(&git_commit_lookup) commit_lookup = nullptr;
  decltype(&git_commit_tree) commit_tree = nullptr;
  decltype(&git_commit_summary) commit_summary = nullptr;
  decltype(&git_commit_author) commit_author = nullptr;
  decltype(&git_commit_free) commit_free = nullptr;
  decltype(&git_tree_entry_bypath) tree_entry_bypath = nullptr;
  decltype(&git_tree_entry_type) tree_entry_type = nullptr;
  decltype(&git_tree_entry_id) tree_entry_id = nullptr;
  decltype(&git_tree_entry_free) tree_entry_free = nullptr;
  decltype(&git_tree_lookup) tree_lookup = nullptr;
  decltype(&git_tree_entrycount) tree_entrycount = nullptr;
  decltype(&git_tree_entry_byindex) tree_entry_byindex = nullptr;
  decltype(&git_tree_entry_name) tree_entry_name = nullptr;
  decltype(&git_tree_free) tree_free = nullptr;
  decltype(&git_blob_lookup) blob_lookup = nullptr;
  decltype(&git_blob_rawcontent) blob_rawcontent = nullptr;
  decltype(&git_blob_rawsize) blob_rawsize = nullptr;
  decltype(&git_blob_free) blob_free = nullptr;
  decltype(&git_diff_tree_to_tree) diff_tree_to_tree = nullptr;
  decltype(&git_diff_num_deltas) diff_num_deltas = nullptr;
  decltype(&git_diff_get_delta) diff_get_delta = nullptr;
  decltype(&git_diff_free) diff_free = nullptr;
  decltype(&git_remote_lookup) remote_lookup = nullptr;
  decltype(&git_remote_url) remote_url = nullptr;
  decltype(&git_remote_fetch) remote_fetch = nullptr;
  decltype(&git_remote_free) remote_free = nullptr;
  decltype(&git_fetch_options_init) fetch_options_init = nullptr;
};

/// libgit2, loaded and initialized once per process (thread-safe). Unavailable, saying what to
/// install, when it cannot be loaded.
core::Result<const LibGit2*> LoadLibGit2();

}  // namespace gantry::server
