#pragma once

// Limits how often one key (an account, a client address) may try something — login
// attempts — within a sliding window: AttemptLimiter, and RateLimiter, its implementation in
// this process's memory (bounded). server/redis_rate_limiter.h shares the counts between
// replicas.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace gantry::server {

struct RateLimiterOptions {
  /// Attempts allowed per key within any window of `window_ms`. At least 1.
  int max_attempts = 5;
  /// Length of the sliding window in milliseconds. At least 1.
  std::int64_t window_ms = std::int64_t{15} * 60 * 1000;  // 15 minutes
  /// Keys remembered at most; past it the least recently allowed key is forgotten (keys with
  /// no attempt left in the window go first). At least 1.
  std::size_t max_keys = 100000;
};

/// How often a key may try something. Implementations are thread-safe.
class AttemptLimiter {
 public:
  virtual ~AttemptLimiter() = default;
  /// Records an attempt of `key` and returns true when the key has attempts left in the
  /// window; returns false (recording nothing) when it has none.
  virtual bool Allow(const std::string& key) = 0;
  /// Forgets every attempt of `key` (after a successful login, for instance).
  virtual void Reset(const std::string& key) = 0;
  /// Milliseconds until `key` is allowed again: 0 when Allow(key) would succeed now.
  virtual std::int64_t RetryAfterMs(const std::string& key) const = 0;
};

/// At most `max_attempts` allowed attempts per key in any sliding window of `window_ms`
/// (an exact log of each key's last attempts, not a fixed-window approximation). A denied
/// attempt is not recorded, so hammering a limited key does not extend its wait. Memory is
/// bounded by `max_keys` keys of `max_attempts` timestamps each. Thread-safe.
class RateLimiter : public AttemptLimiter {
 public:
  /// Milliseconds of a monotonic clock; tests inject a fake one.
  using Clock = std::function<std::int64_t()>;

  /// `clock` defaults to std::chrono::steady_clock. Options outside their documented range
  /// are a bug and abort.
  explicit RateLimiter(RateLimiterOptions options, Clock clock = {});

  bool Allow(const std::string& key) override;
  void Reset(const std::string& key) override;
  std::int64_t RetryAfterMs(const std::string& key) const override;

  /// How many keys are remembered (never more than `max_keys`).
  std::size_t KeyCount() const;

 private:
  struct Entry {
    std::vector<std::int64_t> attempts;       // times of the allowed attempts, oldest first
    std::list<std::string>::iterator recent;  // the key's node in recent_
  };

  /// Drops the attempts of `entry` that have left the window ending at `now`.
  void Prune(Entry& entry, std::int64_t now) const;
  /// Forgets the keys whose last attempt left the window ending at `now`.
  void EvictExpired(std::int64_t now);
  void Erase(std::unordered_map<std::string, Entry>::iterator it);

  const RateLimiterOptions options_;
  const Clock clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
  // GUARDED_BY(mu_): keys by their last allowed attempt, most recent first. With a monotonic
  // clock the back is the key whose attempts expire first.
  std::list<std::string> recent_;
};

}  // namespace gantry::server
