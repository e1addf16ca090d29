#include "cli/repo_root.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

class RepoRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gantry-root-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = fs::canonical(pattern);
    old_cwd_ = fs::current_path();
  }
  void TearDown() override {
    fs::current_path(old_cwd_);
    fs::remove_all(dir_);
  }
  fs::path Touch(const fs::path& relative) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << "on: push\n";
    return dir_ / relative;
  }
  fs::path dir_;
  fs::path old_cwd_;
};

TEST_F(RepoRootTest, FolderAboveDotGithubWinsOverTheGitRepository) {
  fs::create_directories(dir_ / ".git");
  fs::path file = Touch("examples/app/.github/workflows/ci.yml");
  EXPECT_EQ(RepositoryRootFor(file), dir_ / "examples" / "app");
  EXPECT_EQ(RepositoryRootFor(dir_ / "examples/app/.github/workflows"), dir_ / "examples" / "app");
  EXPECT_EQ(RepositoryRootFor(Touch("x/.github/workflows/sub/deep.yml")), dir_ / "x");
}

TEST_F(RepoRootTest, FileOutsideDotGithubUsesItsGitRepository) {
  fs::create_directories(dir_ / "repo" / ".git");
  fs::path file = Touch("repo/ci/pipelines/ci.yml");
  EXPECT_EQ(RepositoryRootFor(file), dir_ / "repo");
}

TEST_F(RepoRootTest, GitFileOfAWorktreeMarksARepository) {
  Touch("wt/.git");
  EXPECT_EQ(RepositoryRootFor(Touch("wt/ci.yml")), dir_ / "wt");
}

TEST_F(RepoRootTest, OtherwiseTheFileFolderWhateverTheCurrentDirectory) {
  fs::path file = Touch("loose/ci.yml");
  fs::current_path(dir_);
  EXPECT_EQ(RepositoryRootFor("loose/ci.yml"), dir_ / "loose");
  fs::current_path(dir_ / "loose");
  EXPECT_EQ(RepositoryRootFor("ci.yml"), dir_ / "loose");
  EXPECT_EQ(RepositoryRootFor(file), dir_ / "loose");
}

}  // namespace
}  // namespace gantry::cli
