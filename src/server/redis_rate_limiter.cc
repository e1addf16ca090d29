#include "server/redis_rate_limiter.h"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <random>
#include <utility>

namespace gantry::server {
namespace {

using queue::RedisReply;

constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};

// KEYS[1] the key's sorted set; ARGV: now, the window's start (attempts at or before it have
// left), the window in ms, max attempts, a unique member. Like RateLimiter::Allow: a denied
// attempt is not recorded. Times are passed as decimal strings: Lua's numbers would print
// large ones in exponent notation.
constexpr const char* kAllowScript = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)lua";

// KEYS[1]; ARGV: the window's start, max attempts. The time of the attempt whose leaving the
// window frees the key ("" when the key is not limited), like RateLimiter::RetryAfterMs.
constexpr const char* kRetryScript = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[2])
if n < max then return '' end
return redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')[2]
)lua";

std::int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomPrefix() {
  std::random_device device;
  return std::to_string(device()) + std::to_string(device());
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(queue::RedisUrl url, std::string name,
                                   RateLimiterOptions options,
                                   queue::RedisConnection::Options connection, WallClock clock)
    : url_(std::move(url)),
      prefix_("gantry:rl:" + std::move(name) + ":"),
      options_(options),
      connection_options_(connection),
      clock_(clock ? std::move(clock) : WallClock(WallNowMs)),
      member_prefix_(RandomPrefix()),
      fallback_(options) {}

RedisRateLimiter::~RedisRateLimiter() = default;

std::string RedisRateLimiter::KeyOf(const std::string& key) const { return prefix_ + key; }

core::Result<RedisReply> RedisRateLimiter::Run(const std::vector<std::string>& args) const {
  std::unique_lock<std::timed_mutex> lock(mu_, std::defer_lock);
  if (!lock.try_lock_for(connection_options_.command_timeout)) {
    return core::Status::DeadlineExceeded("the Redis connection is busy");
  }
  auto failed = [&](const core::Status& why) {
    conn_.reset();
    backoff_ = std::clamp(backoff_ * 2, kMinBackoff, kMaxBackoff);
    retry_at_ = std::chrono::steady_clock::now() + backoff_;
    if (connected_.exchange(false)) {
      std::cerr << "gantry: " << why.message()
                << "; login rate limits are counted by each server alone until Redis answers"
                << std::endl;
    }
    return why;
  };
  if (!conn_) {
    if (std::chrono::steady_clock::now() < retry_at_) {
      return core::Status::Unavailable("waiting to reconnect to redis");
    }
    auto connected = queue::RedisConnection::Connect(url_, connection_options_);
    if (!connected.ok()) return failed(connected.status());
    conn_ = std::move(connected).value();
  }
  auto reply = conn_->Command(args);
  if (!reply.ok()) return failed(reply.status());
  if (reply->kind == RedisReply::Kind::kError) {
    return failed(core::Status::Unavailable(args[0] + ": " + reply->str));
  }
  backoff_ = std::chrono::milliseconds(0);
  if (!connected_.exchange(true)) {
    std::cerr << "gantry: redis " << url_.Redacted()
              << ": connected; login rate limits are shared by the servers again" << std::endl;
  }
  return reply;
}

bool RedisRateLimiter::Allow(const std::string& key) {
  const std::int64_t now = clock_();
  std::string member = member_prefix_ + ":" + std::to_string(sequence_.fetch_add(1));
  auto reply = Run({"EVAL", kAllowScript, "1", KeyOf(key), std::to_string(now),
                    std::to_string(now - options_.window_ms), std::to_string(options_.window_ms),
                    std::to_string(options_.max_attempts), member});
  if (!reply.ok()) return fallback_.Allow(key);
  return reply->kind == RedisReply::Kind::kInteger && reply->integer == 1;
}

void RedisRateLimiter::Reset(const std::string& key) {
  fallback_.Reset(key);
  (void)Run({"DEL", KeyOf(key)});
}

std::int64_t RedisRateLimiter::RetryAfterMs(const std::string& key) const {
  const std::int64_t now = clock_();
  auto reply = Run({"EVAL", kRetryScript, "1", KeyOf(key), std::to_string(now - options_.window_ms),
                    std::to_string(options_.max_attempts)});
  if (!reply.ok()) return fallback_.RetryAfterMs(key);
  const std::string& text = reply->str;
  // Scores come back as Redis prints doubles; whole milliseconds print without a fraction.
  double oldest = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), oldest);
  if (text.empty() || ec != std::errc()) return 0;
  const auto free_at = static_cast<std::int64_t>(oldest) + options_.window_ms;
  return std::max<std::int64_t>(free_at - now, 0);
}

}  // namespace gantry::server
