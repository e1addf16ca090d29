#include "cli/markdown_terminal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gantry::cli {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Plain(std::string_view md) { return RenderMarkdown(md, {false, 80}); }
std::vector<std::string> Colored(std::string_view md) { return RenderMarkdown(md, {true, 80}); }

TEST(MarkdownTerminalTest, HeadingsLoseTheirMarkersAndAreBoldInColor) {
  EXPECT_THAT(Plain("# Title\n## Built 1.2.3 ##\ntext"),
              ElementsAre("Title", "", "Built 1.2.3", "text"));
  EXPECT_THAT(Colored("## Build"), ElementsAre("\x1b[1mBuild\x1b[22m"));
  EXPECT_THAT(Colored("# Top"), ElementsAre("\x1b[4m\x1b[1mTop\x1b[22m\x1b[24m"));
  EXPECT_THAT(Plain("Title\n=====\nbody"), ElementsAre("Title", "body"));
  EXPECT_THAT(Plain("#hashtag"), ElementsAre("#hashtag"));
}

TEST(MarkdownTerminalTest, EmphasisCodeAndStrikeNest) {
  EXPECT_THAT(Plain("a **bold** and *it* and `x*y` ~~old~~"),
              ElementsAre("a bold and it and x*y old"));
  EXPECT_THAT(Colored("**b _i_**"), ElementsAre("\x1b[1mb \x1b[3mi\x1b[23m\x1b[22m"));
  EXPECT_THAT(Colored("run `make`"), ElementsAre("run \x1b[36mmake\x1b[39m"));
  // Underscores inside words and lone stars are text.
  EXPECT_THAT(Plain("snake_case_name and 2 * 3 * 4"), ElementsAre("snake_case_name and 2 * 3 * 4"));
  EXPECT_THAT(Plain("\\*not\\* emphasis"), ElementsAre("*not* emphasis"));
}

TEST(MarkdownTerminalTest, LinksShowTheirUrl) {
  EXPECT_THAT(Plain("see [the docs](https://x.org/d) and <https://y.org>"),
              ElementsAre("see the docs (https://x.org/d) and https://y.org"));
  EXPECT_THAT(Plain("![coverage](https://x.org/c.svg)"),
              ElementsAre("[image: coverage] (https://x.org/c.svg)"));
  EXPECT_THAT(Colored("[a](u)"), ElementsAre("\x1b[4ma\x1b[24m \x1b[90m(u)\x1b[39m"));
}

TEST(MarkdownTerminalTest, ListsKeepNestingAndTaskBoxes) {
  EXPECT_THAT(
      Plain("- one\n  - two\n* three\n1. first\n2) second\n- [ ] todo\n- [x] done"),
      ElementsAre("• one", "  • two", "• three", "1. first", "2. second", "☐ todo", "☑ done"));
}

TEST(MarkdownTerminalTest, CodeBlocksAreIndentedAndNotInterpreted) {
  EXPECT_THAT(Plain("before\n```bash\nmake **all**\n# not a heading\n```\nafter"),
              ElementsAre("before", "    make **all**", "    # not a heading", "after"));
  EXPECT_THAT(Colored("```\nx\n```"), ElementsAre("    \x1b[90mx\x1b[39m"));
}

TEST(MarkdownTerminalTest, TablesAreAlignedByDisplayWidth) {
  EXPECT_THAT(Plain("| Suite | Passed | Result |\n|:--|--:|:-:|\n| unit | 12 | ✓ |\n"
                    "| integration | 3 | **X** |"),
              ElementsAre("Suite       │ Passed │ Result", "────────────┼────────┼───────",
                          "unit        │     12 │   ✓", "integration │      3 │   X"));
}

TEST(MarkdownTerminalTest, QuotesRulesHtmlAndEntities) {
  std::string rule;
  for (int i = 0; i < 40; ++i) rule += "─";
  EXPECT_THAT(Plain("> quoted *text*\n---\n<details><summary>More</summary>a &amp; b &lt;c&gt;"
                    "</details>"),
              ElementsAre("│ quoted text", rule, "Morea & b <c>"));
  EXPECT_THAT(Plain("a < b and x<y"), ElementsAre("a < b and x<y"));
}

TEST(MarkdownTerminalTest, ControlCharactersOfUntrustedSummariesAreEscaped) {
  std::vector<std::string> lines = Colored(
      "## \x1b[2J\x1b]0;pwned\x07 title\r\nbell\x07 \xc2\x9b"
      "31m");
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0], "\x1b[1m^[[2J^[]0;pwned^G title\x1b[22m");
  EXPECT_EQ(lines[1], "bell^G \\u009b31m");
  EXPECT_EQ(EscapeControl("a\tb\x7f"), "a    b^?");
  for (const std::string& line : Plain("\x1b[31mred\x1b[0m")) {
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  }
}

TEST(MarkdownTerminalTest, HugeHostileLinesRenderQuickly) {
  std::string stars;
  for (int i = 0; i < (1 << 19); ++i) stars += "*x";
  auto lines = Plain(stars);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0], stars);  // too long to look for spans in: as it is
  std::string nested;
  for (int i = 0; i < 2000; ++i) nested += "**a ";
  EXPECT_EQ(Plain(nested).size(), 1U);
  std::string table = "a|b\n|-|-|\n";
  for (int i = 0; i < 2000; ++i) table += "x|" + std::string(100, 'y') + "\n";
  EXPECT_EQ(Plain(table).size(), 2002U);
}

TEST(MarkdownTerminalTest, DisplayWidthSkipsColorsAndCountsCodePoints) {
  EXPECT_EQ(DisplayWidth("\x1b[1m✓ ok\x1b[22m"), 4);
  EXPECT_EQ(DisplayWidth(""), 0);
}

TEST(MarkdownTerminalTest, BlankLinesCollapseAndEdgesAreTrimmed) {
  EXPECT_THAT(Plain("\n\na\n\n\n\nb\n\n"), ElementsAre("a", "", "b"));
  EXPECT_TRUE(Plain("").empty());
}

}  // namespace
}  // namespace gantry::cli
