#pragma once

// File ownership for sandboxed steps that run as a real unprivileged uid (gantry running as
// root): the writable directories must belong to that uid, including what gantry itself
// creates there between steps (file-command files, workspaces, temp dirs, checkouts).

#include <sys/types.h>

#include <string>

#include "core/status.h"

namespace gantry::backend::sandbox {

/// Gives `dir` and every entry below it owned by `from` to `uid`:`gid`. Never follows a
/// symbolic link (links themselves are changed), stays on dir's file system, and leaves
/// non-directories with more than one hard link alone, so that a step cannot make it hand
/// over a file from elsewhere. Entries that vanish or cannot be opened meanwhile are skipped.
/// Internal when `dir` itself cannot be opened or changed.
core::Status HandOver(const std::string& dir, uid_t from, uid_t uid, gid_t gid);

/// Ok when `uid`/`gid` (without supplementary groups) may search every directory above the
/// absolute `path`; InvalidArgument naming the first that it may not, and its mode.
core::Status CheckReachable(const std::string& path, uid_t uid, gid_t gid);

}  // namespace gantry::backend::sandbox
