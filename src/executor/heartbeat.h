#pragma once

// Keeps a job's lease alive while the job runs, and turns the server's answers into
// cancellation: `cancel: true` (the run was cancelled) or a lost lease.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "backend/backend.h"
#include "executor/client.h"

namespace gantry::executor {

/// Sends a heartbeat every lease_seconds/3 on a thread of its own from construction until
/// destruction. On `cancel: true` it fires `cancel`; on lease_lost, or when no heartbeat got
/// through for a whole lease period, it sets lease_lost() and fires `cancel`. `client` and
/// `cancel` must outlive it.
class Heartbeat {
 public:
  /// `heartbeat_seconds` > 0 sets the beat interval (the server's choice, so that a
  /// cancellation reaches the job within it); 0 beats every lease_seconds / 3.
  Heartbeat(ProtocolClient& client, int64_t job, std::string lease_id, int lease_seconds,
            int heartbeat_seconds, backend::CancelToken& cancel);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  /// Blocks until the server answered a heartbeat (true: the lease is acknowledged), the lease
  /// was lost or `cancel` fired first (false). Nothing of the job may run before: the server
  /// queues a lease it never saw acknowledged again, and the job would run twice.
  bool WaitAcknowledged();
  /// The lease no longer holds the job: stop it, send nothing more.
  bool lease_lost() const { return lost_.load(); }
  /// The server asked to cancel the job.
  bool cancel_requested() const { return cancel_requested_.load(); }

 private:
  void Loop(int lease_seconds, int heartbeat_seconds);

  ProtocolClient& client_;
  const int64_t job_;
  const std::string lease_id_;
  backend::CancelToken& cancel_;
  std::atomic<bool> lost_{false};
  std::atomic<bool> cancel_requested_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable answered_cv_;  // a first answer, or the lease lost
  bool done_ = false;                    // GUARDED_BY(mu_)
  bool acknowledged_ = false;            // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace gantry::executor
