// `gantry workflow` and `gantry pattern` against the shared test server: dispatch with inputs
// (the run is awaited and its log read), list/view, patterns written into a git repository.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "client_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST_F(ClientTest, WorkflowRunDispatchesWithInputs) {
  std::string name = SignUpCli("wf");
  GitRepo repo(home_ + "/repo");
  repo.Write(".github/workflows/greet.yml", kDispatchWorkflow);
  repo.Commit("initial");
  std::string project = name + "/svc";
  ASSERT_EQ(Gantry("project add " + project + " --repo " + Quote(repo.remote())).code, 0);

  Cli bad = Gantry("workflow run greet.yml -f oops -p " + project);
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err, "gantry: -f 'oops' is not KEY=VALUE\n");
  Cli run = Gantry("workflow run greet.yml --ref main -f greeting=bonjour -p " + project);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, StartsWith("✓ Created workflow_dispatch event for greet.yml at main: run "));
  size_t at = run.out.find(": run ");
  int64_t id = std::atoll(run.out.c_str() + at + 6);
  ASSERT_GT(id, 0) << run.out;
  User as{name, StoredToken()};
  json done = WaitRun(as, id);
  EXPECT_EQ(done.value("event", ""), "workflow_dispatch");
  EXPECT_EQ(done["inputs"], (json{{"greeting", "bonjour"}}));
  EXPECT_EQ(done.value("conclusion", ""), "success") << done.dump(2);
  if (const json* job = JobNamed(done, "say")) {
    EXPECT_THAT(JobLog(as, *job), HasSubstr("greeting=bonjour"));
  } else {
    ADD_FAILURE() << done.dump(2);
  }
  Cli missing = Gantry("workflow run nope.yml -p " + project);
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, StartsWith("gantry: "));
  EXPECT_THAT(missing.err, HasSubstr("not found"));
}

// Needs GET /api/v1/projects/{o}/{n}/workflows[/{file}] (the GitHub-compatible API work).
TEST_F(ClientTest, WorkflowListAndView) {
  std::string name = SignUpCli("wfl");
  GitRepo repo(home_ + "/repo");
  repo.Write(".github/workflows/greet.yml", kDispatchWorkflow);
  repo.Commit("initial");
  std::string project = name + "/lst";
  ASSERT_EQ(Gantry("project add " + project + " --repo " + Quote(repo.remote())).code, 0);
  Cli list = Gantry("workflow list -p " + project);
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, StartsWith("Greet\tactive\t"));
  EXPECT_THAT(list.out, HasSubstr("\t.github/workflows/greet.yml\n"));
  Cli json_list = Gantry("workflow list --json name,path -p " + project);
  EXPECT_EQ(json::parse(json_list.out, nullptr, false),
            (json{{{"name", "Greet"}, {"path", ".github/workflows/greet.yml"}}}))
      << json_list.out;
  Cli view = Gantry("workflow view greet.yml -p " + project);
  EXPECT_EQ(view.code, 0) << view.err;
  EXPECT_THAT(view.out, StartsWith("Greet - greet.yml\nID: "));
  Cli yaml = Gantry("workflow view greet.yml --yaml -p " + project);
  EXPECT_EQ(yaml.out, kDispatchWorkflow);
  Cli by_name = Gantry("workflow run Greet -p " + project);
  EXPECT_EQ(by_name.code, 0) << by_name.err;
  EXPECT_THAT(by_name.out, HasSubstr("for greet.yml"));
  Cli missing = Gantry("workflow view nope.yml -p " + project);
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err,
            "gantry: workflow nope.yml in project " + project + " not found on " + Url() + "\n");
}

TEST_F(ClientTest, PatternListViewApplyRefusesToOverwrite) {
  SignUpCli("pat");
  Cli list = Gantry("pattern list");
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_THAT("\n" + list.out, HasSubstr("\nnode\t"));
  Cli names = Gantry("pattern list --json name");
  json parsed = json::parse(names.out, nullptr, false);
  ASSERT_TRUE(parsed.is_array()) << names.out;
  EXPECT_THAT(parsed.dump(), HasSubstr(R"({"name":"node"})"));

  HttpReply node = Http("GET", Url() + "/api/v1/patterns/node", "", g_env->admin.Auth());
  std::string yaml = node.Json().value("workflow", "");
  ASSERT_FALSE(yaml.empty()) << node.body;
  Cli view = Gantry("pattern view node");
  EXPECT_EQ(view.code, 0) << view.err;
  EXPECT_THAT(view.out, StartsWith("node - "));
  EXPECT_THAT(view.out, HasSubstr(yaml));

  std::string repo = home_ + "/cwd/app";
  Sh("git init -q " + Quote(repo) + " && mkdir -p " + Quote(repo + "/src"));
  Cli apply = Gantry("pattern apply node", "", "", repo + "/src");
  EXPECT_EQ(apply.code, 0) << apply.err;
  std::string file = repo + "/.github/workflows/node.yml";
  EXPECT_THAT(apply.out, StartsWith("✓ Wrote " + file + "\n"));
  EXPECT_EQ(ReadAll(file), yaml + (yaml.back() == '\n' ? "" : "\n"));
  std::ofstream(file) << "# mine\n";
  Cli refused = Gantry("pattern apply node", "", "", repo);
  EXPECT_EQ(refused.code, 1);
  EXPECT_EQ(refused.err, "gantry: " + file + " exists: pass --force to overwrite it\n");
  EXPECT_EQ(ReadAll(file), "# mine\n");
  Cli forced = Gantry("pattern apply node --force", "", "", repo);
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_THAT(ReadAll(file), HasSubstr(yaml.substr(0, 20)));
  Cli outside = Gantry("pattern apply node", "", "", home_);
  EXPECT_EQ(outside.code, 1);
  EXPECT_EQ(outside.err, "gantry: not in a git repository: run it inside one or pass --dir DIR\n");
  Cli unknown = Gantry("pattern view no-such-pattern");
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.err, "gantry: pattern no-such-pattern not found on " + Url() + "\n");
}

}  // namespace
}  // namespace gantry::testing
