#pragma once

// Login rate limits shared by every server replica through Redis: the same sliding window as
// RateLimiter, kept as one sorted set of attempt times per key (`gantry:rl:<name>:<key>`),
// updated atomically by a Lua script. When Redis fails the limiter counts in this process's
// memory instead, so a lost Redis weakens the limit to per-replica but never blocks a login.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "queue/redis_client.h"
#include "server/rate_limiter.h"

namespace gantry::server {

/// An AttemptLimiter over Redis with an in-memory RateLimiter as its fallback. Each call makes
/// at most one round trip (within the command timeout) and waits at most that long for the
/// connection another call is using; after a failure Redis is left alone for a backoff
/// (100 ms doubling to 5 s) during which the fallback answers at once. Thread-safe.
class RedisRateLimiter : public AttemptLimiter {
 public:
  /// Milliseconds of the wall clock (replicas on several machines share it); tests inject one.
  using WallClock = std::function<std::int64_t()>;

  /// `name` tells this limiter's keys from others' (e.g. "login-user"). Connects lazily.
  RedisRateLimiter(queue::RedisUrl url, std::string name, RateLimiterOptions options,
                   queue::RedisConnection::Options connection = {}, WallClock clock = {});
  ~RedisRateLimiter() override;

  bool Allow(const std::string& key) override;
  void Reset(const std::string& key) override;
  std::int64_t RetryAfterMs(const std::string& key) const override;

  /// False while the fallback answers (Redis failed last time it was tried).
  bool connected() const { return connected_.load(); }

 private:
  /// Runs `args` on the connection (connecting first when needed); fails while the backoff
  /// after a failure lasts, when another call holds the connection past the command timeout,
  /// or when Redis fails or answers with an error.
  core::Result<queue::RedisReply> Run(const std::vector<std::string>& args) const;
  std::string KeyOf(const std::string& key) const;

  const queue::RedisUrl url_;
  const std::string prefix_;
  const RateLimiterOptions options_;
  const queue::RedisConnection::Options connection_options_;
  const WallClock clock_;
  const std::string member_prefix_;  // unique per process: attempt members never collide
  RateLimiter fallback_;
  std::atomic<uint64_t> sequence_{0};
  mutable std::atomic<bool> connected_{true};

  mutable std::timed_mutex mu_;
  mutable std::unique_ptr<queue::RedisConnection> conn_;    // GUARDED_BY(mu_)
  mutable std::chrono::steady_clock::time_point retry_at_;  // GUARDED_BY(mu_)
  mutable std::chrono::milliseconds backoff_{0};            // GUARDED_BY(mu_)
};

}  // namespace gantry::server
