#include "workflow/event_inputs.h"

#include <gtest/gtest.h>

#include "workflow/events.h"
#include "workflow/events_test_util.h"

namespace gantry::workflow {
namespace {

using testing::ParsedTriggers;

ParsedTriggers Parse(std::string_view yaml) { return testing::ParseOn(yaml); }

TEST(EventInputsTest, DispatchInputsOfEveryType) {
  auto p = Parse(R"(on:
  workflow_dispatch:
    inputs:
      name:
        description: Who
        required: true
        default: world
      verbose:
        type: boolean
        default: false
      count:
        type: number
        default: 3.5
      level:
        type: choice
        options: [low, high]
        default: high
      target:
        type: environment
      plain:
)");
  ASSERT_TRUE(p.diagnostics.empty()) << p.First();
  const EventTrigger* d = p.triggers.Find("workflow_dispatch");
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->inputs.size(), 6u);
  EXPECT_EQ(d->inputs[0].name, "name");
  EXPECT_EQ(d->inputs[0].type, "string");
  EXPECT_TRUE(d->inputs[0].required);
  EXPECT_EQ(d->inputs[0].default_value, "world");
  EXPECT_EQ(d->inputs[1].type, "boolean");
  EXPECT_EQ(d->inputs[1].default_value, "false");
  EXPECT_EQ(d->inputs[3].options, (std::vector<std::string>{"low", "high"}));
  EXPECT_EQ(d->inputs[4].type, "environment");
  EXPECT_FALSE(d->inputs[5].default_value.has_value());
}

TEST(EventInputsTest, DispatchNullAndEmptyInputs) {
  EXPECT_TRUE(Parse("on:\n  workflow_dispatch:\n    inputs:\n").diagnostics.empty());
  EXPECT_TRUE(Parse("on:\n  workflow_dispatch:\n").diagnostics.empty());
  EXPECT_TRUE(Parse("on: workflow_dispatch\n").diagnostics.empty());
}

TEST(EventInputsTest, DispatchUnknownKeys) {
  auto p = Parse(R"(on:
  workflow_dispatch:
    unknown_value: test
    inputs:
      name:
        another_unknown_value: 123
)");
  ASSERT_EQ(p.diagnostics.size(), 2u);
  EXPECT_EQ(p.diagnostics[0].pos.line, 3);
  EXPECT_EQ(p.diagnostics[0].pos.column, 5);
  EXPECT_EQ(p.diagnostics[1].pos.line, 6);
  EXPECT_EQ(p.diagnostics[1].pos.column, 9);
}

TEST(EventInputsTest, DispatchDefaultMustMatchType) {
  auto b = Parse(
      "on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: boolean\n"
      "        default: yes\n");
  ASSERT_EQ(b.diagnostics.size(), 1u);
  EXPECT_EQ(b.First(),
            "Default value 'yes' of input 'v' must be true or false, as the input is a "
            "boolean");
  EXPECT_EQ(b.FirstPos().line, 6);
  EXPECT_EQ(b.FirstPos().column, 18);
  auto n = Parse(
      "on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: number\n"
      "        default: teen\n");
  ASSERT_EQ(n.diagnostics.size(), 1u);
  auto c = Parse(
      "on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: choice\n"
      "        options: [a, b]\n        default: c\n");
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First(), "Default value 'c' of input 'v' is not one of its options: 'a', 'b'");
}

TEST(EventInputsTest, ChoiceNeedsOptionsAndOnlyChoiceTakesThem) {
  auto missing = Parse("on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: choice\n");
  ASSERT_EQ(missing.diagnostics.size(), 1u);
  EXPECT_EQ(missing.FirstPos().line, 4);
  auto empty = Parse(
      "on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: choice\n"
      "        options: []\n");
  ASSERT_EQ(empty.diagnostics.size(), 2u);  // at the input and at its empty options
  SortByPosition(empty.diagnostics);
  EXPECT_EQ(empty.diagnostics[1].pos.line, 6);
  EXPECT_EQ(empty.diagnostics[1].pos.column, 18);
  auto blank = Parse(
      "on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: choice\n"
      "        options: ['', a]\n");
  EXPECT_EQ(blank.diagnostics.size(), 1u);
  auto extra = Parse(
      "on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: string\n"
      "        options: [a]\n");
  ASSERT_EQ(extra.diagnostics.size(), 1u);
  EXPECT_NE(extra.First().find("only a 'choice' input takes options"), std::string::npos);
  auto dup = Parse(
      "on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: choice\n"
      "        options: [a, b, a]\n");
  ASSERT_EQ(dup.diagnostics.size(), 1u);
  EXPECT_EQ(dup.FirstPos().line, 6);
}

TEST(EventInputsTest, AtMost25DispatchInputs) {
  std::string yaml = "on:\n  workflow_dispatch:\n    inputs:\n";
  for (int i = 1; i <= 25; ++i) yaml += "      in" + std::to_string(i) + ":\n";
  EXPECT_TRUE(Parse(yaml).diagnostics.empty());
  auto p = Parse(yaml + "      in26:\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.First(), "workflow_dispatch accepts at most 25 inputs, but 26 are defined");
  EXPECT_EQ(p.FirstPos().line, 2);
}

TEST(EventInputsTest, InvalidTypeSuggests) {
  auto p = Parse("on:\n  workflow_dispatch:\n    inputs:\n      v:\n        type: bool\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.FirstPos().line, 5);
  EXPECT_EQ(p.FirstPos().column, 15);
  EXPECT_NE(p.First().find("did you mean 'boolean'"), std::string::npos);
}

TEST(EventInputsTest, InputNamesAreCaseInsensitive) {
  auto p = Parse("on:\n  workflow_dispatch:\n    inputs:\n      Foo:\n      foo:\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.FirstPos().line, 5);
}

TEST(EventInputsTest, CallInputsOutputsSecrets) {
  auto p = Parse(R"(on:
  workflow_call:
    inputs:
      app:
        type: string
        required: true
      debug:
        type: boolean
        default: ${{ github.event_name == 'push' }}
    outputs:
      url:
        description: where
        value: ${{ jobs.deploy.outputs.url }}
    secrets:
      token:
        required: true
      optional:
)");
  ASSERT_TRUE(p.diagnostics.empty()) << p.First();
  const EventTrigger* c = p.triggers.Find("workflow_call");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->inputs.size(), 2u);
  EXPECT_TRUE(c->inputs[0].required);
  ASSERT_EQ(c->outputs.size(), 1u);
  EXPECT_EQ(c->outputs[0].value, "${{ jobs.deploy.outputs.url }}");
  ASSERT_EQ(c->secrets.size(), 2u);
  EXPECT_TRUE(c->secrets[0].required);
  EXPECT_FALSE(c->secrets[1].required);
}

TEST(EventInputsTest, CallInputNeedsAType) {
  auto p =
      Parse("on:\n  workflow_call:\n    inputs:\n      a:\n      b:\n        description: x\n");
  ASSERT_EQ(p.diagnostics.size(), 2u);
  EXPECT_EQ(p.diagnostics[0].pos.line, 4);
  EXPECT_EQ(p.diagnostics[1].pos.line, 5);
  EXPECT_EQ(p.First().rfind("Required property is missing: type", 0), 0u);
}

TEST(EventInputsTest, CallInputRejectsDispatchOnlyTypesAndKeys) {
  auto p = Parse("on:\n  workflow_call:\n    inputs:\n      a:\n        type: choice\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.First().rfind("Unexpected value 'choice'", 0), 0u);
  auto q = Parse(
      "on:\n  workflow_call:\n    inputs:\n      a:\n        type: string\n"
      "        deprecationMessage: x\n");
  ASSERT_EQ(q.diagnostics.size(), 1u);
  EXPECT_EQ(q.FirstPos().line, 6);
  EXPECT_EQ(q.FirstPos().column, 9);
}

TEST(EventInputsTest, CallOutputNeedsValue) {
  auto p = Parse("on:\n  workflow_call:\n    outputs:\n      o:\n        description: foo\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.First(), "Required property is missing: value");
  EXPECT_EQ(p.FirstPos().line, 4);
  EXPECT_EQ(p.FirstPos().column, 7);
}

TEST(EventInputsTest, CallRequiredMustBeABoolean) {
  auto p = Parse(
      "on:\n  workflow_call:\n    inputs:\n      a:\n        type: string\n"
      "        required: yes\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.FirstPos().line, 6);
}

TEST(EventInputsTest, CallUnknownKeyAndDuplicateSecret) {
  auto p = Parse("on:\n  workflow_call:\n    secrets:\n      s:\n      S:\n    unknown:\n");
  ASSERT_EQ(p.diagnostics.size(), 2u);
}

TEST(EventInputsTest, ExpressionOnlyInCallDefaultsAndOutputValues) {
  auto p = Parse(
      "on:\n  workflow_dispatch:\n    inputs:\n      a:\n        default: ${{ github.ref }}\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.First(), "A template expression is not allowed in this context");
  auto q = Parse(
      "on:\n  workflow_call:\n    inputs:\n      a:\n        type: string\n"
      "        description: ${{ github.ref }}\n");
  EXPECT_EQ(q.diagnostics.size(), 1u);
}

TEST(EventInputsTest, LiteralTextClassifiers) {
  EXPECT_TRUE(IsBooleanText("true"));
  EXPECT_TRUE(IsBooleanText("FALSE"));
  EXPECT_FALSE(IsBooleanText("yes"));
  EXPECT_TRUE(IsNumberText("12"));
  EXPECT_TRUE(IsNumberText("-1.5e3"));
  EXPECT_TRUE(IsNumberText("0x1F"));
  EXPECT_TRUE(IsNumberText(".inf"));
  EXPECT_FALSE(IsNumberText(":1234"));
  EXPECT_FALSE(IsNumberText("1.2.3"));
  EXPECT_FALSE(IsNumberText(""));
}

}  // namespace
}  // namespace gantry::workflow
