#include "server/git_mirrors.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/subprocess.h"

namespace gantry::server {
namespace {

// Runs `sh -c script` in `dir`; fails the test on error and returns its output.
std::string Sh(const std::string& dir, const std::string& script) {
  auto r = core::RunProgram({"sh", "-c", script}, dir);
  EXPECT_TRUE(r.ok()) << script << ": " << r.status().message();
  return r.ok() ? r.value() : "";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// An origin repository (a work tree), mirrored by GitMirrors through the backend under test.
class GitMirrorsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/gantry-mirrors-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    origin_ = root_ + "/origin";
    std::filesystem::create_directories(origin_ + "/.github/workflows");
    Sh(origin_,
       "git init -q -b main . && git config user.email a@x.org && git config user.name Alice"
       " && printf 'on: push\\n' > .github/workflows/b.yml"
       " && printf 'on: pull_request\\n' > .github/workflows/a.yaml"
       " && printf 'x' > .github/workflows/notes.txt && mkdir -p .github/workflows/sub"
       " && printf 'on: push\\n' > .github/workflows/sub/c.yml && printf 'one' > f.txt"
       " && git add -A && git commit -qm 'first commit' && git tag v1 && git tag -a v2 -m v2");
    first_ = Trim(Sh(origin_, "git rev-parse HEAD"));
    auto make = []() -> std::unique_ptr<GitBackend> {
      if (GetParam() == "git") return MakeProcessGitBackend();
      auto b = MakeLibgit2Backend(MakeProcessGitBackend());
      EXPECT_TRUE(b.ok()) << b.status().message();
      return b.ok() ? std::move(b).value() : MakeProcessGitBackend();
    };
    mirrors_ = std::make_unique<GitMirrors>(root_ + "/git", make);
    ASSERT_TRUE(mirrors_->Create("o", "r", origin_).ok());
    EXPECT_STREQ(mirrors_->backend_name(), GetParam() == "git" ? "git" : "libgit2");
  }
  void TearDown() override {
    mirrors_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string Commit(const std::string& script) {
    Sh(origin_, script + " && git add -A && git commit -qm 'second: a change' -m 'body'");
    return Trim(Sh(origin_, "git rev-parse HEAD"));
  }

  std::string root_, origin_, first_;
  std::unique_ptr<GitMirrors> mirrors_;
};

TEST_P(GitMirrorsTest, ListsAndReadsWorkflowsAtACommit) {
  auto files = mirrors_->Workflows("o", "r", first_);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(files.value(),
            (std::vector<std::string>{".github/workflows/a.yaml", ".github/workflows/b.yml"}));
  auto b = mirrors_->ReadFile("o", "r", first_, ".github/workflows/b.yml");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value(), "on: push\n");
  EXPECT_EQ(mirrors_->ReadFile("o", "r", first_, "f.txt").value(), "one");
  EXPECT_EQ(mirrors_->ReadFile("o", "r", first_, "missing.txt").status().code(),
            core::StatusCode::kNotFound);
  EXPECT_EQ(mirrors_->ReadFile("o", "r", first_, ".github").status().code(),
            core::StatusCode::kNotFound);  // a directory is not a file
}

TEST_P(GitMirrorsTest, ACommitWithoutWorkflowsListsNone) {
  std::string sha = Commit("git rm -rq .github");
  ASSERT_TRUE(mirrors_->Fetch("o", "r").ok());
  auto files = mirrors_->Workflows("o", "r", sha);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_TRUE(files.value().empty());
  EXPECT_FALSE(mirrors_->Workflows("o", "r", std::string(40, 'e')).ok());
}

TEST_P(GitMirrorsTest, FetchMirrorsNewCommitsAndPrunesDeletedBranches) {
  Sh(origin_, "git branch gone");
  ASSERT_TRUE(mirrors_->Fetch("o", "r").ok());
  ASSERT_TRUE(mirrors_->Refs("o", "r").value().count("refs/heads/gone"));
  std::string sha = Commit("printf two > f.txt");
  Sh(origin_, "git branch -D gone");
  EXPECT_FALSE(mirrors_->RefIs("o", "r", "refs/heads/main", sha));
  ASSERT_TRUE(mirrors_->Fetch("o", "r").ok());
  EXPECT_TRUE(mirrors_->RefIs("o", "r", "refs/heads/main", sha));
  auto refs = mirrors_->Refs("o", "r");
  ASSERT_TRUE(refs.ok());
  EXPECT_EQ(refs.value().at("refs/heads/main"), sha);
  EXPECT_EQ(refs.value().at("refs/tags/v1"), first_);
  // An annotated tag names its tag object, as `git for-each-ref` prints it.
  EXPECT_EQ(refs.value().at("refs/tags/v2"), Trim(Sh(origin_, "git rev-parse v2")));
  EXPECT_EQ(refs.value().count("refs/heads/gone"), 0u);
  EXPECT_EQ(mirrors_->ReadFile("o", "r", sha, "f.txt").value(), "two");
  EXPECT_EQ(mirrors_->Resolve("o", "r", "main").value(), sha);
  EXPECT_EQ(mirrors_->Resolve("o", "r", "v2").value(), first_);  // peeled to the commit
  EXPECT_EQ(mirrors_->Resolve("o", "r", sha.substr(0, 10)).value(), sha);
  EXPECT_EQ(mirrors_->Resolve("o", "r", "nope").status().code(), core::StatusCode::kNotFound);
  // A clone of the mirror has every object, wherever the mirror keeps them.
  Sh(root_, "git clone -q --shared git/o/r.git clone && git -C clone cat-file -e " + sha);
}

TEST_P(GitMirrorsTest, ChangedFilesAndCommitInfo) {
  std::string sha = Commit("printf two > f.txt && git mv .github/workflows/b.yml b.yml");
  ASSERT_TRUE(mirrors_->Fetch("o", "r").ok());
  auto changed = mirrors_->ChangedFiles("o", "r", first_, sha);
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  // A move changes both paths (a paths: filter on either directory matches it).
  EXPECT_EQ(changed.value(),
            (std::vector<std::string>{".github/workflows/b.yml", "b.yml", "f.txt"}));
  EXPECT_FALSE(mirrors_->ChangedFiles("o", "r", std::string(40, 'e'), sha).ok());
  auto info = mirrors_->CommitInfo("o", "r", sha);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.value().first, "second: a change");
  EXPECT_EQ(info.value().second, "Alice");
}

TEST_P(GitMirrorsTest, FetchFromAFileUrlAndFailureSaysWhy) {
  ASSERT_TRUE(mirrors_->Create("o", "u", "file://" + origin_).ok());
  std::string sha = Commit("printf three > f.txt");
  ASSERT_TRUE(mirrors_->Fetch("o", "u").ok());
  EXPECT_TRUE(mirrors_->RefIs("o", "u", "refs/heads/main", sha));
  std::filesystem::remove_all(origin_);
  core::Status gone = mirrors_->Fetch("o", "u");
  EXPECT_EQ(gone.code(), core::StatusCode::kUnavailable);
  EXPECT_NE(gone.message().find("fetch failed"), std::string::npos) << gone.message();
  EXPECT_FALSE(mirrors_->Create("o", "x", root_ + "/nothing-here").ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, GitMirrorsTest, ::testing::Values("git", "libgit2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace gantry::server
