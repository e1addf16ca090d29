#include "server/redis_rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>

#include "queue/redis_test_util.h"

namespace gantry::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

RateLimiterOptions ThreePerMinute() {
  RateLimiterOptions options;
  options.max_attempts = 3;
  options.window_ms = 60000;
  return options;
}

TEST(RedisRateLimiterTest, ReplicasShareOneLimit) {
  if (!queue::testing::RedisServerInstalled()) GTEST_SKIP() << "redis-server is not installed";
  queue::testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  std::atomic<std::int64_t> now{1'764'998'400'000};  // a wall clock in ms, shared
  auto clock = [&] { return now.load(); };
  RedisRateLimiter a(redis.url(), "login-user", ThreePerMinute(), {}, clock);
  RedisRateLimiter b(redis.url(), "login-user", ThreePerMinute(), {}, clock);
  RedisRateLimiter other(redis.url(), "login-address", ThreePerMinute(), {}, clock);

  EXPECT_TRUE(a.Allow("user:alice"));
  now += 1000;
  EXPECT_TRUE(b.Allow("user:alice"));
  EXPECT_TRUE(a.Allow("user:alice"));
  EXPECT_EQ(b.RetryAfterMs("user:bob"), 0);
  EXPECT_FALSE(b.Allow("user:alice"));  // the fourth, on another replica
  EXPECT_FALSE(a.Allow("user:alice"));
  EXPECT_TRUE(a.connected());
  EXPECT_TRUE(b.connected());
  // The first attempt leaves the window 60 s after it was made, 59 s from now.
  EXPECT_EQ(b.RetryAfterMs("user:alice"), 59000);
  EXPECT_TRUE(other.Allow("user:alice"));  // another limiter's keys are its own
  EXPECT_TRUE(b.Allow("user:bob"));

  now += 59000;  // the first attempt has left the window; denied ones were not recorded
  EXPECT_EQ(a.RetryAfterMs("user:alice"), 0);
  EXPECT_TRUE(b.Allow("user:alice"));
  EXPECT_FALSE(a.Allow("user:alice"));

  a.Reset("user:alice");
  EXPECT_TRUE(b.Allow("user:alice"));

  auto conn = queue::RedisConnection::Connect(redis.url(), {});
  ASSERT_TRUE(conn.ok());
  auto ttl = conn.value()->Command({"PTTL", "gantry:rl:login-user:user:alice"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 0);  // keys expire on their own
  EXPECT_LE(ttl->integer, 60000);
}

TEST(RedisRateLimiterTest, FallsBackToMemoryWithoutRedis) {
  queue::RedisUrl url;
  url.host = "127.0.0.1";
  url.port = queue::testing::FreePort();
  RedisRateLimiter limiter(url, "login-user", ThreePerMinute());
  auto start = steady_clock::now();
  EXPECT_TRUE(limiter.Allow("user:alice"));
  EXPECT_FALSE(limiter.connected());
  EXPECT_TRUE(limiter.Allow("user:alice"));
  EXPECT_TRUE(limiter.Allow("user:alice"));
  EXPECT_FALSE(limiter.Allow("user:alice"));
  EXPECT_GT(limiter.RetryAfterMs("user:alice"), 0);
  limiter.Reset("user:alice");
  EXPECT_TRUE(limiter.Allow("user:alice"));
  EXPECT_LT(steady_clock::now() - start, milliseconds(1000));
}

TEST(RedisRateLimiterTest, FallsBackWhenRedisStopsAndSharesAgainWhenItReturns) {
  if (!queue::testing::RedisServerInstalled()) GTEST_SKIP() << "redis-server is not installed";
  queue::testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisRateLimiter a(redis.url(), "login-user", ThreePerMinute());
  RedisRateLimiter b(redis.url(), "login-user", ThreePerMinute());
  EXPECT_TRUE(a.Allow("user:alice"));
  EXPECT_TRUE(a.connected());
  redis.Stop();
  auto start = steady_clock::now();
  // Each replica counts alone now: three more each.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(a.Allow("user:alice")) << i;
  EXPECT_FALSE(a.Allow("user:alice"));
  EXPECT_FALSE(a.connected());
  EXPECT_TRUE(b.Allow("user:alice"));
  EXPECT_LT(steady_clock::now() - start, milliseconds(1500));

  ASSERT_TRUE(redis.Start().ok());  // empty: the restarted Redis kept nothing
  bool shared = false;
  for (int i = 0; i < 100 && !shared; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    shared = a.RetryAfterMs("user:carol") == 0 && a.connected();
  }
  ASSERT_TRUE(shared);
  EXPECT_TRUE(a.Allow("user:carol"));
  EXPECT_TRUE(b.Allow("user:carol"));
  EXPECT_TRUE(a.Allow("user:carol"));
  EXPECT_FALSE(b.Allow("user:carol"));
  EXPECT_TRUE(b.connected());
}

}  // namespace
}  // namespace gantry::server
