#pragma once

// The bounded queue between a streamed response's producer (Response::stream, on a thread of
// its own) and the I/O thread that writes the data to the client.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/http.h"

namespace gantry::server {

/// A BodyWriter whose Write blocks while more than `limit` bytes wait for the I/O thread.
/// Thread-safe. The I/O side drains it with Take and is woken through `wake`.
class StreamChannel final : public BodyWriter {
 public:
  enum class State { kOpen, kFinished, kClosed };

  /// `wake` is called (with the channel's lock held: it must only post work elsewhere) after a
  /// Take found nothing, at the next Write or Finish; never after Close.
  StreamChannel(size_t limit, std::function<void()> wake) : limit_(limit), wake_(std::move(wake)) {}

  bool Write(std::string_view data) override;
  bool Closed() const override;
  /// The producer returned: once drained, Take reports kFinished.
  void Finish();
  /// Fails every later Write and wakes a blocked one (client gone, server shutting down).
  void Close();
  /// Moves the queued data into `out` (appending) and reports the state. With nothing queued
  /// and the stream open, arms `wake` for the next Write or Finish.
  State Take(std::vector<std::string>* out);

 private:
  void WakeLocked();

  const size_t limit_;
  const std::function<void()> wake_;
  mutable std::mutex mu_;
  std::condition_variable space_;
  std::deque<std::string> queue_;  // GUARDED_BY(mu_)
  size_t queued_bytes_ = 0;        // GUARDED_BY(mu_)
  bool closed_ = false;            // GUARDED_BY(mu_)
  bool finished_ = false;          // GUARDED_BY(mu_)
  bool waiting_ = false;           // GUARDED_BY(mu_): the I/O side waits for a wake
};

}  // namespace gantry::server
