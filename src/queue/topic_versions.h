#pragma once

// The local half of every Notifier: a version per topic, waiters on a condition variable, and
// the "polling" mode in which a Wait never sleeps longer than the poll interval, so that its
// caller re-reads the database when wake-ups from other servers may be missed.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gantry::queue {

/// Thread-safe.
class TopicVersions {
 public:
  /// `poll_interval`: how long a Wait sleeps at most while polling (SetPolling(true)).
  explicit TopicVersions(std::chrono::milliseconds poll_interval = std::chrono::seconds(1))
      : poll_interval_(poll_interval) {}

  /// Bumps `topic`'s version and wakes its waiters.
  void Bump(const std::string& topic);
  /// Bumps every topic, also those never bumped here (after wake-ups may have been lost),
  /// and wakes every waiter.
  void BumpAll();
  /// The current version of `topic` (0 when never bumped).
  uint64_t Version(const std::string& topic) const;
  /// Blocks until `topic`'s version differs from `seen`, `timeout` passes, Shutdown(), or,
  /// while polling, the poll interval passes; returns the version then.
  uint64_t Wait(const std::string& topic, uint64_t seen, std::chrono::milliseconds timeout);
  /// Turns the poll-interval cap of Wait on or off; waiters already asleep re-check theirs.
  void SetPolling(bool polling);
  bool polling() const;
  /// Wakes every waiter for good.
  void Shutdown();
  bool shut_down() const;

 private:
  uint64_t VersionLocked(const std::string& topic) const;

  const std::chrono::milliseconds poll_interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, uint64_t> versions_;  // GUARDED_BY(mu_)
  // GUARDED_BY(mu_): added to every topic's version, so that BumpAll changes the version of
  // topics never bumped here too (a waiter may wait on one that another replica bumps).
  uint64_t epoch_ = 0;
  bool polling_ = false;   // GUARDED_BY(mu_)
  bool shutdown_ = false;  // GUARDED_BY(mu_)
};

}  // namespace gantry::queue
