#include "cli/exec_config.h"

#include <gtest/gtest.h>

#include <map>

namespace gantry::cli {
namespace {

using Pairs = NameValues;

workflow::TriggerInput Input(std::string name, std::string type, bool required = false,
                             std::optional<std::string> def = std::nullopt) {
  workflow::TriggerInput in;
  in.name = std::move(name);
  in.type = std::move(type);
  in.required = required;
  in.default_value = std::move(def);
  return in;
}

EnvLookup FakeEnv(const std::map<std::string, std::string>& vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(DotenvTest, ParsesBareQuotedAndExportedValues) {
  auto r = ParseDotenv(
      "# comment\nHELLO=WORLD\nexport A = spaced value # note\nQ=\"foo\\nbar\"\nS='a\\nb'\n\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r,
            (Pairs{{"HELLO", "WORLD"}, {"A", "spaced value"}, {"Q", "foo\nbar"}, {"S", "a\\nb"}}));
}

TEST(DotenvTest, KeepsJsonAndEqualsSignsInBareValues) {
  auto r = ParseDotenv("JSON_SECRET={\"foo\": \"bar\"}\nURL=a=b\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Pairs{{"JSON_SECRET", "{\"foo\": \"bar\"}"}, {"URL", "a=b"}}));
}

TEST(DotenvTest, DoubleQuotedValueMaySpanLines) {
  auto r = ParseDotenv("KEY=\"line1\nline2\"\nNEXT=1\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Pairs{{"KEY", "line1\nline2"}, {"NEXT", "1"}}));
}

TEST(DotenvTest, ReportsLineOfMalformedEntries) {
  auto r = ParseDotenv("A=1\nnot an assignment\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 2: expected NAME=VALUE");
  EXPECT_FALSE(ParseDotenv("A=\"open\n").ok());
}

TEST(SecretsTest, NameAloneTakesTheEnvironmentValue) {
  auto r = ResolveSecrets({"TOKEN", "B=2"}, {}, FakeEnv({{"TOKEN", "t0k"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Pairs{{"TOKEN", "t0k"}, {"B", "2"}}));
  auto missing = ResolveSecrets({"NOPE"}, {}, FakeEnv({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("$NOPE is not set"), std::string::npos);
}

TEST(SecretsTest, MissingSecretFileIsAnError) {
  EXPECT_FALSE(ResolveSecrets({}, {"/nonexistent/.secrets"}, FakeEnv({})).ok());
}

TEST(InputsTest, DefaultsAppliedAndGivenValuesWin) {
  std::vector<workflow::TriggerInput> decl = {Input("a", "string", false, "da"),
                                              Input("b", "boolean"), Input("c", "string")};
  auto r = ResolveInputs(decl, {{"c", "given"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->values, (Pairs{{"a", "da"}, {"b", "false"}, {"c", "given"}}));
  EXPECT_TRUE(r->warnings.empty());
}

TEST(InputsTest, TypesAreChecked) {
  std::vector<workflow::TriggerInput> decl = {Input("flag", "boolean"), Input("n", "number")};
  EXPECT_FALSE(ResolveInputs(decl, {{"flag", "yes"}}).ok());
  EXPECT_FALSE(ResolveInputs(decl, {{"n", "many"}}).ok());
  EXPECT_TRUE(ResolveInputs(decl, {{"flag", "true"}, {"n", "2.5"}}).ok());
  auto choice = Input("env", "choice");
  choice.options = {"dev", "prod"};
  EXPECT_FALSE(ResolveInputs({choice}, {{"env", "staging"}}).ok());
  EXPECT_TRUE(ResolveInputs({choice}, {{"env", "prod"}}).ok());
}

TEST(InputsTest, UndeclaredAndMissingRequiredInputsAreWarnings) {
  auto r = ResolveInputs({Input("NAME", "string", true)}, {{"SOME_INPUT", "input"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->values, (Pairs{{"SOME_INPUT", "input"}}));
  EXPECT_EQ(r->warnings.size(), 2u);
}

TEST(InputsTest, ContextTypesBooleansAndNumbers) {
  auto ctx = InputsContext({Input("b", "boolean"), Input("n", "number")},
                           {{"b", "true"}, {"n", "3"}, {"s", "x"}});
  EXPECT_TRUE(ctx.Find("b")->is_bool());
  EXPECT_TRUE(ctx.Find("b")->bool_value());
  EXPECT_EQ(ctx.Find("n")->number_value(), 3);
  EXPECT_EQ(ctx.Find("s")->string_value(), "x");
}

TEST(MatrixFilterTest, KeepsCombinationsWhoseFilteredKeysMatch) {
  auto f = ParseMatrixFilter({"node:8", "node:8.x", "os:ubuntu-18.04"});
  ASSERT_TRUE(f.ok());
  auto inst = [](expr::Object o) { return engine::MatrixInstance{expr::Value(std::move(o))}; };
  expr::Object a;
  a.Set("os", "ubuntu-18.04");
  a.Set("node", 8);
  expr::Object b;
  b.Set("os", "macos-latest");
  b.Set("node", 8);
  expr::Object c;
  c.Set("node", "8.x");
  expr::Object d;
  d.Set("node", "10.x");
  EXPECT_TRUE(MatrixInstanceSelected(*f, inst(a)));
  EXPECT_FALSE(MatrixInstanceSelected(*f, inst(b)));
  EXPECT_TRUE(MatrixInstanceSelected(*f, inst(c)));  // no os key: not filtered by os
  EXPECT_FALSE(MatrixInstanceSelected(*f, inst(d)));
  EXPECT_FALSE(ParseMatrixFilter({"nocolon"}).ok());
}

TEST(MatrixFilterTest, ADottedKeyFiltersANestedValue) {
  auto f = ParseMatrixFilter({"os.version:22"});
  ASSERT_TRUE(f.ok());
  auto inst = [](const std::string& version) {
    expr::Object os;
    os.Set("name", "ubuntu");
    os.Set("version", version);
    expr::Object o;
    o.Set("os", expr::Value(std::move(os)));
    return engine::MatrixInstance{expr::Value(std::move(o))};
  };
  EXPECT_TRUE(MatrixInstanceSelected(*f, inst("22")));
  EXPECT_FALSE(MatrixInstanceSelected(*f, inst("24")));
  std::set<std::string> keys;
  AddMatrixKeys(inst("22"), keys);
  EXPECT_EQ(keys, (std::set<std::string>{"os", "os.name", "os.version"}));
  EXPECT_TRUE(CheckMatrixFilterKeys(*f, keys).ok());
}

TEST(MatrixFilterTest, AKeyNoMatrixHasIsAnErrorListingTheKnownKeys) {
  auto f = ParseMatrixFilter({"OS:linux", "compiler:gcc"});
  ASSERT_TRUE(f.ok());
  core::Status s = CheckMatrixFilterKeys(*f, {"os", "version"});
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "--matrix compiler:gcc: no matrix of the jobs to run has a key 'compiler' (known keys: "
            "os, version)");
  EXPECT_EQ(CheckMatrixFilterKeys(*f, {}).message(),
            "--matrix OS:linux: no matrix of the jobs to run has a key 'OS' (none of them has a "
            "matrix)");
}

TEST(AssignmentTest, SplitsAtFirstEquals) {
  auto kv = SplitAssignment("A=b=c", "--var");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "A");
  EXPECT_EQ(kv->second, "b=c");
  EXPECT_FALSE(SplitAssignment("=x", "--var").ok());
  EXPECT_FALSE(SplitAssignment("x", "--var").ok());
}

}  // namespace
}  // namespace gantry::cli
