#include "queue/redis_notifier.h"

#include <gtest/gtest.h>

#include <future>
#include <iostream>
#include <thread>

#include "queue/redis_test_util.h"

namespace gantry::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

milliseconds Since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

RedisNotifierOptions FastOptions() {
  RedisNotifierOptions options;
  options.poll_interval = milliseconds(300);
  options.min_backoff = milliseconds(50);
  options.max_backoff = milliseconds(500);
  return options;
}

// Publishes `topic` on `from` after a short delay and returns how long `to` took to wake.
milliseconds WakeLatency(Notifier& from, Notifier& to, const std::string& topic) {
  uint64_t seen = to.Version(topic);
  auto publisher = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(milliseconds(50));
    auto start = steady_clock::now();
    from.Publish(topic);
    return start;
  });
  uint64_t now = to.Wait(topic, seen, std::chrono::seconds(10));
  auto woke = steady_clock::now();
  EXPECT_NE(now, seen) << "no wake-up for " << topic;
  return std::chrono::duration_cast<milliseconds>(woke - publisher.get());
}

TEST(PollingNotifierTest, WaitSleepsAtMostThePollInterval) {
  PollingNotifier polling(milliseconds(100));
  auto start = steady_clock::now();
  EXPECT_EQ(polling.Wait("queue", 0, std::chrono::seconds(10)), 0u);
  EXPECT_GE(Since(start), milliseconds(90));
  EXPECT_LT(Since(start), milliseconds(1000));
  polling.Publish("queue");
  EXPECT_EQ(polling.Wait("queue", 0, std::chrono::seconds(10)), 1u);
}

TEST(MemoryNotifierTest, WaitSleepsItsWholeTimeout) {
  MemoryNotifier memory;
  auto start = steady_clock::now();
  EXPECT_EQ(memory.Wait("queue", 0, milliseconds(300)), 0u);
  EXPECT_GE(Since(start), milliseconds(290));
  EXPECT_TRUE(memory.connected());
}

TEST(TopicVersionsTest, PollingStartedDuringAWaitCapsIt) {
  TopicVersions versions(milliseconds(200));
  auto start = steady_clock::now();
  auto waiter = std::async(std::launch::async,
                           [&] { return versions.Wait("t", 0, std::chrono::seconds(30)); });
  std::this_thread::sleep_for(milliseconds(50));
  versions.SetPolling(true);
  EXPECT_EQ(waiter.get(), 0u);
  EXPECT_LT(Since(start), milliseconds(2000));
}

TEST(RedisNotifierTest, UnreachableRedisPollsAndPublishDoesNotBlock) {
  RedisUrl url;
  url.host = "127.0.0.1";
  url.port = testing::FreePort();
  RedisNotifier notifier(url, FastOptions());
  EXPECT_FALSE(notifier.WaitFirstAttempt(std::chrono::seconds(2)));
  EXPECT_FALSE(notifier.connected());
  auto start = steady_clock::now();
  for (int i = 0; i < 1000; ++i) notifier.Publish("job:" + std::to_string(i));
  EXPECT_LT(Since(start), milliseconds(200));
  EXPECT_EQ(notifier.Version("job:7"), 1u);
  start = steady_clock::now();
  notifier.Wait("queue", 0, std::chrono::seconds(10));
  EXPECT_LT(Since(start), milliseconds(1500));
}

TEST(RedisNotifierTest, PublishOnOneReplicaWakesAnotherAndNotItselfTwice) {
  if (!testing::RedisServerInstalled()) GTEST_SKIP() << "redis-server is not installed";
  testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisNotifier a(redis.url(), FastOptions());
  RedisNotifier b(redis.url(), FastOptions());
  ASSERT_TRUE(a.WaitConnected(std::chrono::seconds(5)));
  ASSERT_TRUE(b.WaitConnected(std::chrono::seconds(5)));
  EXPECT_NE(a.instance_id(), b.instance_id());

  milliseconds worst{0};
  for (int i = 0; i < 5; ++i) {
    milliseconds latency = WakeLatency(a, b, "queue");
    worst = std::max(worst, latency);
    std::cerr << "[ figures ] Publish on A -> Wait on B returned after " << latency.count()
              << " ms\n";
  }
  EXPECT_LT(worst, milliseconds(1000));
  // Connected: a Wait with nothing published sleeps past the poll interval.
  auto start = steady_clock::now();
  b.Wait("quiet", b.Version("quiet"), milliseconds(600));
  EXPECT_GE(Since(start), milliseconds(590));

  // A's own announcement comes back from Redis and is ignored: one Publish, one version.
  uint64_t before_a = a.Version("job:1");
  uint64_t before_b = b.Version("job:1");
  a.Publish("job:1");
  EXPECT_EQ(a.Version("job:1"), before_a + 1);
  EXPECT_NE(b.Wait("job:1", before_b, std::chrono::seconds(5)), before_b);
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(a.Version("job:1"), before_a + 1);
  EXPECT_EQ(b.Version("job:1"), before_b + 1);
  EXPECT_EQ(a.received(), 0u);
}

TEST(RedisNotifierTest, RedisGoingAwayMeansPollingAndItsReturnMeansWakeUpsAgain) {
  if (!testing::RedisServerInstalled()) GTEST_SKIP() << "redis-server is not installed";
  testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisNotifier a(redis.url(), FastOptions());
  RedisNotifier b(redis.url(), FastOptions());
  ASSERT_TRUE(a.WaitConnected(std::chrono::seconds(5)));
  ASSERT_TRUE(b.WaitConnected(std::chrono::seconds(5)));

  // A waiter asleep when Redis goes away returns within about the poll interval.
  auto waiter = std::async(std::launch::async, [&] {
    auto begun = steady_clock::now();
    b.Wait("queue", b.Version("queue"), std::chrono::seconds(30));
    return Since(begun);
  });
  std::this_thread::sleep_for(milliseconds(100));
  redis.Stop();
  milliseconds waited = waiter.get();
  std::cerr << "[ figures ] a 30 s Wait returned " << waited.count()
            << " ms after it began (Redis killed at 100 ms, poll interval 300 ms)\n";
  EXPECT_LT(waited, milliseconds(1500));
  for (int i = 0; i < 100 && b.connected(); ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(b.connected());

  auto start = steady_clock::now();
  b.Wait("queue", b.Version("queue"), std::chrono::seconds(30));
  EXPECT_LT(Since(start), milliseconds(1000));  // poll interval 300 ms
  start = steady_clock::now();
  for (int i = 0; i < 100; ++i) a.Publish("queue");
  EXPECT_LT(Since(start), milliseconds(100));

  // Back on the same port: both reconnect, and wake-ups cross again.
  uint64_t before = b.Version("queue");
  uint64_t before_unknown = b.Version("never-published");
  ASSERT_TRUE(redis.Start().ok());
  start = steady_clock::now();
  ASSERT_TRUE(a.WaitConnected(std::chrono::seconds(5)));
  ASSERT_TRUE(b.WaitConnected(std::chrono::seconds(5)));
  std::cerr << "[ figures ] both replicas connected again " << Since(start).count()
            << " ms after Redis came back\n";
  // Announcements may have been lost meanwhile: every known topic was bumped once.
  EXPECT_GT(b.Version("queue"), before);
  EXPECT_GT(b.Version("never-published"), before_unknown);
  // A announces "*" for what it could not announce meanwhile; let it arrive first.
  std::this_thread::sleep_for(milliseconds(300));
  milliseconds latency = WakeLatency(a, b, "queue");
  std::cerr << "[ figures ] after the restart, Publish on A -> Wait on B: " << latency.count()
            << " ms\n";
  EXPECT_LT(latency, milliseconds(1000));
  latency = WakeLatency(b, a, "run:1");
  EXPECT_LT(latency, milliseconds(1000));
}

TEST(RedisNotifierTest, ShutdownWakesWaitersAndStopsPromptly) {
  if (!testing::RedisServerInstalled()) GTEST_SKIP() << "redis-server is not installed";
  testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  auto notifier = std::make_unique<RedisNotifier>(redis.url(), FastOptions());
  ASSERT_TRUE(notifier->WaitConnected(std::chrono::seconds(5)));
  auto start = steady_clock::now();
  auto waiter = std::async(std::launch::async,
                           [&] { return notifier->Wait("queue", 0, std::chrono::seconds(30)); });
  std::this_thread::sleep_for(milliseconds(50));
  notifier->Shutdown();
  waiter.get();
  EXPECT_TRUE(notifier->shut_down());
  notifier.reset();  // joins the threads
  EXPECT_LT(Since(start), milliseconds(1000));
}

}  // namespace
}  // namespace gantry::queue
