#include "server/labels.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

const std::vector<std::string> kDefault = {"self-hosted", "linux", "x64"};

TEST(LabelsTest, EveryLabelOfTheJobMustBeTheExecutorsInAnyCase) {
  EXPECT_TRUE(ExecutorTakes(kDefault, {}));
  EXPECT_TRUE(ExecutorTakes(kDefault, {"self-hosted"}));
  EXPECT_TRUE(ExecutorTakes(kDefault, {"Self-Hosted", "LINUX", "X64"}));
  EXPECT_FALSE(ExecutorTakes(kDefault, {"self-hosted", "gpu"}));
  EXPECT_TRUE(ExecutorTakes({"self-hosted", "linux", "x64", "gpu"}, {"self-hosted", "gpu"}));
  EXPECT_FALSE(ExecutorTakes({"gpu"}, {"self-hosted"}));  // only what it declared
}

TEST(LabelsTest, ALinuxExecutorTakesGithubHostedUbuntuLabels) {
  EXPECT_TRUE(ExecutorTakes(kDefault, {"ubuntu-latest"}));
  EXPECT_TRUE(ExecutorTakes(kDefault, {"ubuntu-24.04"}));
  EXPECT_FALSE(ExecutorTakes(kDefault, {"ubuntu-24.04-arm"}));
  EXPECT_TRUE(ExecutorTakes({"self-hosted", "linux", "arm64"}, {"ubuntu-24.04-arm"}));
  EXPECT_FALSE(ExecutorTakes(kDefault, {"windows-latest"}));
  EXPECT_FALSE(ExecutorTakes(kDefault, {"macos-14"}));
  EXPECT_FALSE(ExecutorTakes({"self-hosted", "x64"}, {"ubuntu-latest"}));  // not a Linux one
}

TEST(LabelsTest, LabelsFromJsonIgnoresWhatIsNotAnArrayOfStrings) {
  EXPECT_EQ(LabelsFromJson(R"(["a","b"])"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(LabelsFromJson("").empty());
  EXPECT_TRUE(LabelsFromJson("{").empty());
  EXPECT_EQ(LabelsFromJson(R"(["a",1,""])"), (std::vector<std::string>{"a"}));
}

TEST(LabelsTest, WaitingReasonNamesTheLabelsAndTheExecutors) {
  store::Executor embedded;
  embedded.name = "embedded";
  embedded.labels = R"(["self-hosted","linux","x64"])";
  store::Executor off = embedded;
  off.name = "gpu-box";
  off.labels = R"(["self-hosted","gpu"])";
  off.state = "disabled";
  EXPECT_EQ(WaitingReason({embedded}, {"ubuntu-latest"}), "");
  EXPECT_EQ(WaitingReason({embedded, off}, {"self-hosted", "gpu"}),
            "no executor has the labels [self-hosted, gpu]; executors: embedded [self-hosted, "
            "linux, x64]");
  EXPECT_EQ(WaitingReason({off}, {"gpu"}), "no executor is registered (or every one is disabled)");
  EXPECT_EQ(WaitingReason({}, {}), "no executor is registered (or every one is disabled)");
}

}  // namespace
}  // namespace gantry::server
