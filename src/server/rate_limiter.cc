#include "server/rate_limiter.h"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <utility>

namespace gantry::server {
namespace {

std::int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const RateLimiterOptions& Checked(const RateLimiterOptions& options) {
  if (options.max_attempts < 1 || options.window_ms < 1 || options.max_keys < 1) {
    std::cerr << "gantry: fatal: RateLimiter needs max_attempts, window_ms and max_keys >= 1\n";
    std::abort();
  }
  return options;
}

}  // namespace

RateLimiter::RateLimiter(RateLimiterOptions options, Clock clock)
    : options_(Checked(options)), clock_(clock ? std::move(clock) : Clock(SteadyNowMs)) {}

bool RateLimiter::Allow(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::int64_t now = clock_();
  EvictExpired(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    // Forgetting the least recent key lets an attacker with many keys (addresses) reset
    // someone's count; refusing new keys instead would let them lock everyone out.
    if (entries_.size() >= options_.max_keys) {
      auto oldest = entries_.find(recent_.back());
      Erase(oldest);
    }
    recent_.push_front(key);
    it = entries_.emplace(key, Entry{{}, recent_.begin()}).first;
    it->second.attempts.reserve(static_cast<std::size_t>(options_.max_attempts));
  }
  Entry& entry = it->second;
  Prune(entry, now);
  if (entry.attempts.size() >= static_cast<std::size_t>(options_.max_attempts)) return false;
  entry.attempts.push_back(now);
  recent_.splice(recent_.begin(), recent_, entry.recent);
  return true;
}

void RateLimiter::Reset(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) Erase(it);
}

std::int64_t RateLimiter::RetryAfterMs(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  const std::int64_t now = clock_();
  const std::vector<std::int64_t>& attempts = it->second.attempts;
  // Only the last max_attempts attempts are kept: the key is limited when all of them are
  // still in the window, until the oldest leaves it.
  if (attempts.size() < static_cast<std::size_t>(options_.max_attempts)) return 0;
  const std::int64_t free_at = attempts.front() + options_.window_ms;
  return free_at > now ? free_at - now : 0;
}

std::size_t RateLimiter::KeyCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void RateLimiter::Prune(Entry& entry, std::int64_t now) const {
  std::vector<std::int64_t>& attempts = entry.attempts;
  std::size_t expired = 0;
  while (expired < attempts.size() && attempts[expired] <= now - options_.window_ms) ++expired;
  attempts.erase(attempts.begin(), attempts.begin() + static_cast<std::ptrdiff_t>(expired));
}

void RateLimiter::EvictExpired(std::int64_t now) {
  // Amortised O(1): each key is pushed once and popped once per stay.
  while (!recent_.empty()) {
    auto it = entries_.find(recent_.back());
    const std::vector<std::int64_t>& attempts = it->second.attempts;
    if (!attempts.empty() && attempts.back() > now - options_.window_ms) break;
    Erase(it);
  }
}

void RateLimiter::Erase(std::unordered_map<std::string, Entry>::iterator it) {
  recent_.erase(it->second.recent);
  entries_.erase(it);
}

}  // namespace gantry::server
