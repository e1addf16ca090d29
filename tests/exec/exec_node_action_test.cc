// Integration tests of node actions under `gantry exec`: INPUT_* and $GITHUB_OUTPUT, post
// stages (order, STATE_*, failures), required inputs and secret masking. They need `node`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "action_test_util.h"
#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// An action whose main prints its inputs, sets an output and saves state, and whose post
// stage prints the state back (and fails when the input `fail-post` is "true").
const char kMainJs[] = R"js(const fs = require('fs');
const who = process.env['INPUT_WHO'];
const label = process.env['INPUT_LABEL'];
console.log(`main ${label} who=${who} dashed=${process.env['INPUT_SOME-OPTION']}`);
fs.appendFileSync(process.env.GITHUB_OUTPUT, `greeting=hi ${who}\n`);
fs.appendFileSync(process.env.GITHUB_STATE, `saved=${label}-state\n`);
)js";
const char kPostJs[] =
    R"js(console.log(`post ${process.env['INPUT_LABEL']} state=${process.env['STATE_saved']} who=${process.env['INPUT_WHO']}`);
if (process.env['INPUT_FAIL-POST'] === 'true') {
  console.log('post is failing');
  process.exit(3);
}
)js";
const char kActionYml[] = R"yaml(name: Node greeter
inputs:
  who: {required: true}
  label: {required: true}
  some-option: {default: dflt}
  fail-post: {default: "false"}
outputs:
  greeting: {description: the greeting}
runs:
  using: node20
  main: main.js
  post: post.js
)yaml";

class NodeActionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveNode()) GTEST_SKIP() << "node is not on PATH";
    for (const char* dir : {"first", "second"}) {
      p_.Write(fs::path(dir) / "action.yml", kActionYml);
      p_.Write(fs::path(dir) / "main.js", kMainJs);
      p_.Write(fs::path(dir) / "post.js", kPostJs);
    }
  }
  Finished RunWorkflow(const std::string& steps, const std::vector<std::string>& extra = {}) {
    return RunCheckedOutJob(p_, steps, extra);
  }
  Project p_;
};

TEST_F(NodeActionTest, MainReadsInputsAndWritesOutputsPostStagesRunLastInReverse) {
  Finished f = RunWorkflow(R"yaml(      - id: a
        uses: ./first
        with:
          who: ${{ github.event_name }}-user
          label: A
      - id: b
        uses: ./second
        with:
          who: bee
          label: B
          some-option: given
      - run: echo "last main step a=[${{ steps.a.outputs.greeting }}] b=[${{ steps.b.outputs.greeting }}]"
)yaml");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("main A who=push-user dashed=dflt"));
  EXPECT_THAT(f.out, HasSubstr("main B who=bee dashed=given"));
  EXPECT_THAT(f.out, HasSubstr("last main step a=[hi push-user] b=[hi bee]"));
  size_t last = f.out.find("last main step");
  size_t post_b = f.out.find("post B state=B-state");
  size_t post_a = f.out.find("post A state=A-state");
  ASSERT_NE(post_a, std::string::npos) << f.out;
  ASSERT_NE(post_b, std::string::npos) << f.out;
  EXPECT_LT(last, post_b);
  EXPECT_LT(post_b, post_a);
}

TEST_F(NodeActionTest, AFailingPostStageFailsTheJobAfterTheOtherPostsRan) {
  Finished f = RunWorkflow(R"yaml(      - uses: ./first
        with:
          who: x
          label: A
      - name: Breaking post
        uses: ./second
        with:
          who: y
          label: B
          fail-post: true
      - run: echo "main steps done"
)yaml");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("main steps done"));
  EXPECT_THAT(f.out, HasSubstr("post is failing"));
  // The other action's post stage (always() by default) still runs after the failure.
  size_t failing = f.out.find("post is failing");
  size_t post_a = f.out.find("post A state=A-state");
  ASSERT_NE(post_a, std::string::npos) << f.out;
  EXPECT_LT(failing, post_a);
  size_t summary = f.out.find("Summary:");
  ASSERT_NE(summary, std::string::npos) << f.out;
  EXPECT_THAT(f.out.substr(summary), HasSubstr("failure"));
  EXPECT_THAT(f.out.substr(summary), HasSubstr("Post Breaking post"));
}

TEST_F(NodeActionTest, AFailingMainStillRunsItsPostAndFailsTheJob) {
  p_.Write("crash/action.yml", R"yaml(runs:
  using: node20
  main: main.js
  post: post.js
)yaml");
  p_.Write("crash/main.js", R"js(require('fs').appendFileSync(process.env.GITHUB_STATE, 'k=v\n');
throw new Error('main blew up');
)js");
  p_.Write("crash/post.js", "console.log(`crash post state=${process.env.STATE_k}`);\n");
  Finished f = RunWorkflow(R"yaml(      - uses: ./crash
      - run: echo "never printed"
)yaml");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("main blew up"));
  EXPECT_THAT(f.out, Not(HasSubstr("never printed")));
  EXPECT_THAT(f.out, HasSubstr("crash post state=v"));
}

TEST_F(NodeActionTest, MissingRequiredInputIsLocatedAndNamed) {
  Finished f = RunWorkflow(R"yaml(      - run: echo "before"
      - uses: ./first
        with:
          label: only-label
)yaml");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out,
              testing::ContainsRegex(
                  "\\.github/workflows/ci\\.yml:8:[0-9]+: Input required and not supplied: who"));
  EXPECT_THAT(f.out, Not(HasSubstr("main only-label")));
  // The action never ran its main, so no post stage was queued.
  EXPECT_THAT(f.out, Not(HasSubstr("post only-label")));
}

TEST_F(NodeActionTest, SecretInputsAreMaskedInTheActionsOutput) {
  Finished f = RunWorkflow(R"yaml(      - id: s
        uses: ./first
        with:
          who: ${{ secrets.API_KEY }}
          label: S
      - run: echo "greeting=${{ steps.s.outputs.greeting }}"
)yaml",
                           {"--secret", "API_KEY=zx-secret-value-42"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out + f.err, Not(HasSubstr("zx-secret-value-42")));
  EXPECT_THAT(f.out, HasSubstr("main S who=***"));
  EXPECT_THAT(f.out, HasSubstr("greeting=hi ***"));
  EXPECT_THAT(f.out, HasSubstr("post S state=S-state who=***"));
}

}  // namespace
}  // namespace gantry::exec_test
