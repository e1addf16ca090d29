#include "engine/workflow_commands.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace gantry::engine {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

WorkflowCommand MustParse(std::string_view line) {
  std::optional<WorkflowCommand> c = ParseWorkflowCommand(line);
  EXPECT_TRUE(c.has_value()) << line;
  return c.value_or(WorkflowCommand{});
}

TEST(WorkflowCommandTest, ParsesEveryRunnerCommand) {
  for (const char* name : {"add-mask", "group", "endgroup", "error", "warning", "notice", "debug",
                           "stop-commands", "set-output", "set-env", "add-path", "save-state",
                           "echo", "add-matcher", "remove-matcher"}) {
    WorkflowCommand c = MustParse(std::string("::") + name + "::data");
    EXPECT_EQ(c.name, name);
    EXPECT_EQ(c.message, "data");
  }
}

TEST(WorkflowCommandTest, PlainLinesAndUnknownCommandsAreNotCommands) {
  EXPECT_FALSE(ParseWorkflowCommand("hello world"));
  EXPECT_FALSE(ParseWorkflowCommand(""));
  EXPECT_FALSE(ParseWorkflowCommand("::unknown::x"));
  EXPECT_FALSE(ParseWorkflowCommand("::error"));
  EXPECT_FALSE(ParseWorkflowCommand(":: error::x"));
  EXPECT_FALSE(ParseWorkflowCommand("x ::error::y"));
}

TEST(WorkflowCommandTest, NamesAreCaseInsensitiveAndLowerCased) {
  WorkflowCommand c = MustParse("::ADD-Mask::value");
  EXPECT_EQ(c.name, "add-mask");
  EXPECT_EQ(c.message, "value");
}

TEST(WorkflowCommandTest, LeadingWhitespaceAndTrailingCarriageReturnAreIgnored) {
  WorkflowCommand c = MustParse("  \t::debug::msg\r");
  EXPECT_EQ(c.name, "debug");
  EXPECT_EQ(c.message, "msg");
}

TEST(WorkflowCommandTest, ParsesAnnotationProperties) {
  WorkflowCommand c = MustParse(
      "::error file=app.js,line=10,col=15,endLine=12,endColumn=3,title=Bad thing::Something "
      "failed");
  EXPECT_EQ(c.name, "error");
  EXPECT_EQ(c.message, "Something failed");
  EXPECT_EQ(c.properties, (Pairs{{"file", "app.js"},
                                 {"line", "10"},
                                 {"col", "15"},
                                 {"endLine", "12"},
                                 {"endColumn", "3"},
                                 {"title", "Bad thing"}}));
  ASSERT_NE(c.Property("ENDLINE"), nullptr);
  EXPECT_EQ(*c.Property("endline"), "12");
  EXPECT_EQ(c.Property("missing"), nullptr);
}

TEST(WorkflowCommandTest, PropertyListIsSplitAsTheRunnerSplitsIt) {
  // Empty items, items without a value or key are dropped; a value keeps later '='; a
  // repeated key (any case) keeps its first spelling with the last value.
  WorkflowCommand c = MustParse("::warning  a=1,,b=,=c,d=x=y,A=2 ::m");
  EXPECT_EQ(c.properties, (Pairs{{"a", "2"}, {"d", "x=y"}}));
  // A space after a comma belongs to the next key, as on GitHub.
  WorkflowCommand spaced = MustParse("::notice file=a, line=3::m");
  EXPECT_EQ(spaced.properties, (Pairs{{"file", "a"}, {" line", "3"}}));
}

TEST(WorkflowCommandTest, UnescapesMessage) {
  WorkflowCommand c = MustParse("::warning::50%25 done%0Anext line%0Dcr %3A%2C stay");
  EXPECT_EQ(c.message, "50% done\nnext line\rcr %3A%2C stay");
}

TEST(WorkflowCommandTest, UnescapesProperties) {
  WorkflowCommand c = MustParse("::error title=a%3Ab%2Cc%25d%0Ae%0Df::m");
  EXPECT_EQ(*c.Property("title"), "a:b,c%d\ne\rf");
}

TEST(WorkflowCommandTest, EscapedPercentIsNotUnescapedTwice) {
  EXPECT_EQ(MustParse("::debug::%250A").message, "%0A");
  EXPECT_EQ(*MustParse("::debug t=%253A::x").Property("t"), "%3A");
}

TEST(WorkflowCommandTest, MessageMayContainDoubleColons) {
  WorkflowCommand c = MustParse("::set-output name=x::a::b");
  EXPECT_EQ(c.name, "set-output");
  EXPECT_EQ(*c.Property("name"), "x");
  EXPECT_EQ(c.message, "a::b");
}

TEST(WorkflowCommandTest, EmptyMessage) {
  WorkflowCommand c = MustParse("::endgroup::");
  EXPECT_EQ(c.name, "endgroup");
  EXPECT_EQ(c.message, "");
  EXPECT_TRUE(c.properties.empty());
}

TEST(WorkflowCommandTest, LegacyBracketFormIsAccepted) {
  WorkflowCommand c = MustParse("prefix ##[error file=a.c;line=3]bad%5D%3B");
  EXPECT_EQ(c.name, "error");
  EXPECT_EQ(c.properties, (Pairs{{"file", "a.c"}, {"line", "3"}}));
  EXPECT_EQ(c.message, "bad];");
  EXPECT_EQ(MustParse("##[group]Build").name, "group");
  EXPECT_FALSE(ParseWorkflowCommand("##[nope]x"));
}

TEST(CommandGateTest, StopCommandsSuspendsUntilToken) {
  CommandGate gate;
  std::optional<WorkflowCommand> stop = gate.Process("::stop-commands::pause-123");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->name, "stop-commands");
  EXPECT_EQ(stop->message, "pause-123");
  EXPECT_TRUE(gate.stopped());
  EXPECT_FALSE(gate.Process("::add-mask::not-a-secret"));
  EXPECT_FALSE(gate.Process("::stop-commands::other"));
  EXPECT_FALSE(gate.Process("::other::"));
  EXPECT_TRUE(gate.stopped());
  EXPECT_FALSE(gate.Process("::PAUSE-123::"));  // the resume line itself is not a command
  EXPECT_FALSE(gate.stopped());
  std::optional<WorkflowCommand> after = gate.Process("::add-mask::secret");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->name, "add-mask");
}

TEST(CommandGateTest, PlainLinesPassThrough) {
  CommandGate gate;
  EXPECT_FALSE(gate.Process("echo"));
  std::optional<WorkflowCommand> c = gate.Process("::group::Title");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->message, "Title");
}

TEST(CommandGateTest, EmptyTokenStopsForGood) {
  CommandGate gate;
  ASSERT_TRUE(gate.Process("::stop-commands::"));
  EXPECT_FALSE(gate.Process("::::"));
  EXPECT_FALSE(gate.Process("::debug::x"));
  EXPECT_TRUE(gate.stopped());
}

TEST(ParseEnvFileTest, ParsesNameValueLines) {
  auto r = ParseEnvFile("A=1\n\nB=x=y\nC=\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (Pairs{{"A", "1"}, {"B", "x=y"}, {"C", ""}}));
}

TEST(ParseEnvFileTest, LastLineWithoutNewline) {
  auto r = ParseEnvFile("A=1\nB=2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Pairs{{"A", "1"}, {"B", "2"}}));
}

TEST(ParseEnvFileTest, ParsesHeredoc) {
  auto r = ParseEnvFile("JSON<<EOF\n{\n  \"a\": 1\n}\nEOF\nNEXT=ok\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (Pairs{{"JSON", "{\n  \"a\": 1\n}"}, {"NEXT", "ok"}}));
}

TEST(ParseEnvFileTest, HeredocEmptyValueAndEmptyLines) {
  auto r = ParseEnvFile("E<<X\nX\nF<<X\n\n\nX");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (Pairs{{"E", ""}, {"F", "\n"}}));
}

TEST(ParseEnvFileTest, HeredocValueMayContainEqualsAndDelimiterText) {
  auto r = ParseEnvFile("V<<END\nA=B\nEND2\n xEND\nEND\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Pairs{{"V", "A=B\nEND2\n xEND"}}));
}

TEST(ParseEnvFileTest, EqualsBeforeHeredocMarkerIsANameValueLine) {
  auto r = ParseEnvFile("A=b<<c\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Pairs{{"A", "b<<c"}}));
  auto h = ParseEnvFile("A<<=\nv\n=\n");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, (Pairs{{"A", "v"}}));
}

TEST(ParseEnvFileTest, MissingDelimiterIsReportedAsTheRunnerDoes) {
  auto r = ParseEnvFile("NAME<<EOF\nvalue\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "Invalid value. Matching delimiter not found 'EOF'");
}

TEST(ParseEnvFileTest, DelimiterGluedToLastValueLineIsNotFound) {
  auto r = ParseEnvFile("NAME<<EOF\ncontentEOF\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Invalid value. Matching delimiter not found 'EOF'");
}

TEST(ParseEnvFileTest, UnterminatedValueLineAtEndOfFile) {
  auto r = ParseEnvFile("NAME<<EOF\nvalue");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Invalid value. EOF marker missing new line.");
}

TEST(ParseEnvFileTest, InvalidLinesAreReportedAsTheRunnerDoes) {
  EXPECT_EQ(ParseEnvFile("JUSTANAME\n").status().message(), "Invalid format 'JUSTANAME'");
  EXPECT_EQ(ParseEnvFile("=value\n").status().message(),
            "Invalid format '=value'. Name must not be empty");
  EXPECT_EQ(ParseEnvFile("<<EOF\nx\nEOF\n").status().message(),
            "Invalid format '<<EOF'. Name must not be empty and delimiter must not be empty");
  EXPECT_EQ(ParseEnvFile("NAME<<\n").status().message(),
            "Invalid format 'NAME<<'. Name must not be empty and delimiter must not be empty");
}

TEST(ParseEnvFileTest, CrlfKeepsCarriageReturnsAsOnTheLinuxRunner) {
  auto r = ParseEnvFile("A=1\r\nB<<EOF\r\nx\r\ny\r\nEOF\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (Pairs{{"A", "1\r"}, {"B", "x\r\ny\r"}}));
  // A CRLF heredoc header with an LF-only closing line does not match its delimiter.
  EXPECT_EQ(ParseEnvFile("B<<EOF\r\nx\nEOF\n").status().message(),
            "Invalid value. Matching delimiter not found 'EOF\r'");
}

TEST(ParseEnvFileTest, Utf8BomIsSkipped) {
  auto r = ParseEnvFile("\xEF\xBB\xBFKEY=v\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Pairs{{"KEY", "v"}}));
}

TEST(ParseEnvFileTest, EmptyContent) {
  auto r = ParseEnvFile("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(ParsePathFileTest, OneDirectoryPerNonEmptyLine) {
  EXPECT_EQ(ParsePathFile("/opt/a/bin\n\n/opt/b bin\r\n/c\r/d"),
            (std::vector<std::string>{"/opt/a/bin", "/opt/b bin", "/c", "/d"}));
  EXPECT_TRUE(ParsePathFile("").empty());
  EXPECT_EQ(ParsePathFile("\xEF\xBB\xBF/x\n"), std::vector<std::string>{"/x"});
}

}  // namespace
}  // namespace gantry::engine
