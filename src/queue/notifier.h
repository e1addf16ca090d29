#pragma once

// Wake-ups between the parts of a server (and, with Redis, between server replicas): a job was
// queued, a log grew, a run changed. A topic carries no data, only a version that grows with
// every Publish; whoever wakes re-reads the database, which is the source of truth. Losing a
// notification therefore loses nothing but latency: waiters also wake on their timeout.

#include <chrono>
#include <cstdint>
#include <string>

#include "queue/topic_versions.h"

namespace gantry::queue {

/// Thread-safe.
class Notifier {
 public:
  virtual ~Notifier() = default;
  /// Bumps `topic`'s version and wakes its waiters. Never blocks on the network.
  virtual void Publish(const std::string& topic) = 0;
  /// The current version of `topic` (0 when never published).
  virtual uint64_t Version(const std::string& topic) = 0;
  /// Blocks until `topic`'s version differs from `seen`, `timeout` passes, or Shutdown();
  /// returns the version then. A notifier that may miss other servers' wake-ups returns
  /// earlier (after its poll interval) so that the caller re-reads the database.
  virtual uint64_t Wait(const std::string& topic, uint64_t seen,
                        std::chrono::milliseconds timeout) = 0;
  /// Wakes every waiter for good (server shutdown).
  virtual void Shutdown() = 0;
  virtual bool shut_down() const = 0;
  /// False while a notifier that shares wake-ups with other servers cannot reach them (Redis
  /// is down: it polls meanwhile); always true for the in-process ones.
  virtual bool connected() const = 0;
};

/// The in-process notifier of a single server (SQLite: no other server shares the database).
class MemoryNotifier : public Notifier {
 public:
  void Publish(const std::string& topic) override { versions_.Bump(topic); }
  uint64_t Version(const std::string& topic) override { return versions_.Version(topic); }
  uint64_t Wait(const std::string& topic, uint64_t seen,
                std::chrono::milliseconds timeout) override {
    return versions_.Wait(topic, seen, timeout);
  }
  void Shutdown() override { versions_.Shutdown(); }
  bool shut_down() const override { return versions_.shut_down(); }
  bool connected() const override { return true; }

 private:
  TopicVersions versions_;
};

/// In-process wake-ups for a server that may have replicas it cannot hear from (PostgreSQL
/// without Redis): every Wait sleeps at most `poll_interval`, so waiters re-read the database
/// at least that often and see what other replicas committed.
class PollingNotifier : public Notifier {
 public:
  explicit PollingNotifier(std::chrono::milliseconds poll_interval = std::chrono::seconds(1))
      : versions_(poll_interval) {
    versions_.SetPolling(true);
  }
  void Publish(const std::string& topic) override { versions_.Bump(topic); }
  uint64_t Version(const std::string& topic) override { return versions_.Version(topic); }
  uint64_t Wait(const std::string& topic, uint64_t seen,
                std::chrono::milliseconds timeout) override {
    return versions_.Wait(topic, seen, timeout);
  }
  void Shutdown() override { versions_.Shutdown(); }
  bool shut_down() const override { return versions_.shut_down(); }
  bool connected() const override { return true; }

 private:
  TopicVersions versions_;
};

}  // namespace gantry::queue
