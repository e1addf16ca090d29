#include "core/masker.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace gantry::core {
namespace {

using Lines = std::vector<std::string>;

TEST(MaskerTest, ReplacesEveryOccurrence) {
  Masker m;
  m.Add("hunter2");
  EXPECT_EQ(m.Mask("pw=hunter2, again hunter2"), "pw=***, again ***");
  EXPECT_EQ(m.Mask("nothing here"), "nothing here");
}

TEST(MaskerTest, WithoutSecretsTextIsUnchanged) {
  Masker m;
  EXPECT_EQ(m.Mask("a b c"), "a b c");
  EXPECT_EQ(m.longest(), 0u);
}

TEST(MaskerTest, EmptyValueIsIgnored) {
  Masker m;
  m.Add("");
  EXPECT_EQ(m.Mask("abc"), "abc");
  EXPECT_EQ(m.longest(), 0u);
}

TEST(MaskerTest, LongestValueWinsOverItsPrefix) {
  Masker m;
  m.Add("abc");
  m.Add("abcdef");
  EXPECT_EQ(m.Mask("xabcdefx"), "x***x");
  EXPECT_EQ(m.Mask("xabcx"), "x***x");
  EXPECT_EQ(m.longest(), 6u);
}

TEST(MaskerTest, OverlappingSecretsBecomeOneMask) {
  Masker m;
  m.Add("abcd");
  m.Add("cdef");
  // GitHub merges overlapping occurrences instead of replacing one secret after another,
  // which would leave "ef" of the second one visible.
  EXPECT_EQ(m.Mask("[abcdef]"), "[***]");
}

TEST(MaskerTest, OverlappingOccurrencesOfOneSecretAreMerged) {
  Masker m;
  m.Add("aba");
  EXPECT_EQ(m.Mask("ababa-aba"), "***-***");
}

TEST(MaskerTest, AdjacentSecretsBecomeOneMask) {
  Masker m;
  m.Add("foo");
  m.Add("bar");
  EXPECT_EQ(m.Mask("foobar foo bar"), "*** *** ***");
}

TEST(MaskerTest, MultiLineSecretRegistersEachTrimmedLine) {
  Masker m;
  m.Add("line-one\r\n  line-two  \n\nline-three");
  EXPECT_EQ(m.Mask("line-one"), "***");
  EXPECT_EQ(m.Mask("x line-two x"), "x *** x");
  EXPECT_EQ(m.Mask("line-three"), "***");
  EXPECT_EQ(m.Mask("line-one\r\n  line-two  \n\nline-three"), "***");
}

TEST(MaskerTest, DuplicateAddIsHarmless) {
  Masker m;
  m.Add("s3cr3t");
  m.Add("s3cr3t");
  EXPECT_EQ(m.Mask("s3cr3t"), "***");
}

TEST(MaskerTest, SafePrefixHoldsBackAPossibleSecretStart) {
  Masker m;
  m.Add("secret");
  // "sec" at the end may become "secret" with more input: keep 5 bytes back.
  EXPECT_EQ(m.SafePrefix("0123456789sec"), 8u);
  // A complete occurrence that crosses the cut moves the cut before it.
  EXPECT_EQ(m.SafePrefix("0123secret"), 4u);
  EXPECT_EQ(m.SafePrefix("abc"), 0u);
}

TEST(MaskerTest, ConcurrentAddAndMaskAreSafe) {
  Masker m;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 200; ++i) {
        m.Add("secret-" + std::to_string(t) + "-" + std::to_string(i));
        std::string masked = m.Mask("value secret-" + std::to_string(t) + "-" + std::to_string(i));
        EXPECT_EQ(masked, "value ***");
      }
    });
  }
  for (std::thread& th : threads) th.join();
}

TEST(LineMaskerTest, SecretSplitAcrossTwoChunksIsMasked) {
  Masker m;
  m.Add("topsecret");
  LineMasker lm(m);
  EXPECT_EQ(lm.Feed("token: tops"), Lines{});
  EXPECT_EQ(lm.Feed("ecret done\nnext"), Lines{"token: *** done"});
  EXPECT_EQ(lm.Flush(), Lines{"next"});
}

TEST(LineMaskerTest, SplitsChunksIntoLines) {
  Masker m;
  LineMasker lm(m);
  EXPECT_EQ(lm.Feed("a\nb\n\nc"), (Lines{"a", "b", ""}));
  EXPECT_EQ(lm.Feed("d\n"), Lines{"cd"});
  EXPECT_EQ(lm.Flush(), Lines{});
}

TEST(LineMaskerTest, MultiLineSecretIsMaskedLineByLine) {
  Masker m;
  m.Add("first-line\nsecond-line");
  LineMasker lm(m);
  EXPECT_EQ(lm.Feed("first-line\nsecond-"), Lines{"***"});
  EXPECT_EQ(lm.Feed("line\n"), Lines{"***"});
}

TEST(LineMaskerTest, UnterminatedTailIsMaskedOnFlush) {
  Masker m;
  m.Add("pass");
  LineMasker lm(m);
  EXPECT_EQ(lm.Feed("no newline pass"), Lines{});
  EXPECT_EQ(lm.Flush(), Lines{"no newline ***"});
  EXPECT_EQ(lm.Flush(), Lines{});
}

TEST(LineMaskerTest, SecretAddedMidStreamMasksLaterLines) {
  Masker m;
  LineMasker lm(m);
  EXPECT_EQ(lm.Feed("value 42\n"), Lines{"value 42"});
  m.Add("42");
  EXPECT_EQ(lm.Feed("value 42\n"), Lines{"value ***"});
}

TEST(LineMaskerTest, EndlessLineIsEmittedInPiecesWithoutSplittingASecret) {
  Masker m;
  m.Add("SECRET");
  LineMasker lm(m);
  std::string big(LineMasker::kMaxLine - 3, 'x');
  Lines out = lm.Feed(big + "SECRET" + std::string(100, 'y'));
  Lines rest = lm.Flush();
  std::string all;
  for (const std::string& l : out) all += l;
  for (const std::string& l : rest) all += l;
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(all, big + "***" + std::string(100, 'y'));
  for (const std::string& l : out) EXPECT_LE(l.size(), LineMasker::kMaxLine);
}

}  // namespace
}  // namespace gantry::core
