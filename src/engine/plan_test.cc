// The plan: stages and order from `needs`, job selection, when matrices are expanded, and the
// display names of job instances.

#include "engine/plan.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/loader.h"

namespace gantry::engine {
namespace {

using expr::Object;
using expr::Value;

// A minimal job: `id` with the given extra job-level lines (indented by 4).
std::string Job(std::string_view id, std::string_view lines = "") {
  return "  " + std::string(id) + ":\n    runs-on: ubuntu-latest\n" + std::string(lines) +
         "    steps:\n      - run: echo hi\n";
}

std::shared_ptr<const workflow::Workflow> Load(const std::string& jobs, bool expect_ok = true) {
  auto r = workflow::LoadWorkflow("on: push\njobs:\n" + jobs, "ci.yml");
  std::string diagnostics;
  for (const auto& d : r.diagnostics) diagnostics += d.ToString() + "\n";
  if (expect_ok) {
    EXPECT_TRUE(r.ok()) << diagnostics;
  }
  return r.workflow;
}

// "id@stage" for every planned job, in plan order.
std::string Order(const Plan& plan) {
  std::string out;
  for (const auto& job : plan.jobs) {
    if (!out.empty()) out += " ";
    out += job.id + "@" + std::to_string(job.stage);
  }
  return out;
}

core::Result<Plan> PlanOf(const std::string& jobs, const PlanOptions& options = {}) {
  return BuildPlan(Load(jobs), options);
}

TEST(PlanTest, StageIsTheLongestPathFromARoot) {
  auto plan =
      PlanOf(Job("c", "    needs: [a, b]\n") + Job("b", "    needs: a\n") + Job("a") + Job("d"));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(Order(*plan), "a@0 d@0 b@1 c@2");
  EXPECT_EQ(plan->stage_count, 3);
  EXPECT_EQ(plan->Find("c")->needs, (std::vector<std::string>{"a", "b"}));
}

TEST(PlanTest, JobsWithinAStageKeepFileOrder) {
  auto plan =
      PlanOf(Job("z") + Job("y") + Job("x", "    needs: [z]\n") + Job("w", "    needs: y\n"));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Order(*plan), "z@0 y@0 x@1 w@1");
}

TEST(PlanTest, OnlyJobBringsWhatItNeedsTransitively) {
  PlanOptions options;
  options.only_jobs = {"test"};
  auto plan = PlanOf(Job("build") + Job("lint") + Job("unit", "    needs: build\n") +
                         Job("test", "    needs: unit\n") + Job("deploy", "    needs: test\n"),
                     options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Order(*plan), "build@0 unit@1 test@2");
}

TEST(PlanTest, OnlyJobWithNoDepsIsPlannedAloneWithoutNeeds) {
  PlanOptions options;
  options.only_jobs = {"test"};
  options.no_deps = true;
  auto plan = PlanOf(Job("build") + Job("test", "    needs: build\n"), options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Order(*plan), "test@0");
  EXPECT_TRUE(plan->jobs[0].needs.empty());
  EXPECT_EQ(plan->stage_count, 1);
}

TEST(PlanTest, SeveralOnlyJobsBringWhatEachNeeds) {
  PlanOptions options;
  options.only_jobs = {"lint", "test"};
  auto plan = PlanOf(Job("build") + Job("lint") + Job("test", "    needs: build\n") +
                         Job("deploy", "    needs: test\n"),
                     options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Order(*plan), "build@0 lint@0 test@1");
}

TEST(PlanTest, SeveralOnlyJobsWithNoDepsKeepOnlyNeedsAmongThem) {
  PlanOptions options;
  options.only_jobs = {"deploy", "test"};
  options.no_deps = true;
  auto plan = PlanOf(Job("build") + Job("test", "    needs: build\n") +
                         Job("deploy", "    needs: [build, test]\n"),
                     options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Order(*plan), "test@0 deploy@1");
}

TEST(PlanTest, OnlyJobThatDoesNotExistIsNotFound) {
  PlanOptions options;
  options.only_jobs = {"nope"};
  auto plan = PlanOf(Job("a"), options);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(plan.status().message().find("'nope'"), std::string::npos);
}

TEST(PlanTest, UnknownNeedAndCycleAreInvalidArguments) {
  auto unknown = BuildPlan(Load(Job("a", "    needs: ghost\n"), false), {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "ci.yml:5:12: Job 'a' depends on unknown job 'ghost'.");
  auto cycle = BuildPlan(
      Load(Job("r") + Job("a", "    needs: b\n") + Job("b", "    needs: a\n"), false), {});
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.status().message().find("depends on itself"), std::string::npos);
}

TEST(PlanTest, JobWithoutStrategyHasOneEmptyInstanceAndDefaultSettings) {
  auto plan = PlanOf(Job("a"));
  ASSERT_TRUE(plan.ok());
  const PlannedJob& job = plan->jobs[0];
  ASSERT_TRUE(job.instances.has_value());
  ASSERT_EQ(job.instances->size(), 1u);
  EXPECT_EQ((*job.instances)[0].values, Value(Object()));
  ASSERT_TRUE(job.settings.has_value());
  EXPECT_TRUE(job.settings->fail_fast);
  EXPECT_EQ(job.settings->max_parallel, 0);
}

TEST(PlanTest, LiteralMatrixIsExpandedAndSettingsCarriedThrough) {
  auto plan =
      PlanOf(Job("t",
                 "    strategy:\n      fail-fast: false\n      max-parallel: 2\n"
                 "      matrix:\n        os: [a, b]\n        exclude:\n          - os: b\n"));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const PlannedJob& job = plan->jobs[0];
  ASSERT_TRUE(job.instances.has_value());
  ASSERT_EQ(job.instances->size(), 1u);
  EXPECT_EQ((*job.instances)[0].values.ToJson().dump(), "{\"os\":\"a\"}");
  ASSERT_TRUE(job.settings.has_value());
  EXPECT_FALSE(job.settings->fail_fast);
  EXPECT_EQ(job.settings->max_parallel, 2);
}

TEST(PlanTest, MatrixFromNeedsOutputsWaitsForTheRunner) {
  auto plan = PlanOf(Job("setup") + Job("t",
                                        "    needs: setup\n    strategy:\n      matrix: "
                                        "${{ fromJSON(needs.setup.outputs.m) }}\n"));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const PlannedJob* job = plan->Find("t");
  ASSERT_NE(job, nullptr);
  EXPECT_FALSE(job->instances.has_value());
  EXPECT_FALSE(job->settings.has_value());
}

TEST(PlanTest, MatrixUsingPlanTimeContextsIsExpandedNow) {
  Object inputs;
  inputs.Set("oses", Value(R"(["a", "b"])"));
  Object contexts;
  contexts.Set("inputs", Value(std::move(inputs)));
  PlanOptions options;
  options.context.contexts = Value(std::move(contexts));
  auto plan =
      PlanOf(Job("t", "    strategy:\n      matrix:\n        os: ${{ fromJSON(inputs.oses) }}\n"),
             options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_TRUE(plan->jobs[0].instances.has_value());
  EXPECT_EQ(plan->jobs[0].instances->size(), 2u);
  // Without the inputs context at plan time the same matrix is left to the runner.
  auto later =
      PlanOf(Job("t", "    strategy:\n      matrix:\n        os: ${{ fromJSON(inputs.oses) }}\n"));
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->jobs[0].instances.has_value());
}

TEST(PlanTest, MatrixErrorSaysWhereAndWhichJob) {
  auto plan =
      PlanOf(Job("build", "    strategy:\n      matrix:\n        os: ${{ fromJSON('[]') }}\n"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(plan.status().message(),
            "ci.yml:7:9: Error when evaluating 'strategy' for job 'build'. Matrix vector 'os' "
            "does not contain any values");
}

MatrixInstance Instance(const std::string& json, int name_key_count = -1) {
  return MatrixInstance{Value::ParseJson(json).value(), name_key_count};
}

TEST(PlanTest, DisplayNameAppendsMatrixValuesInOrder) {
  EXPECT_EQ(InstanceDisplayName("test", Instance(R"({"os":"linux","node":20})"), false),
            "test (linux, 20)");
  EXPECT_EQ(InstanceDisplayName("test", Instance(R"({"ok":true,"v":5.4,"big":1e20})"), false),
            "test (true, 5.4, 1E+20)");
}

TEST(PlanTest, DisplayNameOmitsIncludeExtrasNullsAndEmptyStrings) {
  // An include that extended a combination does not change its name; one that became a
  // combination of its own is named by all its values.
  EXPECT_EQ(InstanceDisplayName("t", Instance(R"({"os":"a","npm":6})", 1), false), "t (a)");
  EXPECT_EQ(InstanceDisplayName("t", Instance(R"({"os":"a","npm":6})"), false), "t (a, 6)");
  EXPECT_EQ(InstanceDisplayName("t", Instance(R"({"a":null,"b":"","c":"x"})"), false), "t (x)");
}

TEST(PlanTest, DisplayNameFlattensObjectsAndArraysDepthFirst) {
  EXPECT_EQ(
      InstanceDisplayName("t", Instance(R"({"cfg":{"os":"linux","cc":["gcc",12]},"z":1})"), false),
      "t (linux, gcc, 12, 1)");
}

TEST(PlanTest, DisplayNameIsTheNameAloneWhenItUsesTheMatrixOrThereIsNone) {
  EXPECT_EQ(InstanceDisplayName("Node 20", Instance(R"({"node":20})"), true), "Node 20");
  EXPECT_EQ(InstanceDisplayName("build", Instance("{}"), false), "build");
}

TEST(PlanTest, DisplayNameIsCutAtOneHundredCharacters) {
  std::string name =
      InstanceDisplayName("job", Instance(R"({"v":")" + std::string(120, 'x') + "\"}"), false);
  EXPECT_EQ(name.size(), 100u);
  EXPECT_EQ(name, "job (" + std::string(92, 'x') + "...");
  // A character outside the BMP counts two UTF-16 units and is never split.
  std::string wide;
  for (int i = 0; i < 60; ++i) wide += "\xF0\x9F\x98\x80";
  std::string cut = InstanceDisplayName("j", Instance(R"({"v":")" + wide + "\"}"), false);
  EXPECT_EQ(cut, "j (" + wide.substr(0, std::size_t{47} * 4) + "...");
}

}  // namespace
}  // namespace gantry::engine
