#include "core/subprocess.h"

#include <gtest/gtest.h>

#include <chrono>

namespace gantry::core {
namespace {

TEST(SubprocessTest, ExtraEnvironmentReachesTheProgram) {
  ProgramOptions options;
  options.env = {{"GANTRY_SUBPROCESS_TEST", "first"}, {"GANTRY_SUBPROCESS_TEST", "second"}};
  auto r = RunProgram({"sh", "-c", "printf %s \"$GANTRY_SUBPROCESS_TEST\""}, options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value(), "second");
}

TEST(SubprocessTest, TimeoutKillsTheProgramAndWhatItStarted) {
  ProgramOptions options;
  options.timeout = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  // The child sleep holds stdout open too: only killing the group ends the read.
  auto r = RunProgram({"sh", "-c", "sleep 30 & sleep 30"}, options);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().message();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(SubprocessTest, InputAndOutputWithinTheTimeout) {
  ProgramOptions options;
  std::string input = "hello";
  options.input = &input;
  options.timeout = std::chrono::seconds(10);
  auto r = RunProgram({"cat"}, options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value(), "hello");
}

TEST(SubprocessTest, OutputGoesToTheSinkUntilItSaysStop) {
  ProgramOptions options;
  std::string seen;
  options.on_output = [&seen](std::string_view chunk) {
    seen.append(chunk);
    return seen.size() < 100000;  // enough: the program is killed
  };
  auto start = std::chrono::steady_clock::now();
  auto r = RunProgram({"sh", "-c", "yes gantry"}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().message();
  EXPECT_GE(seen.size(), 100000u);
  EXPECT_EQ(seen.substr(0, 14), "gantry\ngantry\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  std::string all;
  options.on_output = [&all](std::string_view chunk) {
    all.append(chunk);
    return true;
  };
  auto done = RunProgram({"printf", "a\nb\n"}, options);
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(done.value(), "");
  EXPECT_EQ(all, "a\nb\n");
}

}  // namespace
}  // namespace gantry::core
