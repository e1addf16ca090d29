#pragma once

// Test helpers of the executor: a scripted Transport that records what it was sent.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "executor/client.h"
#include "executor/transport.h"

namespace gantry::executor::testing {

/// A Transport whose answers come from `handler` (default: 200 "{}"); thread-safe.
class FakeTransport : public Transport {
 public:
  using Handler = std::function<core::Result<HttpReply>(const HttpRequest&)>;
  /// A handler that also sees the request's cancel token (may be nullptr), e.g. to hold a
  /// lease long-poll until it fires, as the real transports do.
  using CancellableHandler =
      std::function<core::Result<HttpReply>(const HttpRequest&, const backend::CancelToken*)>;

  explicit FakeTransport(Handler handler = nullptr) : handler_(std::move(handler)) {}
  /// A transport answering with `handler`.
  static std::unique_ptr<FakeTransport> WithCancel(CancellableHandler handler) {
    auto t = std::make_unique<FakeTransport>();
    t->cancellable_ = std::move(handler);
    return t;
  }

  core::Result<HttpReply> Send(const HttpRequest& request,
                               const backend::CancelToken* cancel) override {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
    cv_.notify_all();
    if (cancel != nullptr && cancel->cancelled()) return core::Status::Cancelled("cancelled");
    if (cancellable_) return cancellable_(request, cancel);
    if (!handler_) return Reply(200, "{}");
    return handler_(request);
  }

  /// Every request so far, in the order they came.
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  /// The requests whose path contains `part`.
  std::vector<HttpRequest> RequestsTo(std::string_view part) const {
    std::vector<HttpRequest> out;
    for (const HttpRequest& r : requests()) {
      if (r.path.find(part) != std::string::npos) out.push_back(r);
    }
    return out;
  }
  /// Waits (at most `timeout`) until `done` holds for the requests so far.
  bool WaitFor(const std::function<bool(const std::vector<HttpRequest>&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done(requests_); });
  }

  static core::Result<HttpReply> Reply(
      long status, std::string body = "",
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpReply r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
  }

 private:
  Handler handler_;
  CancellableHandler cancellable_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpRequest> requests_;
};

/// A retry policy that does not sleep but records the waits it would make.
inline RetryPolicy RecordingPolicy(std::vector<std::chrono::milliseconds>* waits,
                                   int max_attempts = 4) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.initial_backoff = std::chrono::milliseconds(100);
  p.max_backoff = std::chrono::milliseconds(1000);
  auto mu = std::make_shared<std::mutex>();
  p.sleep = [waits, mu](std::chrono::milliseconds d, const backend::CancelToken* cancel) {
    std::lock_guard lock(*mu);
    if (waits != nullptr) waits->push_back(d);
    return cancel == nullptr || !cancel->cancelled();
  };
  return p;
}

inline nlohmann::json Body(const HttpRequest& r) { return nlohmann::json::parse(r.body); }

}  // namespace gantry::executor::testing
