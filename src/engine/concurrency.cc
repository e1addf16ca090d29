#include "engine/concurrency.h"

namespace gantry::engine {

bool Newer(const GroupMember& a, const GroupMember& b) {
  return a.order != b.order ? a.order > b.order : a.id > b.id;
}

GroupEntry EnterGroup(const GroupMember& newcomer, bool cancel_in_progress,
                      const std::vector<GroupMember>& others) {
  GroupEntry out;
  for (const GroupMember& o : others) {
    // Entries race across replicas: a newer run that got there first wins, whether it waits or
    // already runs, and it cancels the older ones itself.
    if (Newer(o, newcomer) && !o.cancel_requested) out.cancel_self = true;
  }
  if (out.cancel_self) return out;
  for (const GroupMember& o : others) {
    if (Newer(o, newcomer) || o.cancel_requested) continue;
    if (o.pending || cancel_in_progress) out.cancel.push_back(o.id);
  }
  return out;
}

std::string GroupCancelMessage(const std::string& group) {
  return "Canceling since a higher priority waiting request for '" + group + "' exists";
}

}  // namespace gantry::engine
