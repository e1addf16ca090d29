#include "executor/job_spec.h"

#include <gtest/gtest.h>

namespace gantry::executor {
namespace {

using json = nlohmann::ordered_json;

json ValidSpec() {
  return json::parse(R"js({
    "id": 17, "run_id": 5, "attempt": 2, "project": "alice/shop",
    "workflow": {"file": ".github/workflows/ci.yml", "yaml": "on: push\n"},
    "job_id": "test", "instance": 1, "display_name": "test (linux, 20)",
    "matrix": {"os": "linux", "node": 20}, "strategy": {"fail-fast": true}, "needs": {},
    "github": {"event_name": "push", "sha": "abc", "run_id": "5"},
    "secrets": {"TOKEN": "s3cret"}, "vars": {"REGION": "eu"},
    "inputs": {"name": "x", "debug": true, "count": 3, "list": [1, 2]},
    "repository": {"url": "/var/lib/gantry/git/alice/shop.git", "sha": "abc",
                   "ref": "refs/heads/main"}
  })js");
}

TEST(JobSpecTest, ParsesEveryField) {
  auto spec = ParseJobSpec(ValidSpec());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->id, 17);
  EXPECT_EQ(spec->run_id, 5);
  EXPECT_EQ(spec->attempt, 2);
  EXPECT_EQ(spec->project, "alice/shop");
  EXPECT_EQ(spec->workflow_file, ".github/workflows/ci.yml");
  EXPECT_EQ(spec->workflow_yaml, "on: push\n");
  EXPECT_EQ(spec->job_id, "test");
  EXPECT_EQ(spec->instance, 1);
  EXPECT_EQ(spec->display_name, "test (linux, 20)");
  ASSERT_TRUE(spec->matrix.is_object());
  // The matrix keeps the server's key order (display names and contexts depend on it).
  EXPECT_EQ(spec->matrix.object_value().entries()[0].first, "os");
  EXPECT_EQ(spec->matrix.object_value().entries()[1].first, "node");
  EXPECT_EQ(spec->github.Find("sha")->string_value(), "abc");
  EXPECT_EQ(spec->secrets, (NameValues{{"TOKEN", "s3cret"}}));
  EXPECT_EQ(spec->vars, (NameValues{{"REGION", "eu"}}));
  EXPECT_EQ(spec->inputs,
            (NameValues{{"name", "x"}, {"debug", "true"}, {"count", "3"}, {"list", "[1,2]"}}));
  EXPECT_TRUE(spec->inputs_context.Find("debug")->is_bool());
  EXPECT_EQ(spec->repository_url, "/var/lib/gantry/git/alice/shop.git");
  EXPECT_EQ(spec->repository_sha, "abc");
  EXPECT_EQ(spec->repository_ref, "refs/heads/main");
}

TEST(JobSpecTest, RoundTripsThroughJson) {
  auto spec = ParseJobSpec(ValidSpec());
  ASSERT_TRUE(spec.ok());
  auto again = ParseJobSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->matrix, spec->matrix);
  EXPECT_EQ(again->inputs, spec->inputs);
  EXPECT_EQ(again->secrets, spec->secrets);
  EXPECT_EQ(again->repository_sha, spec->repository_sha);
}

TEST(JobSpecTest, OptionalFieldsDefault) {
  auto spec = ParseJobSpecText(
      R"({"id":1,"workflow":{"file":"w.yml","yaml":"x"},"job_id":"build","github":{}})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->display_name, "build");
  EXPECT_EQ(spec->attempt, 1);
  EXPECT_TRUE(spec->matrix.is_object());
  EXPECT_TRUE(spec->needs.is_object());
  EXPECT_TRUE(spec->repository_url.empty());
}

// Each malformed spec is rejected with an error naming the field.
TEST(JobSpecTest, MalformedSpecNamesTheField) {
  struct Case {
    const char* path;  // a JSON pointer to change
    json value;        // null: remove
    const char* message;
  };
  const Case cases[] = {
      {"/id", nullptr, "job.id: missing"},
      {"/id", "17", "job.id: must be an integer"},
      {"/id", 0, "job.id: must be positive"},
      {"/workflow", nullptr, "job.workflow: missing"},
      {"/workflow", "ci.yml", "job.workflow: must be an object"},
      {"/workflow/yaml", nullptr, "job.workflow.yaml: missing"},
      {"/workflow/file", 3, "job.workflow.file: must be a string"},
      {"/job_id", nullptr, "job.job_id: missing"},
      {"/job_id", "", "job.job_id: must not be empty"},
      {"/github", nullptr, "job.github: missing"},
      {"/github", json::array(), "job.github: must be an object"},
      {"/matrix", "x", "job.matrix: must be an object"},
      {"/secrets/TOKEN", 5, "job.secrets.TOKEN: must be a string"},
      {"/vars", json::array(), "job.vars: must be an object"},
      {"/repository/sha", nullptr, "job.repository.sha: missing"},
      {"/repository/url", false, "job.repository.url: must be a string"},
      {"/instance", 1.5, "job.instance: must be an integer"},
  };
  for (const Case& c : cases) {
    json j = ValidSpec();
    json::json_pointer ptr(c.path);
    if (c.value.is_null()) {
      j[ptr.parent_pointer()].erase(ptr.back());
    } else {
      j[ptr] = c.value;
    }
    auto spec = ParseJobSpec(j);
    ASSERT_FALSE(spec.ok()) << c.path;
    EXPECT_EQ(spec.status().code(), core::StatusCode::kInvalidArgument) << c.path;
    EXPECT_EQ(spec.status().message().rfind(c.message, 0), 0u)
        << c.path << ": " << spec.status().message();
  }
}

TEST(JobSpecTest, NotJsonOrNotAnObject) {
  EXPECT_EQ(ParseJobSpecText("{").status().message(), "job: not valid JSON");
  EXPECT_EQ(ParseJobSpecText("[]").status().message(), "job: must be an object");
}

}  // namespace
}  // namespace gantry::executor
