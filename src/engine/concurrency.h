#pragma once

// `concurrency:` groups (docs/server.md, "Concurrency"): the decision a scheduler makes when a
// run or a job enters its group, as a pure function of the group's other members. The server
// applies it to runs and jobs across runs (whether a pending run may start is the store's
// atomic Store::AdmitRun); `gantry exec` to the jobs of its one run.

#include <cstdint>
#include <string>
#include <vector>

namespace gantry::engine {

/// Another member (run or job) of the group that has not completed.
struct GroupMember {
  int64_t id = 0;        // ids grow with creation: of two equal orders, the larger id is newer
  bool pending = false;  // waiting for the group
  bool cancel_requested = false;
  int64_t order = 0;  // when it entered the group (a re-run enters again): larger is newer
};

/// Whether `a` entered its group after `b`.
bool Newer(const GroupMember& a, const GroupMember& b);

/// What a run or job entering its group must do.
struct GroupEntry {
  /// Members to cancel: older pending ones, and with cancel-in-progress older running ones.
  std::vector<int64_t> cancel;
  /// A newer member of the group is already there: this one ends cancelled without running.
  bool cancel_self = false;
};

/// GitHub's rule: at most one run of a group runs and at most one waits; a newcomer cancels the
/// one waiting, and with `cancel_in_progress` the one running too. Runs already cancelled are
/// left alone.
GroupEntry EnterGroup(const GroupMember& newcomer, bool cancel_in_progress,
                      const std::vector<GroupMember>& others);

/// The error a run or job cancelled by a newer one of `group` carries (GitHub's words).
std::string GroupCancelMessage(const std::string& group);

}  // namespace gantry::engine
