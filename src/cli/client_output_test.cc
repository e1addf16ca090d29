#include "cli/client_output.h"

#include <gtest/gtest.h>

#include <sstream>

namespace gantry::cli {
namespace {

OutputStyle Tty(bool color = false, int width = 80) {
  OutputStyle s;
  s.tty = true;
  s.color = color;
  s.width = width;
  return s;
}

TEST(ClientOutputTest, PaintOnlyWithColor) {
  EXPECT_EQ(Paint(OutputStyle{}, "red", "x"), "x");
  EXPECT_EQ(Paint(Tty(true), "red", "x"), "\033[31mx\033[0m");
  EXPECT_EQ(Paint(Tty(true), "green", "ok"), "\033[32mok\033[0m");
  EXPECT_EQ(Paint(Tty(true), "nope", "x"), "x");
}

TEST(ClientOutputTest, StatusSymbolsLikeGh) {
  OutputStyle plain;
  EXPECT_EQ(StatusSymbol(plain, "completed", "success"), "✓");
  EXPECT_EQ(StatusSymbol(plain, "completed", "failure"), "X");
  EXPECT_EQ(StatusSymbol(plain, "completed", "timed_out"), "X");
  EXPECT_EQ(StatusSymbol(plain, "completed", "cancelled"), "-");
  EXPECT_EQ(StatusSymbol(plain, "completed", "skipped"), "-");
  EXPECT_EQ(StatusSymbol(plain, "in_progress", ""), "*");
  EXPECT_EQ(StatusSymbol(plain, "queued", ""), "*");
  EXPECT_EQ(StatusSymbol(Tty(true), "completed", "success"), "\033[32m✓\033[0m");
}

TEST(ClientOutputTest, DurationsAndAges) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(45'900), "45s");
  EXPECT_EQ(FormatDuration(83'000), "1m23s");
  EXPECT_EQ(FormatDuration((2 * 3600 + 3 * 60) * 1000), "2h3m0s");
  EXPECT_EQ(FormatDuration(-5), "0s");
  EXPECT_EQ(FormatAge(10'000), "less than a minute ago");
  EXPECT_EQ(FormatAge(60'000), "about 1 minute ago");
  EXPECT_EQ(FormatAge(5 * 60'000), "about 5 minutes ago");
  EXPECT_EQ(FormatAge(2 * 3600'000), "about 2 hours ago");
  EXPECT_EQ(FormatAge(int64_t{3} * 86400'000), "about 3 days ago");
}

TEST(ClientOutputTest, ParsesApiTimes) {
  EXPECT_EQ(ParseApiTime("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(ParseApiTime("1970-01-01T00:01:00.123Z"), 60'123);
  EXPECT_EQ(ParseApiTime("2026-12-06T09:00:00Z"), int64_t{1796547600} * 1000);
  EXPECT_EQ(ParseApiTime(nullptr), 0);
  EXPECT_EQ(ParseApiTime(""), 0);
  EXPECT_EQ(ParseApiTime("yesterday"), 0);
  EXPECT_EQ(ParseApiTime(42), 0);
}

TEST(ClientOutputTest, TableIsTabSeparatedWithoutATerminal) {
  std::ostringstream out;
  PrintTable(out, OutputStyle{}, {"name", "value"}, {{"A", "1"}, {"LONGER", "2"}});
  EXPECT_EQ(out.str(), "A\t1\nLONGER\t2\n");
}

TEST(ClientOutputTest, TableIsAlignedOnATerminal) {
  std::ostringstream out;
  PrintTable(out, Tty(), {"status", "name"}, {{"✓", "build"}, {"X", "a"}});
  EXPECT_EQ(out.str(), "STATUS  NAME\n✓       build\nX       a\n");
}

TEST(ClientOutputTest, ColoredCellsAlignByVisibleWidth) {
  std::ostringstream out;
  OutputStyle style = Tty(true);
  PrintTable(out, style, {}, {{Paint(style, "green", "✓"), "x"}, {"ab", "y"}});
  EXPECT_EQ(out.str(), "\033[32m✓\033[0m   x\nab  y\n");
}

TEST(ClientOutputTest, LastColumnTruncatedToTheTerminal) {
  std::ostringstream out;
  PrintTable(out, Tty(false, 12), {}, {{"id", "abcdefghijkl"}});
  EXPECT_EQ(out.str(), "id  abcdefg…\n");
}

TEST(ClientOutputTest, JsonAllFields) {
  std::ostringstream out, err;
  ASSERT_TRUE(PrintJson(out, err, {{"id", 1}, {"name", "x"}}, ""));
  EXPECT_EQ(nlohmann::json::parse(out.str()), (nlohmann::json{{"id", 1}, {"name", "x"}}));
  EXPECT_EQ(err.str(), "");
}

TEST(ClientOutputTest, JsonSelectedFieldsInOrder) {
  std::ostringstream out, err;
  nlohmann::json rows = {{{"id", 1}, {"name", "x"}, {"status", "ok"}},
                         {{"id", 2}, {"name", "y"}, {"status", "no"}}};
  ASSERT_TRUE(PrintJson(out, err, rows, "status,id"));
  EXPECT_EQ(out.str(),
            "[\n  {\n    \"status\": \"ok\",\n    \"id\": 1\n  },\n  {\n    \"status\": \"no\",\n"
            "    \"id\": 2\n  }\n]\n");
}

TEST(ClientOutputTest, JsonUnknownFieldListsTheKnownOnes) {
  std::ostringstream out, err;
  EXPECT_FALSE(PrintJson(out, err, {{"id", 1}, {"name", "x"}}, "id,nope"));
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "gantry: unknown JSON field 'nope'; available fields: id, name\n");
}

TEST(ClientOutputTest, DetectWithoutATerminalHasNoColor) {
  OutputStyle s = OutputStyle::Detect(-1);
  EXPECT_FALSE(s.tty);
  EXPECT_FALSE(s.color);
}

}  // namespace
}  // namespace gantry::cli
