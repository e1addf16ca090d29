// Integration tests of composite actions under `gantry exec`: local `uses: ./x`, nesting,
// inputs, outputs, conditions, failures, env and the action path, with the real binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "action_test_util.h"
#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A project whose workflow's first step checks the repository out, so that `uses: ./...`
// finds the actions committed with it.
class CompositeTest : public ::testing::Test {
 protected:
  void Action(const std::string& dir, const std::string& yaml) {
    p_.Write(fs::path(dir) / "action.yml", yaml);
  }
  Finished RunWorkflow(const std::string& steps, const std::vector<std::string>& extra = {}) {
    return RunCheckedOutJob(p_, steps, extra);
  }
  Project p_;
};

TEST_F(CompositeTest, InputsDefaultsRequiredAndExpressionsReachTheStepsAndOutputsMapBack) {
  Action("greet", R"yaml(name: Greet
inputs:
  who:
    description: whom to greet
    required: true
  greeting:
    description: the greeting
    default: Hello
  event:
    description: a default given by an expression
    default: ${{ github.event_name }}-${{ format('{0}', 3) }}
outputs:
  message:
    description: what was said
    value: ${{ steps.say.outputs.text }}
  constant:
    description: an output that is an expression of the inputs
    value: ${{ format('{0}!', inputs.who) }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      run: |
        echo "text=${{ inputs.greeting }} ${{ inputs.who }} (${{ inputs.event }})" >> "$GITHUB_OUTPUT"
        echo "inside: ${{ inputs.greeting }} ${{ inputs.who }}"
)yaml");
  Finished f = RunWorkflow(R"yaml(      - id: g
        uses: ./greet
        with:
          who: ${{ format('{0}-{1}', 'ada', 'lovelace') }}
      - run: echo "got [${{ steps.g.outputs.message }}] [${{ steps.g.outputs.constant }}]"
      - id: h
        uses: ./greet
        with:
          who: bob
          greeting: Bye
      - run: echo "second [${{ steps.h.outputs.message }}]"
)yaml");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("[job] inside: Hello ada-lovelace"));
  EXPECT_THAT(f.out, HasSubstr("got [Hello ada-lovelace (push-3)] [ada-lovelace!]"));
  EXPECT_THAT(f.out, HasSubstr("second [Bye bob (push-3)]"));
}

TEST_F(CompositeTest, MissingRequiredInputFailsTheStepNamingTheInputAndPlace) {
  Action("greet", R"yaml(inputs:
  who:
    required: true
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "never ran"
)yaml");
  Finished f = RunWorkflow(R"yaml(      - uses: ./greet
      - if: always()
        run: echo "after the failure"
)yaml");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out,
              testing::ContainsRegex(
                  "\\.github/workflows/ci\\.yml:7:[0-9]+: Input required and not supplied: who"));
  EXPECT_THAT(f.out, Not(HasSubstr("never ran")));
  EXPECT_THAT(f.out, HasSubstr("after the failure"));
}

TEST_F(CompositeTest, ThreeNestedLevelsPassInputsDownAndOutputsUpWithTheirOwnActionPath) {
  Action("outer", R"yaml(inputs:
  value: {required: true}
outputs:
  result: {value: "${{ steps.mid.outputs.result }}"}
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "outer path=$GITHUB_ACTION_PATH expr=${{ github.action_path }}"
    - id: mid
      uses: ./middle
      with:
        value: ${{ inputs.value }}-outer
    - shell: bash
      run: echo "outer again path=$GITHUB_ACTION_PATH mid=${{ steps.mid.outputs.result }}"
)yaml");
  Action("middle", R"yaml(inputs:
  value: {required: true}
outputs:
  result: {value: "${{ steps.in.outputs.result }}"}
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "middle path=$GITHUB_ACTION_PATH expr=${{ github.action_path }}"
    - id: in
      uses: ./inner
      with:
        value: ${{ inputs.value }}-middle
)yaml");
  Action("inner", R"yaml(inputs:
  value: {required: true}
outputs:
  result: {value: "${{ steps.make.outputs.result }}"}
runs:
  using: composite
  steps:
    - id: make
      shell: bash
      run: |
        echo "inner path=$GITHUB_ACTION_PATH expr=${{ github.action_path }}"
        echo "result=${{ inputs.value }}-inner" >> "$GITHUB_OUTPUT"
)yaml");
  Finished f = RunWorkflow(R"yaml(      - id: o
        uses: ./outer
        with:
          value: top
      - run: echo "final=${{ steps.o.outputs.result }} outside=[${{ github.action_path }}]"
)yaml");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("final=top-outer-middle-inner outside=[]"));
  EXPECT_THAT(f.out, HasSubstr("mid=top-outer-middle-inner"));
  for (const char* level : {"outer", "middle", "inner"}) {
    std::string suffix = std::string("/project/project/") + level;
    EXPECT_THAT(f.out, HasSubstr(suffix + " expr=")) << level << "\n" << f.out;
    EXPECT_THAT(f.out, testing::ContainsRegex(std::string(level) + " path=/[^ ]*" + suffix +
                                              " expr=/[^ ]*" + suffix + "\n"))
        << f.out;
  }
  // Back in the outer action after the nested ones, its own path again.
  EXPECT_THAT(f.out, testing::ContainsRegex("outer again path=/[^ ]*/project/project/outer mid="));
}

TEST_F(CompositeTest, InnerIfConditionsSeeInputsAndTheCompositesOwnStatus) {
  Action("cond", R"yaml(inputs:
  flag: {default: "no"}
runs:
  using: composite
  steps:
    - if: inputs.flag == 'yes'
      shell: bash
      run: echo "flag step ran"
    - if: inputs.flag != 'yes'
      shell: bash
      run: echo "other step ran"
    - if: failure()
      shell: bash
      run: echo "failure handler ran"
    - if: success()
      shell: bash
      run: echo "success step ran"
)yaml");
  Finished f = RunWorkflow(R"yaml(      - uses: ./cond
        with:
          flag: ${{ github.event_name == 'push' && 'yes' || 'no' }}
)yaml");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("flag step ran"));
  EXPECT_THAT(f.out, HasSubstr("success step ran"));
  EXPECT_THAT(f.out, Not(HasSubstr("other step ran")));
  EXPECT_THAT(f.out, Not(HasSubstr("failure handler ran")));
}

TEST_F(CompositeTest, AFailingInnerStepSkipsTheRestAndFailsTheCallingStep) {
  Action("breaks", R"yaml(outputs:
  early: {value: "${{ steps.first.outputs.v }}"}
runs:
  using: composite
  steps:
    - id: first
      shell: bash
      run: echo "v=set-before" >> "$GITHUB_OUTPUT"
    - shell: bash
      run: |
        echo "about to fail"
        exit 4
    - shell: bash
      run: echo "after the failure inside"
    - if: failure()
      shell: bash
      run: echo "inner failure handler"
)yaml");
  Finished f = RunWorkflow(R"yaml(      - id: b
        name: Breaking composite
        uses: ./breaks
      - run: echo "next top step"
      - if: always()
        run: echo "outcome=${{ steps.b.outcome }} conclusion=${{ steps.b.conclusion }} early=${{ steps.b.outputs.early }}"
)yaml");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("about to fail"));
  EXPECT_THAT(f.out, Not(HasSubstr("after the failure inside")));
  EXPECT_THAT(f.out, HasSubstr("inner failure handler"));
  EXPECT_THAT(f.out, Not(HasSubstr("next top step")));
  EXPECT_THAT(f.out, HasSubstr("outcome=failure conclusion=failure early=set-before"));
  size_t summary = f.out.find("Summary:");
  ASSERT_NE(summary, std::string::npos) << f.out;
  EXPECT_THAT(f.out.substr(summary), HasSubstr("Breaking composite"));
}

TEST_F(CompositeTest, ContinueOnErrorInsideACompositeKeepsItGoing) {
  Action("tolerant", R"yaml(outputs:
  seen: {value: "${{ steps.bad.outcome }}/${{ steps.bad.conclusion }}"}
runs:
  using: composite
  steps:
    - id: bad
      continue-on-error: true
      shell: bash
      run: exit 7
    - shell: bash
      run: echo "inner saw ${{ steps.bad.outcome }}/${{ steps.bad.conclusion }} ${{ job.status }}"
)yaml");
  Finished f = RunWorkflow(R"yaml(      - id: t
        uses: ./tolerant
      - run: echo "caller saw ${{ steps.t.outcome }} ${{ steps.t.outputs.seen }}"
)yaml");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("inner saw failure/success success"));
  EXPECT_THAT(f.out, HasSubstr("caller saw success failure/success"));
}

TEST_F(CompositeTest, CallerEnvIsVisibleInsideOnlyAndGithubEnvWrittenInsideStays) {
  Action("envs", R"yaml(runs:
  using: composite
  steps:
    - shell: bash
      run: |
        echo "inside var=$CALLER_VAR ctx=${{ env.CALLER_VAR }} job=$JOB_VAR"
        echo "FROM_INSIDE=written-inside" >> "$GITHUB_ENV"
    - shell: bash
      run: echo "next inner sees ${FROM_INSIDE:-nothing} ${{ env.FROM_INSIDE }}"
    - shell: bash
      env:
        CALLER_VAR: inner-override
      run: echo "inner step env=$CALLER_VAR"
)yaml");
  p_.Workflow("ci.yml", R"yaml(on: push
env:
  JOB_VAR: workflow-level
jobs:
  job:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./envs
        env:
          CALLER_VAR: from-caller
      - run: |
          echo "after var=[${CALLER_VAR:-}] ctx=[${{ env.CALLER_VAR }}]"
          echo "after inside=$FROM_INSIDE ctx=${{ env.FROM_INSIDE }}"
)yaml");
  p_.GitInit();
  Finished f = p_.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("inside var=from-caller ctx=from-caller job=workflow-level"));
  EXPECT_THAT(f.out, HasSubstr("next inner sees written-inside written-inside"));
  EXPECT_THAT(f.out, HasSubstr("inner step env=inner-override"));
  EXPECT_THAT(f.out, HasSubstr("after var=[] ctx=[]"));
  EXPECT_THAT(f.out, HasSubstr("after inside=written-inside ctx=written-inside"));
}

TEST_F(CompositeTest, PathAddedInsideServesLaterStepsAndTheCallersStepsAreNotVisible) {
  Action("tool", R"yaml(runs:
  using: composite
  steps:
    - shell: bash
      run: |
        mkdir -p "$RUNNER_TEMP/tools"
        printf '#!/bin/sh\necho "mytool ran"\n' > "$RUNNER_TEMP/tools/mytool"
        chmod +x "$RUNNER_TEMP/tools/mytool"
        echo "$RUNNER_TEMP/tools" >> "$GITHUB_PATH"
    - shell: bash
      run: mytool
    - if: steps.first.outcome == 'success'
      shell: bash
      run: echo "inner step saw the caller's steps"
)yaml");
  Finished f = RunWorkflow(R"yaml(      - id: first
        run: echo "first"
      - uses: ./tool
      - run: mytool && echo "outside too"
)yaml");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("mytool ran"));
  EXPECT_THAT(f.out, HasSubstr("outside too"));
  EXPECT_THAT(f.out, Not(HasSubstr("inner step saw the caller's steps")));
}

TEST_F(CompositeTest, AnActionThatUsesItselfStopsAtTheDepthLimit) {
  Action("loop", R"yaml(runs:
  using: composite
  steps:
    - shell: bash
      run: echo "one more level"
    - uses: ./loop
)yaml");
  Finished f = RunWorkflow(R"yaml(      - uses: ./loop
      - if: always()
        run: echo "after the loop"
)yaml");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("composite actions are nested more than 10 levels deep"));
  EXPECT_THAT(f.out, HasSubstr("after the loop"));
  size_t levels = 0;
  for (size_t at = f.out.find("one more level"); at != std::string::npos;
       at = f.out.find("one more level", at + 1)) {
    ++levels;
  }
  EXPECT_EQ(levels, 10u);
}

TEST_F(CompositeTest, MissingLocalActionFailsTheStepWithItsPath) {
  Finished f = RunWorkflow(R"yaml(      - uses: ./nowhere
      - if: always()
        run: echo "still here"
)yaml");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under '"));
  EXPECT_THAT(f.out, HasSubstr("/project/project/nowhere'"));
  EXPECT_THAT(f.out, HasSubstr("still here"));
}

TEST_F(CompositeTest, SecretsGivenAsInputsAreMaskedInsideTheComposite) {
  Action("leaky", R"yaml(inputs:
  token: {required: true}
outputs:
  echoed: {value: "${{ steps.e.outputs.t }}"}
runs:
  using: composite
  steps:
    - id: e
      shell: bash
      run: |
        echo "input=${{ inputs.token }}"
        echo "env=$TOKEN_ENV"
        echo "t=${{ inputs.token }}" >> "$GITHUB_OUTPUT"
      env:
        TOKEN_ENV: ${{ inputs.token }}
)yaml");
  Finished f = RunWorkflow(R"yaml(      - id: l
        name: Leak ${{ secrets.MY_TOKEN }}
        uses: ./leaky
        with:
          token: ${{ secrets.MY_TOKEN }}
      - run: echo "outside=${{ steps.l.outputs.echoed }}"
)yaml",
                           {"--secret", "MY_TOKEN=hunter2-very-secret"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out + f.err, Not(HasSubstr("hunter2-very-secret")));
  EXPECT_THAT(f.out, HasSubstr("input=***"));
  EXPECT_THAT(f.out, HasSubstr("env=***"));
  EXPECT_THAT(f.out, HasSubstr("outside=***"));
}

}  // namespace
}  // namespace gantry::exec_test
