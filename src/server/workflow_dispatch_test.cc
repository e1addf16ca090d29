#include "server/workflow_dispatch.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

TEST(WorkflowDispatchTest, InputsComeFromTheLoadedTrigger) {
  std::string yaml = R"(name: Deploy
on:
  push:
  workflow_dispatch:
    inputs:
      target:
        description: "Where to"
        required: true
        type: choice
        options: [staging, production]
        default: staging
      dry_run:
        type: boolean
        default: true
      replicas:
        type: number
        default: 3
      note:
        description: "# not a comment: inputs: in text"
jobs:
  go:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
)";
  nlohmann::json d = DispatchJson(yaml, ".github/workflows/deploy.yml");
  ASSERT_TRUE(d.is_object()) << d.dump();
  const nlohmann::json& in = d["inputs"];
  ASSERT_EQ(in.size(), 4u);
  EXPECT_EQ(in["target"]["type"], "choice");
  EXPECT_EQ(in["target"]["required"], true);
  EXPECT_EQ(in["target"]["description"], "Where to");
  EXPECT_EQ(in["target"]["default"], "staging");
  EXPECT_EQ(in["target"]["options"], nlohmann::json({"staging", "production"}));
  EXPECT_EQ(in["dry_run"]["default"], true);
  EXPECT_EQ(in["dry_run"]["type"], "boolean");
  EXPECT_EQ(in["replicas"]["default"], 3);
  EXPECT_EQ(in["note"]["type"], "string");
  EXPECT_EQ(in["note"]["required"], false);
  EXPECT_TRUE(in["note"]["default"].is_null());
  EXPECT_EQ(in["note"]["options"], nlohmann::json::array());
}

TEST(WorkflowDispatchTest, NoInputsIsAnEmptyObject) {
  nlohmann::json d = DispatchJson(
      "on: [push, workflow_dispatch]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: "
      "'true'\n",
      "ci.yml");
  ASSERT_TRUE(d.is_object()) << d.dump();
  EXPECT_EQ(d["inputs"], nlohmann::json::object());
}

TEST(WorkflowDispatchTest, NullWithoutTheTriggerOrWhenTheFileDoesNotLoad) {
  // The words appear in the text, but not as a trigger.
  EXPECT_TRUE(DispatchJson("on: push\n# workflow_dispatch:\njobs:\n  a:\n    runs-on: x\n"
                           "    steps:\n      - run: echo workflow_dispatch\n",
                           "ci.yml")
                  .is_null());
  EXPECT_TRUE(DispatchJson("on: [workflow_dispatch\n", "broken.yml").is_null());
  EXPECT_TRUE(DispatchJson("", "empty.yml").is_null());
}

}  // namespace
}  // namespace gantry::server
