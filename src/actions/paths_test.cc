#include "actions/paths.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "actions/test_util.h"

namespace gantry::actions {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

std::vector<std::string> Relative(const std::vector<std::string>& files, const std::string& root) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(fs::path(f).lexically_relative(root).string());
  return out;
}

TEST(PathsTest, IsWithinComparesWholeSegments) {
  EXPECT_TRUE(IsWithin("/a/b", "/a"));
  EXPECT_TRUE(IsWithin("/a/b/", "/a/b"));
  EXPECT_TRUE(IsWithin("/a/b/c/../d", "/a/b"));
  EXPECT_FALSE(IsWithin("/a/bc", "/a/b"));
  EXPECT_FALSE(IsWithin("/a/b/../c", "/a/b"));
  EXPECT_TRUE(IsWithin("/x", "/"));
}

TEST(PathsTest, ResolveWithinJoinsRelativePathsToTheBase) {
  TempDir dir;
  auto resolved = ResolveWithin("out/x", dir.path(), {dir.path()}, "path");
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  EXPECT_EQ(*resolved, dir / "out/x");
  auto empty = ResolveWithin("", dir.path(), {dir.path()}, "path");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, dir.path());
}

TEST(PathsTest, ResolveWithinRejectsDotDotAbsoluteOutsideAndSymlinksOut) {
  TempDir dir;
  TempDir outside;
  fs::create_directories(dir / "ws");
  fs::create_symlink(outside.path(), dir / "ws/link");
  std::vector<std::string> roots = {dir / "ws"};
  auto dotdot = ResolveWithin("a/../../b", dir / "ws", roots, "path");
  ASSERT_FALSE(dotdot.ok());
  EXPECT_EQ(dotdot.status().message(), "path 'a/../../b' must not contain '..'");
  EXPECT_FALSE(ResolveWithin(outside.path(), dir / "ws", roots, "path").ok());
  auto link = ResolveWithin("link/sub", dir / "ws", roots, "path");
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.status().message().find("which is not under " + dir / "ws"), std::string::npos)
      << link.status().message();
  EXPECT_TRUE(ResolveWithin(dir / "ws/inside", dir / "ws", roots, "path").ok());
}

TEST(PathsTest, FindFilesMatchesGlobsWithExclusions) {
  TempDir dir;
  WriteFile(dir / "build/a.txt", "a");
  WriteFile(dir / "build/b.log", "b");
  WriteFile(dir / "build/sub/c.txt", "c");
  WriteFile(dir / "build/sub/skip.txt", "s");
  WriteFile(dir / "other.txt", "o");
  auto found = FindFiles("build/**/*.txt\n!build/sub/skip.txt\n# comment\n", dir.path(), {});
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(Relative(found->files, dir.path()),
            (std::vector<std::string>{"build/a.txt", "build/sub/c.txt"}));
  EXPECT_EQ(found->search_paths, std::vector<std::string>{dir / "build"});
}

TEST(PathsTest, FindFilesIncludesEverythingBelowADirectory) {
  TempDir dir;
  WriteFile(dir / "out/x/1", "1");
  WriteFile(dir / "out/2", "2");
  auto found = FindFiles("out", dir.path(), {});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(Relative(found->files, dir.path()), (std::vector<std::string>{"out/2", "out/x/1"}));
}

TEST(PathsTest, FindFilesSkipsHiddenFilesAndDirectoriesUnlessIncluded) {
  TempDir dir;
  WriteFile(dir / "d/.env", "secret");
  WriteFile(dir / "d/.git/config", "c");
  WriteFile(dir / "d/visible", "v");
  FindOptions options;
  options.include_hidden = false;
  auto found = FindFiles("d", dir.path(), options);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(Relative(found->files, dir.path()), std::vector<std::string>{"d/visible"});
  options.include_hidden = true;
  found = FindFiles("d", dir.path(), options);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(Relative(found->files, dir.path()),
            (std::vector<std::string>{"d/.env", "d/.git/config", "d/visible"}));
}

TEST(PathsTest, FindFilesFollowsSymlinksInsideTheRootsOnly) {
  TempDir dir;
  TempDir outside;
  WriteFile(outside / "secret", "s");
  WriteFile(dir / "ws/d/real", "r");
  fs::create_symlink(dir / "ws/d/real", dir / "ws/d/inner");
  fs::create_symlink(outside / "secret", dir / "ws/d/outer");
  fs::create_symlink(outside.path(), dir / "ws/d/outdir");
  std::vector<std::string> warnings;
  FindOptions options;
  options.roots = {dir / "ws"};
  options.warn = [&](std::string_view line) { warnings.emplace_back(line); };
  auto found = FindFiles("d", dir / "ws", options);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(Relative(found->files, dir / "ws"), (std::vector<std::string>{"d/inner", "d/real"}));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find(dir / "ws/d/outdir"), std::string::npos) << warnings[0];
}

TEST(PathsTest, FindFilesRejectsSearchPathsOutsideTheRootsAndDotDot) {
  TempDir dir;
  FindOptions options;
  options.roots = {dir.path()};
  EXPECT_FALSE(FindFiles("/etc/hostname", dir.path(), options).ok());
  auto dotdot = FindFiles("a/../../x", dir.path(), options);
  ASSERT_FALSE(dotdot.ok());
  EXPECT_EQ(dotdot.status().message(),
            "Invalid pattern 'a/../../x'. Relative pathing '.' and '..' is not allowed.");
}

TEST(PathsTest, DotDotIsRejectedAnywhereWithGithubsWordingAndADotOnlyFirst) {
  TempDir dir;
  auto leading = FindFiles("../build/configure.log", dir.path(), {});
  ASSERT_FALSE(leading.ok());
  EXPECT_EQ(leading.status().message(),
            "Invalid pattern '../build/configure.log'. Relative pathing '.' and '..' is not "
            "allowed.");
  auto negated = FindFiles("x\n!~/../y", dir.path(), {});
  ASSERT_FALSE(negated.ok());
  EXPECT_EQ(negated.status().message(),
            "Invalid pattern '~/../y'. Relative pathing '.' and '..' is not allowed.");
  EXPECT_FALSE(FindFiles("a/./b", dir.path(), {}).ok());
  WriteFile(dir / "a/b", "b");
  auto dot_first = FindFiles("./a", dir.path(), {});
  ASSERT_TRUE(dot_first.ok());
  EXPECT_EQ(dot_first->files.size(), 1u);
}

TEST(PathsTest, AbsoluteAndHomePathsOutsideTheWorkspaceAreSearchedWithoutRoots) {
  TempDir dir;
  WriteFile(dir / "elsewhere/log.txt", "x");
  auto found = FindFiles(dir / "elsewhere/*.txt", dir / "ws", {});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->files, (std::vector<std::string>{dir / "elsewhere/log.txt"}));
}

TEST(PathsTest, SearchPathsDropDescendantsOfOtherSearchPaths) {
  TempDir dir;
  WriteFile(dir / "a/b/c", "c");
  WriteFile(dir / "x/y", "y");
  auto found = FindFiles("a/b\na\nx/*", dir.path(), {});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->search_paths, (std::vector<std::string>{dir / "a", dir / "x"}));
}

TEST(PathsTest, LeastCommonAncestorOfPaths) {
  EXPECT_EQ(LeastCommonAncestor({"/w/a/b", "/w/a/c/d", "/w/a/b/e"}), "/w/a");
  EXPECT_EQ(LeastCommonAncestor({"/w/ab", "/w/ac"}), "/w");
  EXPECT_EQ(LeastCommonAncestor({"/x", "/y"}), "/");
  EXPECT_EQ(LeastCommonAncestor({}), "");
}

TEST(PathsTest, CopyFileReplacingReplacesASymlinkInsteadOfWritingThroughIt) {
  TempDir dir;
  WriteFile(dir / "victim", "keep");
  WriteFile(dir / "src", "new");
  fs::create_symlink(dir / "victim", dir / "dst");
  ASSERT_TRUE(CopyFileReplacing(dir / "src", dir / "dst").ok());
  EXPECT_EQ(testing::ReadFile(dir / "victim"), "keep");
  EXPECT_FALSE(fs::is_symlink(dir / "dst"));
  EXPECT_EQ(testing::ReadFile(dir / "dst"), "new");
}

TEST(PathsTest, EmptyDirectoryKeepsTheDirectory) {
  TempDir dir;
  WriteFile(dir / "d/a/b", "x");
  WriteFile(dir / "d/.hidden", "x");
  ASSERT_TRUE(EmptyDirectory(dir / "d").ok());
  EXPECT_TRUE(fs::is_directory(dir / "d"));
  EXPECT_TRUE(fs::is_empty(dir / "d"));
}

}  // namespace
}  // namespace gantry::actions
