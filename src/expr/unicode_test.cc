#include "expr/unicode.h"

#include <gtest/gtest.h>

namespace gantry::expr {
namespace {

TEST(UnicodeTest, UpperMappingMatchesJavaScriptExceptDotlessI) {
  EXPECT_EQ(ToUpperForCompare(U'a'), U'A');
  EXPECT_EQ(ToUpperForCompare(U'ü'), U'Ü');
  EXPECT_EQ(ToUpperForCompare(U'ж'), U'Ж');
  EXPECT_EQ(ToUpperForCompare(U'ς'), U'Σ');
  EXPECT_EQ(ToUpperForCompare(U'σ'), U'Σ');
  EXPECT_EQ(ToUpperForCompare(U'ı'), U'ı');  // GitHub keeps the dotless i
  EXPECT_EQ(ToUpperForCompare(U'İ'), U'İ');
  EXPECT_EQ(ToUpperForCompare(U'ß'), U'ß');      // no one-to-one upper case
  EXPECT_EQ(ToUpperForCompare(U'Ā' + 1), U'Ā');  // alternating-case run (stride 2)
  EXPECT_EQ(ToUpperForCompare(U'😊'), U'😊');
}

TEST(UnicodeTest, EqualsIgnoreCaseHandlesNonAsciiLetters) {
  EXPECT_TRUE(EqualsIgnoreCase("Straße", "STRAßE"));
  EXPECT_TRUE(EqualsIgnoreCase("ς", "σ"));
  EXPECT_FALSE(EqualsIgnoreCase("i", "İ"));
  EXPECT_FALSE(EqualsIgnoreCase("ı", "I"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
}

TEST(UnicodeTest, CompareIgnoreCaseOrdersByUtf16CodeUnits) {
  EXPECT_LT(CompareIgnoreCase("a", "B"), 0);
  EXPECT_EQ(CompareIgnoreCase("ABC", "abc"), 0);
  EXPECT_GT(CompareIgnoreCase("abc", "ab"), 0);
  // U+FF21 sorts after a surrogate pair in UTF-16 although its code point is smaller.
  EXPECT_GT(CompareIgnoreCase("\uFF21", "😊"), 0);
}

TEST(UnicodeTest, AffixAndContainsTestsIgnoreCase) {
  EXPECT_TRUE(StartsWithIgnoreCase("Refs/Tags/v1", "refs/tags/"));
  EXPECT_TRUE(EndsWithIgnoreCase("archive.TAR.GZ", ".tar.gz"));
  EXPECT_TRUE(EndsWithIgnoreCase("ÄÖÜ", "öü"));
  EXPECT_FALSE(EndsWithIgnoreCase("a", "ba"));
  EXPECT_TRUE(ContainsIgnoreCase("Hello Wörld", "WÖR"));
  EXPECT_TRUE(ContainsIgnoreCase("abc", ""));
  EXPECT_FALSE(ContainsIgnoreCase("abc", "abcd"));
}

TEST(UnicodeTest, Utf16LengthCountsSurrogatePairsTwice) {
  EXPECT_EQ(Utf16Length("abc"), 3u);
  EXPECT_EQ(Utf16Length("é"), 1u);
  EXPECT_EQ(Utf16Length("😊"), 2u);
}

}  // namespace
}  // namespace gantry::expr
