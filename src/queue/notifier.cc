#include "queue/notifier.h"

namespace gantry::queue {

void MemoryNotifier::Publish(const std::string& topic) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Bounded: topics of finished jobs and runs are dropped wholesale now and then; a waiter
    // on a dropped topic sees a changed version and re-reads the database, which is harmless.
    if (versions_.size() > 100000) versions_.clear();
    ++versions_[topic];
  }
  cv_.notify_all();
}

uint64_t MemoryNotifier::Version(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = versions_.find(topic);
  return it == versions_.end() ? 0 : it->second;
}

uint64_t MemoryNotifier::Wait(const std::string& topic, uint64_t seen,
                              std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto version = [&] {
    auto it = versions_.find(topic);
    return it == versions_.end() ? uint64_t{0} : it->second;
  };
  cv_.wait_for(lock, timeout, [&] { return shutdown_ || version() != seen; });
  return version();
}

void MemoryNotifier::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

bool MemoryNotifier::shut_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutdown_;
}

}  // namespace gantry::queue
