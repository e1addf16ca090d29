#pragma once

// Wake-ups between the parts of a server (and, with Redis, between server replicas): a job was
// queued, a log grew, a run changed. A topic carries no data, only a version that grows with
// every Publish; whoever wakes re-reads the database, which is the source of truth. Losing a
// notification therefore loses nothing but latency: waiters also wake on their timeout.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gantry::queue {

/// Thread-safe.
class Notifier {
 public:
  virtual ~Notifier() = default;
  /// Bumps `topic`'s version and wakes its waiters.
  virtual void Publish(const std::string& topic) = 0;
  /// The current version of `topic` (0 when never published).
  virtual uint64_t Version(const std::string& topic) = 0;
  /// Blocks until `topic`'s version differs from `seen`, `timeout` passes, or Shutdown();
  /// returns the version then.
  virtual uint64_t Wait(const std::string& topic, uint64_t seen,
                        std::chrono::milliseconds timeout) = 0;
  /// Wakes every waiter for good (server shutdown).
  virtual void Shutdown() = 0;
  virtual bool shut_down() const = 0;
};

/// The in-process notifier of a single server.
class MemoryNotifier : public Notifier {
 public:
  void Publish(const std::string& topic) override;
  uint64_t Version(const std::string& topic) override;
  uint64_t Wait(const std::string& topic, uint64_t seen,
                std::chrono::milliseconds timeout) override;
  void Shutdown() override;
  bool shut_down() const override;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, uint64_t> versions_;  // guarded by mu_
  bool shutdown_ = false;                               // guarded by mu_
};

}  // namespace gantry::queue
