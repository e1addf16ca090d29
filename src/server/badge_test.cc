#include "server/badge.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

TEST(BadgeTest, StatusWordsAndColours) {
  std::string pass = RenderBadge("CI", BadgeStatus::kPassing);
  EXPECT_NE(pass.find(">passing</text>"), std::string::npos);
  EXPECT_NE(pass.find("#4c1"), std::string::npos);
  EXPECT_NE(RenderBadge("CI", BadgeStatus::kFailing).find("#e05d44"), std::string::npos);
  EXPECT_NE(RenderBadge("CI", BadgeStatus::kRunning).find("#dfb317"), std::string::npos);
  EXPECT_NE(RenderBadge("CI", BadgeStatus::kCancelled).find(">cancelled<"), std::string::npos);
  EXPECT_NE(RenderBadge("CI", BadgeStatus::kNoStatus).find(">no status<"), std::string::npos);
  EXPECT_EQ(pass.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(pass.find("<title>CI: passing</title>"), std::string::npos);
}

TEST(BadgeTest, RunsMapToBadgeStatuses) {
  EXPECT_EQ(BadgeStatusOf("completed", "success"), BadgeStatus::kPassing);
  EXPECT_EQ(BadgeStatusOf("completed", "failure"), BadgeStatus::kFailing);
  EXPECT_EQ(BadgeStatusOf("completed", "cancelled"), BadgeStatus::kCancelled);
  EXPECT_EQ(BadgeStatusOf("in_progress", ""), BadgeStatus::kRunning);
  EXPECT_EQ(BadgeStatusOf("completed", "skipped"), BadgeStatus::kNoStatus);
  EXPECT_EQ(BadgeStatusOf("", ""), BadgeStatus::kNoStatus);
}

TEST(BadgeTest, LabelIsEscapedUserInput) {
  std::string svg = RenderBadge("<script>alert('x')</script> & \"q\"", BadgeStatus::kPassing);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;q&quot;"),
            std::string::npos);
  // Control characters and invalid UTF-8 never reach the document.
  std::string odd = RenderBadge(std::string("a\x01\x1b[31mb\xff\xc3", 10), BadgeStatus::kPassing);
  EXPECT_EQ(odd.find('\x01'), std::string::npos);
  EXPECT_EQ(odd.find('\x1b'), std::string::npos);
  EXPECT_EQ(odd.find('\xff'), std::string::npos);
  EXPECT_NE(odd.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

TEST(BadgeTest, WidthGrowsWithTheText) {
  EXPECT_LT(TextWidth("iii"), TextWidth("mmm"));
  EXPECT_EQ(TextWidth(""), 0);
  EXPECT_GT(TextWidth("passing"), 40);
  EXPECT_LT(TextWidth("passing"), 55);
  // One wide character, not three bytes' worth.
  EXPECT_EQ(TextWidth("\xe6\xbc\xa2"), 11);
  std::string narrow = RenderBadge("CI", BadgeStatus::kPassing);
  std::string wide = RenderBadge("Continuous Integration", BadgeStatus::kPassing);
  auto width = [](const std::string& svg) {
    size_t at = svg.find("width=\"") + 7;
    return std::stoi(svg.substr(at));
  };
  EXPECT_GT(width(wide), width(narrow) + 100);
}

TEST(BadgeTest, LongLabelsAreCut) {
  std::string svg = RenderBadge(std::string(500, 'x'), BadgeStatus::kPassing);
  EXPECT_EQ(svg.find(std::string(61, 'x')), std::string::npos);
  EXPECT_NE(svg.find(std::string(59, 'x') + "\xe2\x80\xa6"), std::string::npos);
}

}  // namespace
}  // namespace gantry::server
