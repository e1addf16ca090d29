#include "server/http_stream.h"

namespace gantry::server {

bool StreamChannel::Write(std::string_view data) {
  std::unique_lock lock(mu_);
  // A single Write larger than the limit still goes through once the queue is empty.
  space_.wait(lock, [&] { return closed_ || queued_bytes_ < limit_; });
  if (closed_) return false;
  if (data.empty()) return true;
  queue_.emplace_back(data);
  queued_bytes_ += data.size();
  WakeLocked();
  return true;
}

bool StreamChannel::Closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void StreamChannel::Finish() {
  std::lock_guard lock(mu_);
  finished_ = true;
  WakeLocked();
}

void StreamChannel::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  space_.notify_all();
}

StreamChannel::State StreamChannel::Take(std::vector<std::string>* out) {
  std::lock_guard lock(mu_);
  for (std::string& data : queue_) out->push_back(std::move(data));
  queue_.clear();
  queued_bytes_ = 0;
  space_.notify_all();
  if (out->empty() && !closed_ && !finished_) waiting_ = true;
  if (closed_) return State::kClosed;
  return finished_ ? State::kFinished : State::kOpen;
}

// Never after Close: the server closes every stream before its I/O context goes away, so a
// late producer cannot post to a destroyed context.
void StreamChannel::WakeLocked() {
  if (!waiting_ || closed_) return;
  waiting_ = false;
  wake_();
}

}  // namespace gantry::server
