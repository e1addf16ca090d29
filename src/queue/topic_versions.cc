#include "queue/topic_versions.h"

#include <algorithm>

namespace gantry::queue {

void TopicVersions::Bump(const std::string& topic) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Bounded: topics of finished jobs and runs are dropped wholesale now and then; a waiter
    // on a dropped topic sees a changed version and re-reads the database, which is harmless.
    if (versions_.size() > 100000) versions_.clear();
    ++versions_[topic];
  }
  cv_.notify_all();
}

void TopicVersions::BumpAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++epoch_;
  }
  cv_.notify_all();
}

uint64_t TopicVersions::Version(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(mu_);
  return VersionLocked(topic);
}

uint64_t TopicVersions::VersionLocked(const std::string& topic) const {
  auto it = versions_.find(topic);
  return epoch_ + (it == versions_.end() ? 0 : it->second);
}

uint64_t TopicVersions::Wait(const std::string& topic, uint64_t seen,
                             std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (shutdown_ || VersionLocked(topic) != seen) break;
    // Re-evaluated on every wake-up: a waiter that fell asleep with Redis connected learns
    // that it went away (SetPolling notifies) and returns within the poll interval.
    auto until = polling_ ? std::min(deadline, start + poll_interval_) : deadline;
    if (std::chrono::steady_clock::now() >= until) break;
    cv_.wait_until(lock, until);
  }
  return VersionLocked(topic);
}

void TopicVersions::SetPolling(bool polling) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    polling_ = polling;
  }
  cv_.notify_all();
}

bool TopicVersions::polling() const {
  std::lock_guard<std::mutex> lock(mu_);
  return polling_;
}

void TopicVersions::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

bool TopicVersions::shut_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutdown_;
}

}  // namespace gantry::queue
