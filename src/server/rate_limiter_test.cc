#include "server/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace gantry::server {
namespace {

// A limiter on a fake clock that the test moves by hand.
class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiter Make(int max_attempts, std::int64_t window_ms, std::size_t max_keys = 100) {
    return RateLimiter({max_attempts, window_ms, max_keys}, [this] { return now_.load(); });
  }
  std::atomic<std::int64_t> now_{1000};
};

TEST_F(RateLimiterTest, AllowsMaxAttemptsThenDenies) {
  RateLimiter limiter = Make(3, 60000);
  EXPECT_TRUE(limiter.Allow("alice"));
  EXPECT_TRUE(limiter.Allow("alice"));
  EXPECT_TRUE(limiter.Allow("alice"));
  EXPECT_FALSE(limiter.Allow("alice"));
  EXPECT_FALSE(limiter.Allow("alice"));
}

TEST_F(RateLimiterTest, WindowSlidesAttemptByAttempt) {
  RateLimiter limiter = Make(3, 100);
  now_ = 0;
  EXPECT_TRUE(limiter.Allow("k"));
  now_ = 10;
  EXPECT_TRUE(limiter.Allow("k"));
  now_ = 20;
  EXPECT_TRUE(limiter.Allow("k"));
  now_ = 50;
  EXPECT_FALSE(limiter.Allow("k"));
  EXPECT_EQ(limiter.RetryAfterMs("k"), 50);
  now_ = 99;
  EXPECT_FALSE(limiter.Allow("k"));
  EXPECT_EQ(limiter.RetryAfterMs("k"), 1);
  now_ = 100;  // the attempt at 0 has left the window; those at 10 and 20 still count
  EXPECT_EQ(limiter.RetryAfterMs("k"), 0);
  EXPECT_TRUE(limiter.Allow("k"));
  now_ = 105;
  EXPECT_FALSE(limiter.Allow("k"));
  EXPECT_EQ(limiter.RetryAfterMs("k"), 5);
}

TEST_F(RateLimiterTest, DeniedAttemptsDoNotExtendTheWait) {
  RateLimiter limiter = Make(1, 100);
  EXPECT_TRUE(limiter.Allow("k"));
  for (int i = 0; i < 10; ++i) {
    now_ += 9;
    EXPECT_FALSE(limiter.Allow("k"));
  }
  now_ = 1000 + 100;
  EXPECT_TRUE(limiter.Allow("k"));
}

TEST_F(RateLimiterTest, KeysAreCountedSeparately) {
  RateLimiter limiter = Make(1, 60000);
  EXPECT_TRUE(limiter.Allow("account:alice"));
  EXPECT_FALSE(limiter.Allow("account:alice"));
  EXPECT_TRUE(limiter.Allow("account:bob"));
  EXPECT_TRUE(limiter.Allow("address:10.0.0.1"));
  EXPECT_EQ(limiter.RetryAfterMs("account:bob"), 60000);
  EXPECT_EQ(limiter.RetryAfterMs("account:carol"), 0);
}

TEST_F(RateLimiterTest, ResetForgetsTheAttempts) {
  RateLimiter limiter = Make(2, 60000);
  EXPECT_TRUE(limiter.Allow("alice"));
  EXPECT_TRUE(limiter.Allow("alice"));
  EXPECT_FALSE(limiter.Allow("alice"));
  limiter.Reset("alice");
  EXPECT_EQ(limiter.RetryAfterMs("alice"), 0);
  EXPECT_EQ(limiter.KeyCount(), 0u);
  EXPECT_TRUE(limiter.Allow("alice"));
  limiter.Reset("nobody");  // harmless
}

TEST_F(RateLimiterTest, FullLimiterForgetsTheLeastRecentKey) {
  RateLimiter limiter = Make(1, 60000, 2);
  EXPECT_TRUE(limiter.Allow("a"));
  now_ += 1;
  EXPECT_TRUE(limiter.Allow("b"));
  now_ += 1;
  EXPECT_TRUE(limiter.Allow("c"));  // "a" goes
  EXPECT_EQ(limiter.KeyCount(), 2u);
  EXPECT_FALSE(limiter.Allow("b"));
  EXPECT_FALSE(limiter.Allow("c"));
  EXPECT_TRUE(limiter.Allow("a"));  // forgotten, so allowed again; "b" goes
  EXPECT_TRUE(limiter.Allow("b"));
}

TEST_F(RateLimiterTest, DeniedAttemptsDoNotKeepAKeyRecent) {
  RateLimiter limiter = Make(1, 60000, 2);
  EXPECT_TRUE(limiter.Allow("a"));
  now_ += 1;
  EXPECT_TRUE(limiter.Allow("b"));
  now_ += 1;
  EXPECT_FALSE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("c"));  // "a" is still the least recently allowed
  EXPECT_TRUE(limiter.Allow("a"));
}

TEST_F(RateLimiterTest, KeysWithoutAttemptsInTheWindowAreDropped) {
  RateLimiter limiter = Make(3, 100);
  EXPECT_TRUE(limiter.Allow("a"));
  now_ += 50;
  EXPECT_TRUE(limiter.Allow("b"));
  now_ += 60;  // "a" expired, "b" not
  EXPECT_TRUE(limiter.Allow("c"));
  EXPECT_EQ(limiter.KeyCount(), 2u);
  now_ += 1000;
  EXPECT_TRUE(limiter.Allow("d"));
  EXPECT_EQ(limiter.KeyCount(), 1u);
}

TEST_F(RateLimiterTest, MemoryStaysBoundedUnderManyKeys) {
  RateLimiter limiter = Make(5, 60000, 100);
  for (int i = 0; i < 10000; ++i) {
    EXPECT_TRUE(limiter.Allow("address:" + std::to_string(i)));
    now_ += 1;
  }
  EXPECT_EQ(limiter.KeyCount(), 100u);
}

TEST_F(RateLimiterTest, ConcurrentCallersNeverExceedTheLimit) {
  RateLimiter limiter = Make(100, 60000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.Allow("shared")) ++allowed;
        limiter.Allow("own:" + std::to_string(i % 50));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
}

TEST(RateLimiterClockTest, DefaultsToTheSteadyClock) {
  RateLimiter limiter({.max_attempts = 1, .window_ms = 60000, .max_keys = 10});
  EXPECT_TRUE(limiter.Allow("k"));
  EXPECT_FALSE(limiter.Allow("k"));
  EXPECT_GT(limiter.RetryAfterMs("k"), 59000);
  EXPECT_LE(limiter.RetryAfterMs("k"), 60000);
}

}  // namespace
}  // namespace gantry::server
