#include "executor/heartbeat.h"

#include <algorithm>

namespace gantry::executor {

Heartbeat::Heartbeat(ProtocolClient& client, int64_t job, std::string lease_id, int lease_seconds,
                     int heartbeat_seconds, backend::CancelToken& cancel)
    : client_(client), job_(job), lease_id_(std::move(lease_id)), cancel_(cancel) {
  thread_ = std::thread(
      [this, lease_seconds, heartbeat_seconds] { Loop(lease_seconds, heartbeat_seconds); });
}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool Heartbeat::WaitAcknowledged() {
  std::unique_lock lock(mu_);
  // A job cancelled before it started (the executor stops) is not waited for: the server
  // queues its lease again, as one never acknowledged.
  while (!answered_cv_.wait_for(lock, std::chrono::milliseconds(100),
                                [this] { return acknowledged_ || lost_.load(); })) {
    if (cancel_.cancelled()) return false;
  }
  return acknowledged_;
}

void Heartbeat::Loop(int lease_seconds, int heartbeat_seconds) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_ok = Clock::now();
  std::unique_lock lock(mu_);
  // The first beat goes at once: it acknowledges the lease before the job has done anything
  // (a lease never acknowledged is queued again, so nothing of a job may run before it).
  bool first = true;
  for (;;) {
    auto period = std::chrono::milliseconds(std::max(1, lease_seconds) * 1000);
    auto beat = heartbeat_seconds > 0
                    ? std::min(period / 3, std::chrono::milliseconds(heartbeat_seconds * 1000))
                    : period / 3;
    if (first) beat = std::chrono::milliseconds(0);
    first = false;
    if (cv_.wait_for(lock, beat, [this] { return done_; })) return;
    lock.unlock();
    auto reply = client_.Heartbeat(job_, lease_id_, period / 3);
    lock.lock();
    if (reply.ok()) {
      last_ok = Clock::now();
      acknowledged_ = true;
      answered_cv_.notify_all();
      lease_seconds = reply->lease_seconds;
      heartbeat_seconds = reply->heartbeat_seconds;
      if (reply->cancel && !cancel_requested_.exchange(true)) cancel_.Cancel();
      continue;
    }
    // Without a heartbeat for a whole period the server has let the lease expire.
    if (IsLeaseLost(reply.status()) || Clock::now() - last_ok >= period) {
      lost_ = true;
      answered_cv_.notify_all();
      cancel_.Cancel();
      return;
    }
  }
}

}  // namespace gantry::executor
