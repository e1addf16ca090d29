// Integration tests of GitHub's self-repository references under `gantry exec`:
// `uses: $/path` names the running repository at the running commit, exactly like `./path`,
// for a step's action and for a job's reusable workflow; and the root both resolve against.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "action_test_util.h"
#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kHelloAction = R"yaml(name: Hello
inputs:
  who:
    description: whom to greet
    default: world
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "hello from the same repository, ${{ inputs.who }}"
)yaml";

TEST(ExecSelfReferenceTest, DollarSlashActionRunsTheRepositorysOwnAction) {
  Project p;
  p.Write(".github/actions/hello/action.yml", kHelloAction);
  Finished f = RunCheckedOutJob(p,
                                "      - uses: $/.github/actions/hello\n"
                                "        with:\n          who: dollar\n"
                                "      - uses: ./.github/actions/hello\n"
                                "        with:\n          who: dot\n");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("hello from the same repository, dollar"));
  EXPECT_THAT(f.out, HasSubstr("hello from the same repository, dot"));
}

TEST(ExecSelfReferenceTest, DollarSlashReusableWorkflowIsCalledLikeALocalOne) {
  Project p;
  p.Write(".github/actions/hello/action.yml", kHelloAction);
  p.Workflow("lib.yml", R"yaml(on:
  workflow_call:
    inputs:
      who:
        type: string
        required: true
jobs:
  inner:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: $/.github/actions/hello
        with:
          who: ${{ inputs.who }}
)yaml");
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  call:
    uses: $/.github/workflows/lib.yml
    with:
      who: caller
)yaml");
  p.GitInit();
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("hello from the same repository, caller"));
}

TEST(ExecSelfReferenceTest, MissingLocalWorkflowNamesTheFileLookedFor) {
  Project p;
  p.Workflow("ci.yml", "on: push\njobs:\n  call:\n    uses: $/.github/workflows/gone.yml\n");
  p.GitInit();
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 2) << f.out << f.err;
  const std::string root = fs::canonical(p.root()).string();
  EXPECT_THAT(f.err, HasSubstr("Reusable workflow '$/.github/workflows/gone.yml' was not found: "
                               "no file '" +
                               root + "/.github/workflows/gone.yml'"));
}

TEST(ExecSelfReferenceTest, WorkflowOutsideDotGithubResolvesLocalCallsFromItsRepository) {
  Project p;
  p.Write("ci/pipeline.yml", "on: push\njobs:\n  call:\n    uses: ./lib/called.yml\n");
  p.Write("lib/called.yml",
          "on: workflow_call\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - run: echo called from lib\n");
  p.GitInit();
  Finished f = p.Run({"exec", "-W", "ci/pipeline.yml"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("called from lib"));
}

TEST(ExecSelfReferenceTest, ActionYamlInTheWorkflowsFolderRunsAsAWorkflow) {
  Project p;
  p.Workflow("action.yaml",
             "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
             "      - run: echo workflow named action.yaml\n");
  p.GitInit();
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("workflow named action.yaml"));
}

}  // namespace
}  // namespace gantry::exec_test
