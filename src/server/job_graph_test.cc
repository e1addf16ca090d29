#include "server/job_graph.h"

#include <gtest/gtest.h>

#include "workflow/loader.h"

namespace gantry::server {
namespace {

const char kWorkflow[] = R"(name: CI
on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps: [{run: "true"}]
  build:
    name: Build
    runs-on: ubuntu-latest
    strategy:
      matrix:
        os: [linux, mac]
    steps: [{run: "true"}]
  test:
    name: test on ${{ matrix.os }}
    needs: [lint, build]
    runs-on: ubuntu-latest
    steps: [{run: "true"}]
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps: [{run: "true"}]
)";

TEST(JobGraphTest, EveryJobInFileOrderWithItsNeeds) {
  workflow::LoadResult loaded = workflow::LoadWorkflow(kWorkflow, ".github/workflows/ci.yml");
  ASSERT_TRUE(loaded.ok());
  std::vector<GraphJob> graph = JobGraph(*loaded.workflow);
  ASSERT_EQ(graph.size(), 4u);
  EXPECT_EQ(graph[0].id, "lint");
  EXPECT_EQ(graph[0].name, "lint");  // no name: the id
  EXPECT_TRUE(graph[0].needs.empty());
  EXPECT_EQ(graph[1].name, "Build");
  EXPECT_TRUE(graph[1].matrix);
  EXPECT_FALSE(graph[0].matrix);
  EXPECT_EQ(graph[2].name, "test");  // a name with an expression: the id
  EXPECT_EQ(graph[2].needs, (std::vector<std::string>{"lint", "build"}));
  EXPECT_EQ(graph[3].needs, (std::vector<std::string>{"test"}));
  EXPECT_EQ(NeedsOf(graph, "deploy"), (std::vector<std::string>{"test"}));
  EXPECT_FALSE(NeedsOf(graph, "nope"));
}

TEST(JobGraphTest, JsonShape) {
  std::vector<GraphJob> graph = {{"build", "Build", {}, true}, {"test", "test", {"build"}, false}};
  EXPECT_EQ(GraphJson(graph).dump(),
            R"([{"id":"build","matrix":true,"name":"Build","needs":[]},)"
            R"({"id":"test","matrix":false,"name":"test","needs":["build"]}])");
}

}  // namespace
}  // namespace gantry::server
