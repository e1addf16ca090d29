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

}  // namespace
}  // namespace gantry::core
