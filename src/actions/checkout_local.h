#pragma once

// The default actions/checkout of local runs: a clone of the local repository's commit under
// test, made as actions/checkout v4 makes it, with the working tree's uncommitted changes on
// top (docs/actions.md).

#include <string>

#include "actions/checkout_git.h"
#include "core/status.h"
#include "engine/actions.h"

namespace gantry::actions {

/// The local repository whose commit under test the default checkout clones.
struct LocalRepo {
  std::string top;   // its working tree (canonical)
  std::string head;  // HEAD's sha
};

/// The repository at `dir` when `dir` is the root of a git working tree with a commit;
/// NotFound saying why not otherwise (its files are then copied instead).
core::Result<LocalRepo> FindLocalRepo(CheckoutGit& git, const std::string& dir);

/// Where and how deep to clone.
struct LocalClone {
  std::string dest;  // absolute; created if needed
  int depth = 1;     // 0 = all history, branches and tags
  bool submodules = false;
  bool recursive = false;
};

/// Clones the commit under test (GITHUB_SHA when `repo` has it, else HEAD) into `c.dest`:
/// origin remote, the ref GITHUB_REF names (a branch checked out with -B, a pull request or a
/// tag detached), fetched from `repo` (the clone is self-contained), submodules when asked, and
/// the working tree's uncommitted changes applied when HEAD was cloned. Skips call.exclude.
/// Returns the checked-out sha, or git's failure.
core::Result<std::string> CloneLocal(CheckoutGit& git, const engine::BuiltinCall& call,
                                     const LocalClone& c, const LocalRepo& repo);

}  // namespace gantry::actions
