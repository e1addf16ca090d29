#include "cli/executor_signals.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

namespace gantry::cli {
namespace {

using std::chrono::milliseconds;

// Waits up to 5 s for `done`.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

TEST(DrainOnSignalsTest, TheFirstSignalDrainsAndTheSecondCancels) {
  std::atomic<int> drains{0}, cancels{0};
  std::atomic<bool> timed_out{true};
  {
    DrainOnSignals signals(
        std::chrono::seconds(60), [&] { ++drains; },
        [&](bool t) {
          timed_out = t;
          ++cancels;
        });
    raise(SIGTERM);
    ASSERT_TRUE(Eventually([&] { return drains == 1; }));
    EXPECT_EQ(cancels, 0);
    raise(SIGINT);
    ASSERT_TRUE(Eventually([&] { return cancels == 1; }));
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(drains, 1);
  }
}

TEST(DrainOnSignalsTest, TheDrainTimeoutCancels) {
  std::atomic<int> cancels{0};
  std::atomic<bool> timed_out{false};
  DrainOnSignals signals(
      milliseconds(100), [] {},
      [&](bool t) {
        timed_out = t;
        ++cancels;
      });
  auto sent = std::chrono::steady_clock::now();
  raise(SIGTERM);
  ASSERT_TRUE(Eventually([&] { return cancels == 1; }));
  EXPECT_GE(std::chrono::steady_clock::now() - sent, milliseconds(100));
  EXPECT_TRUE(timed_out);
}

TEST(DrainOnSignalsTest, ThePreviousHandlersComeBack) {
  struct sigaction before {};
  sigaction(SIGTERM, nullptr, &before);
  {
    DrainOnSignals signals(
        milliseconds(100), [] {}, [](bool) {});
  }
  struct sigaction after {};
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(before.sa_handler, after.sa_handler);
}

}  // namespace
}  // namespace gantry::cli
