#include "actions/checkout.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "actions/test_util.h"

namespace gantry::actions {
namespace {

namespace fs = std::filesystem;
using testing::ListFiles;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// Runs a shell command; returns its stdout without the trailing newline.
std::string Sh(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "<popen failed>";
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  EXPECT_EQ(status, 0) << command << "\n" << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// A repository with two commits (tag v1 on the first), an uncommitted change and an untracked
// file, plus an empty workspace.
class CheckoutTest : public ::testing::Test {
 protected:
  CheckoutTest() {
    repo_ = dir_ / "repo";
    workspace_ = dir_ / "ws";
    fs::create_directories(workspace_);
    std::string git = "git -C " + repo_ + " -c user.name=t -c user.email=t@e ";
    Sh("git init -q -b main " + repo_);
    WriteFile(repo_ + "/a.txt", "one\n");
    WriteFile(repo_ + "/gone.txt", "tracked\n");
    Sh(git + "add -A && " + git + "commit -qm first && " + git + "tag v1");
    first_ = Sh(git + "rev-parse HEAD");
    WriteFile(repo_ + "/a.txt", "two\n");
    Sh(git + "commit -qam second");
    second_ = Sh(git + "rev-parse HEAD");
    WriteFile(repo_ + "/a.txt", "uncommitted\n");
    WriteFile(repo_ + "/new.txt", "untracked\n");
    fs::remove(repo_ + "/gone.txt");
  }

  engine::BuiltinCall Call(engine::EnvList inputs) {
    engine::BuiltinCall call;
    call.action = testing::Remote("actions", "checkout");
    call.inputs = std::move(inputs);
    call.env = {{"GITHUB_REF", "refs/heads/main"}};
    call.workspace = workspace_;
    call.temp = dir_ / "tmp";
    call.repository_dir = repo_;
    call.github_repository = "owner/repo";
    call.log = [this](std::string_view line) { log_.emplace_back(line); };
    return call;
  }

  static std::string Output(const engine::BuiltinResult& r, std::string_view name) {
    const std::string* value = engine::FindEnv(r.outputs, name);
    return value != nullptr ? *value : "<unset>";
  }

  TempDir dir_;
  std::string repo_, workspace_, first_, second_;
  std::vector<std::string> log_;
};

// The files of a workspace, without the clone's .git.
std::vector<std::string> WorkTreeFiles(const std::string& dir) {
  std::vector<std::string> files = ListFiles(dir);
  std::erase_if(files, [](const std::string& f) { return f.starts_with(".git/"); });
  return files;
}

TEST_F(CheckoutTest, DefaultClonesTheCommitShallowlyWithUncommittedChangesOnTop) {
  auto result = RunCheckout(Call({}));
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(WorkTreeFiles(workspace_), (std::vector<std::string>{"a.txt", "new.txt"}));
  EXPECT_EQ(ReadFile(workspace_ + "/a.txt"), "uncommitted\n");
  EXPECT_EQ(Sh("git -C " + workspace_ + " rev-parse HEAD"), second_);
  EXPECT_EQ(Sh("git -C " + workspace_ + " log --format=%s"), "second");
  EXPECT_EQ(Sh("git -C " + workspace_ + " rev-parse --is-shallow-repository"), "true");
  EXPECT_EQ(Sh("git -C " + workspace_ + " status --porcelain"),
            " M a.txt\n D gone.txt\n?? new.txt");
  EXPECT_EQ(Output(result, "ref"), "refs/heads/main");
  EXPECT_EQ(Output(result, "commit"), second_);
}

TEST_F(CheckoutTest, DefaultChecksOutTheBranchOfAPushLikeActionsCheckoutInASelfContainedClone) {
  ASSERT_EQ(RunCheckout(Call({})).error, "");
  EXPECT_EQ(Sh("git -C " + workspace_ + " symbolic-ref HEAD"), "refs/heads/main");
  EXPECT_EQ(Sh("git -C " + workspace_ + " rev-parse refs/remotes/origin/main"), second_);
  EXPECT_EQ(Sh("git -C " + workspace_ + " remote get-url origin"),
            "file://" + fs::canonical(repo_).string());
  // The clone is self-contained: steps in a container or a sandbox do not see the repository.
  fs::rename(repo_, dir_ / "moved");
  EXPECT_EQ(Sh("git -C " + workspace_ + " log -1 --format=%s"), "second");
  EXPECT_EQ(Sh("git -C " + workspace_ + " fsck --connectivity-only 2>&1 && echo ok"), "ok");
}

TEST_F(CheckoutTest, DefaultDetachesHeadAtAPullRequestsMergeRef) {
  auto call = Call({});
  call.env = {{"GITHUB_REF", "refs/pull/7/merge"}, {"GITHUB_SHA", second_}};
  ASSERT_EQ(RunCheckout(call).error, "");
  EXPECT_EQ(Sh("git -C " + workspace_ + " rev-parse --abbrev-ref HEAD"), "HEAD");
  EXPECT_EQ(Sh("git -C " + workspace_ + " rev-parse refs/remotes/pull/7/merge"), second_);
}

TEST_F(CheckoutTest, DefaultChecksOutGithubShaWithoutTheWorkingTreesChanges) {
  auto call = Call({});
  call.env = {{"GITHUB_REF", "refs/tags/v1"}, {"GITHUB_SHA", first_}};
  auto result = RunCheckout(call);
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(ReadFile(workspace_ + "/a.txt"), "one\n");
  EXPECT_EQ(Sh("git -C " + workspace_ + " describe --tags"), "v1");
  EXPECT_EQ(Sh("git -C " + workspace_ + " status --porcelain"), "");
  EXPECT_EQ(Output(result, "commit"), first_);
}

TEST_F(CheckoutTest, DefaultLeavesOutIgnoredFiles) {
  WriteFile(repo_ + "/.gitignore", "build/\n");
  WriteFile(repo_ + "/build/out.o", "o");
  ASSERT_EQ(RunCheckout(Call({})).error, "");
  EXPECT_EQ(WorkTreeFiles(workspace_),
            (std::vector<std::string>{".gitignore", "a.txt", "new.txt"}));
}

TEST_F(CheckoutTest, DefaultHonoursExcludeAndPath) {
  WriteFile(repo_ + "/run/log", "x");
  auto call = Call({{"path", "sub/dir"}});
  call.exclude = {repo_ + "/run"};
  ASSERT_EQ(RunCheckout(call).error, "");
  EXPECT_EQ(WorkTreeFiles(workspace_ + "/sub/dir"), (std::vector<std::string>{"a.txt", "new.txt"}));
  EXPECT_TRUE(fs::exists(workspace_ + "/sub/dir/.git"));
}

TEST_F(CheckoutTest, AFolderOfARepositoryIsCopiedWithoutGit) {
  WriteFile(repo_ + "/app/x.txt", "x\n");
  auto call = Call({});
  call.repository_dir = repo_ + "/app";
  ASSERT_EQ(RunCheckout(call).error, "");
  EXPECT_EQ(ListFiles(workspace_), (std::vector<std::string>{"x.txt"}));
}

TEST_F(CheckoutTest, CopyLeavesOutNestedGitEntries) {
  std::string from = dir_ / "plain";
  WriteFile(from + "/mod/.git", "gitdir: ../.git/modules/mod\n");
  WriteFile(from + "/mod/s.txt", "s\n");
  ASSERT_TRUE(CopyWorkingTree(from, workspace_, {}).ok());
  EXPECT_EQ(ListFiles(workspace_), (std::vector<std::string>{"mod/s.txt"}));
}

TEST_F(CheckoutTest, CleanRemovesTheDestinationsContentsFirst) {
  WriteFile(workspace_ + "/stale", "s");
  ASSERT_EQ(RunCheckout(Call({{"clean", "false"}})).error, "");
  EXPECT_TRUE(fs::exists(workspace_ + "/stale"));
  EXPECT_EQ(ReadFile(workspace_ + "/a.txt"), "uncommitted\n");
  ASSERT_EQ(RunCheckout(Call({})).error, "");
  EXPECT_FALSE(fs::exists(workspace_ + "/stale"));
}

TEST_F(CheckoutTest, SharedWorkspaceWithoutPathDoesNothing) {
  auto call = Call({});
  call.shared_workspace = repo_;
  call.workspace = repo_;
  ASSERT_EQ(RunCheckout(call).error, "");
  EXPECT_EQ(ReadFile(repo_ + "/a.txt"), "uncommitted\n");
  EXPECT_TRUE(fs::is_empty(workspace_));
}

TEST_F(CheckoutTest, PathOutsideTheWorkspaceIsRejected) {
  auto dotdot = RunCheckout(Call({{"path", "../elsewhere"}}));
  EXPECT_EQ(dotdot.error, "actions/checkout: path '../elsewhere' must not contain '..'");
  auto absolute = RunCheckout(Call({{"path", dir_ / "elsewhere"}}));
  EXPECT_NE(absolute.error.find("which is not under " + workspace_), std::string::npos)
      << absolute.error;
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere"));
}

TEST_F(CheckoutTest, RefModeChecksOutATagShallowly) {
  auto result = RunCheckout(Call({{"ref", "v1"}}));
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(ReadFile(workspace_ + "/a.txt"), "one\n");
  EXPECT_EQ(ReadFile(workspace_ + "/gone.txt"), "tracked\n");
  EXPECT_FALSE(fs::exists(workspace_ + "/new.txt"));
  EXPECT_EQ(Output(result, "ref"), "v1");
  EXPECT_EQ(Output(result, "commit"), first_);
  EXPECT_EQ(Sh("git -C " + workspace_ + " rev-list --count HEAD"), "1");
}

TEST_F(CheckoutTest, RefModeWithABranchCreatesTheLocalBranch) {
  auto result = RunCheckout(Call({{"ref", "main"}}));
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(ReadFile(workspace_ + "/a.txt"), "two\n");
  EXPECT_EQ(Sh("git -C " + workspace_ + " rev-parse --abbrev-ref HEAD"), "main");
  EXPECT_EQ(Sh("git -C " + workspace_ + " rev-parse --is-shallow-repository"), "true");
  EXPECT_EQ(Output(result, "commit"), second_);
}

TEST_F(CheckoutTest, RefModeWithACommitSha) {
  auto result = RunCheckout(Call({{"ref", first_}}));
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(ReadFile(workspace_ + "/a.txt"), "one\n");
  EXPECT_EQ(Output(result, "ref"), "");
  EXPECT_EQ(Output(result, "commit"), first_);
}

TEST_F(CheckoutTest, FetchDepthZeroGivesTheFullHistory) {
  auto result = RunCheckout(Call({{"ref", "main"}, {"fetch-depth", "0"}}));
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(Sh("git -C " + workspace_ + " log --format=%s"), "second\nfirst");
  EXPECT_EQ(Sh("git -C " + workspace_ + " tag"), "v1");
}

TEST_F(CheckoutTest, FetchDepthZeroWithoutRefKeepsUncommittedChanges) {
  auto result = RunCheckout(Call({{"fetch-depth", "0"}}));
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(Sh("git -C " + workspace_ + " log --format=%s"), "second\nfirst");
  EXPECT_EQ(ReadFile(workspace_ + "/a.txt"), "uncommitted\n");
  EXPECT_EQ(ReadFile(workspace_ + "/new.txt"), "untracked\n");
  EXPECT_FALSE(fs::exists(workspace_ + "/gone.txt"));
  EXPECT_EQ(Sh("git -C " + workspace_ + " status --porcelain"),
            " M a.txt\n D gone.txt\n?? new.txt");
  EXPECT_EQ(Output(result, "ref"), "refs/heads/main");
}

TEST_F(CheckoutTest, AMissingRefFailsNamingIt) {
  auto result = RunCheckout(Call({{"ref", "no-such-branch"}}));
  EXPECT_EQ(result.error.rfind("actions/checkout: A branch or tag with the name 'no-such-branch' "
                               "could not be found",
                               0),
            0u)
      << result.error;
}

TEST_F(CheckoutTest, AnotherRepositoryNeedsAUrl) {
  auto named = RunCheckout(Call({{"repository", "other/x"}}));
  EXPECT_EQ(named.error.rfind(
                "actions/checkout: checking out another repository (other/x) needs a URL or a "
                "mirror",
                0),
            0u)
      << named.error;
  auto url = RunCheckout(Call({{"repository", repo_}, {"ref", "v1"}, {"path", "other"}}));
  ASSERT_EQ(url.error, "");
  EXPECT_EQ(ReadFile(workspace_ + "/other/a.txt"), "one\n");
  EXPECT_EQ(Output(url, "commit"), first_);
}

TEST_F(CheckoutTest, SubmodulesWithoutGitmodulesAreLoggedAndSkipped) {
  ASSERT_EQ(RunCheckout(Call({{"ref", "main"}, {"submodules", "recursive"}})).error, "");
  EXPECT_NE(std::find(log_.begin(), log_.end(), "No submodules to update (no .gitmodules)"),
            log_.end());
}

TEST_F(CheckoutTest, SubmodulesAreCheckedOutWhenAsked) {
  std::string sub = dir_ / "sub";
  std::string git = " -c user.name=t -c user.email=t@e ";
  Sh("git init -q -b main " + sub);
  WriteFile(sub + "/s.txt", "sub\n");
  Sh("git -C " + sub + git + "add -A && git -C " + sub + git + "commit -qm s");
  Sh("git -C " + repo_ + git + "-c protocol.file.allow=always submodule add -q " + sub +
     " mod 2>&1 && git -C " + repo_ + git + "commit -qm mod");
  ASSERT_EQ(RunCheckout(Call({{"ref", "main"}, {"submodules", "true"}})).error, "");
  EXPECT_EQ(ReadFile(workspace_ + "/mod/s.txt"), "sub\n");
}

TEST_F(CheckoutTest, DefaultChecksOutSubmodulesFromTheLocalCheckoutsOfThem) {
  std::string sub = dir_ / "sub";
  std::string git = " -c user.name=t -c user.email=t@e ";
  Sh("git init -q -b main " + sub);
  WriteFile(sub + "/s.txt", "sub\n");
  Sh("git -C " + sub + git + "add -A && git -C " + sub + git + "commit -qm s");
  Sh("git -C " + repo_ + git + "-c protocol.file.allow=always submodule add -q " + sub +
     " mod 2>&1 && git -C " + repo_ + git + "commit -qm mod");
  fs::remove_all(sub);  // only the repository's own checkout of the submodule is left
  ASSERT_EQ(RunCheckout(Call({})).error, "");
  EXPECT_FALSE(fs::exists(workspace_ + "/mod/s.txt"));  // submodules: false
  ASSERT_EQ(RunCheckout(Call({{"submodules", "true"}})).error, "");
  EXPECT_EQ(ReadFile(workspace_ + "/mod/s.txt"), "sub\n");
  EXPECT_EQ(Sh("git -C " + workspace_ + "/mod log --format=%s"), "s");
  EXPECT_EQ(Sh("git -C " + workspace_ + " submodule status | cut -c1"), " ");
}

TEST_F(CheckoutTest, InvalidFetchDepthIsRejected) {
  EXPECT_EQ(RunCheckout(Call({{"ref", "main"}, {"fetch-depth", "all"}})).error,
            "actions/checkout: fetch-depth 'all' is not a number of commits (0 = all history)");
}

TEST_F(CheckoutTest, CancelledCheckoutFails) {
  backend::CancelToken cancel;
  cancel.Cancel();
  auto call = Call({{"ref", "main"}});
  call.cancel = &cancel;
  EXPECT_NE(RunCheckout(call).error, "");
}

}  // namespace
}  // namespace gantry::actions
