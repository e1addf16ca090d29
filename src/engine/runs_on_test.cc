#include "engine/runs_on.h"

#include <gtest/gtest.h>

namespace gantry::engine {
namespace {

HostLabels LinuxX64() { return HostLabels{"Linux", "X64", {}}; }

TEST(RunsOnTest, UbuntuSelfHostedLinuxAndTheArchRunHere) {
  EXPECT_EQ(WhyNotHere({"ubuntu-latest"}, LinuxX64()), "");
  EXPECT_EQ(WhyNotHere({"ubuntu-22.04"}, LinuxX64()), "");
  EXPECT_EQ(WhyNotHere({"self-hosted", "Linux", "X64"}, LinuxX64()), "");
  EXPECT_EQ(WhyNotHere({}, LinuxX64()), "");
}

TEST(RunsOnTest, WindowsMacosOtherArchesAndUnknownLabelsDoNotRunHere) {
  std::string why = WhyNotHere({"windows-latest"}, LinuxX64());
  EXPECT_EQ(why,
            "runs-on windows-latest: 'windows-latest' is a Windows runner, this is Linux X64 "
            "(give --runs-on windows-latest=host to run it here)");
  EXPECT_NE(WhyNotHere({"macos-14"}, LinuxX64()).find("a macOS runner"), std::string::npos);
  EXPECT_NE(WhyNotHere({"ubuntu-24.04-arm"}, LinuxX64()), "");
  EXPECT_EQ(WhyNotHere({"ubuntu-24.04-arm"}, HostLabels{"Linux", "ARM64", {}}), "");
  EXPECT_NE(WhyNotHere({"self-hosted", "gpu"}, LinuxX64()).find("'gpu' is a label"),
            std::string::npos);
}

TEST(RunsOnTest, MappedLabelsRunHereInAnyCase) {
  HostLabels host = LinuxX64();
  host.mapped = {"MacOS-Latest", "gpu"};
  EXPECT_EQ(WhyNotHere({"macos-latest"}, host), "");
  EXPECT_EQ(WhyNotHere({"self-hosted", "gpu"}, host), "");
}

TEST(RunsOnTest, ExpressionYieldsALabelOrAList) {
  workflow::RunsOn single;
  single.expression = workflow::Text{"${{ matrix.os }}", {}};
  expr::EvalContext ctx;
  auto contexts = expr::Value::ParseJson(R"({"matrix": {"os": "macos-latest"}})");
  ASSERT_TRUE(contexts.ok());
  ctx.contexts = *contexts;
  auto labels = EvaluateRunsOn(single, ctx, "ci.yml");
  ASSERT_TRUE(labels.ok()) << labels.status().message();
  EXPECT_EQ(*labels, (std::vector<std::string>{"macos-latest"}));

  workflow::RunsOn list;
  list.expression = workflow::Text{"${{ fromJSON('[\"self-hosted\", \"linux\"]') }}", {}};
  labels = EvaluateRunsOn(list, ctx, "ci.yml");
  ASSERT_TRUE(labels.ok()) << labels.status().message();
  EXPECT_EQ(FormatRunsOn(*labels), "[self-hosted, linux]");
}

}  // namespace
}  // namespace gantry::engine
