#pragma once

// `concurrency:` groups across runs (docs/server.md, "Concurrency"): the decisions the
// scheduler makes when a run enters its group, as a pure function of the group's other runs.
// Whether a pending run may start is decided by the store (Store::AdmitRun), atomically.

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace gantry::server {

/// Another run of the group (not completed), as the store lists it.
struct GroupRun {
  store::Id id = 0;      // ids grow with creation: of two equal orders, the larger id is newer
  bool pending = false;  // waiting for the group
  bool cancel_requested = false;
  int64_t order = 0;  // when it entered the group (a re-run enters again): larger is newer
};

/// Whether `a` entered its group after `b`.
bool Newer(const GroupRun& a, const GroupRun& b);

/// What a run entering its group must do.
struct GroupEntry {
  /// Runs to cancel: older pending ones, and with cancel-in-progress older running ones.
  std::vector<store::Id> cancel;
  /// A newer run of the group is already there: this one ends cancelled without running.
  bool cancel_self = false;
};

/// GitHub's rule: at most one run of a group runs and at most one waits; a newcomer cancels the
/// one waiting, and with `cancel_in_progress` the one running too. Runs already cancelled are
/// left alone.
GroupEntry EnterGroup(const GroupRun& newcomer, bool cancel_in_progress,
                      const std::vector<GroupRun>& others);

/// The error a run or job cancelled by a newer one of `group` carries (GitHub's words).
std::string GroupCancelMessage(const std::string& group);

}  // namespace gantry::server
