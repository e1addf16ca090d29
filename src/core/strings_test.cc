#include "core/strings.h"

#include <gtest/gtest.h>

namespace gantry::core {
namespace {

TEST(StringsTest, TrimSpaceRemovesWhiteSpaceAtBothEnds) {
  EXPECT_EQ(TrimSpace("  a b\t\r\n"), "a b");
  EXPECT_EQ(TrimSpace("\v\f x"), "x");
  EXPECT_EQ(TrimSpace("   "), "");
  EXPECT_EQ(TrimSpace(""), "");
}

TEST(StringsTest, AsciiCaseMappingLeavesOtherBytesAlone) {
  EXPECT_EQ(AsciiLower("Owner/Repo@V1"), "owner/repo@v1");
  EXPECT_EQ(AsciiUpper("input some-name"), "INPUT SOME-NAME");
  EXPECT_EQ(AsciiLower("\xc3\x89T\xc3\x89"), "\xc3\x89t\xc3\x89");  // É stays as it is
}

}  // namespace
}  // namespace gantry::core
