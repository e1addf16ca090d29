#include "cli/git_context.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

EnvLookup FakeEnv(const std::map<std::string, std::string>& vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A throw-away git repository with one commit on branch `main`.
class GitRepoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gantry-git-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    Git({"init", "-q", "-b", "main"});
    Git({"config", "user.name", "Ada"});
    Git({"config", "user.email", "ada@example.com"});
    Git({"config", "remote.origin.url", "git@example.com:octo/widgets.git"});
    Commit("README.md", "first");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Git(const std::vector<std::string>& args) { ASSERT_TRUE(RunGit(root_, args).ok()); }
  void Commit(const std::string& file, const std::string& message) {
    fs::create_directories((root_ / file).parent_path());
    std::ofstream(root_ / file) << message;
    Git({"add", file});
    Git({"commit", "-q", "-m", message});
  }
  fs::path root_;
};

TEST(RemoteTest, OwnerAndNameFromEveryUrlForm) {
  EXPECT_EQ(RepositoryFromRemote("https://example.com/octo/widgets.git"), "octo/widgets");
  EXPECT_EQ(RepositoryFromRemote("git@example.com:octo/widgets.git"), "octo/widgets");
  EXPECT_EQ(RepositoryFromRemote("ssh://git@example.com:22/octo/widgets"), "octo/widgets");
  EXPECT_EQ(RepositoryFromRemote("/srv/git/octo/widgets.git"), "octo/widgets");
  EXPECT_EQ(RepositoryFromRemote("widgets"), std::nullopt);
}

TEST_F(GitRepoTest, ReadsHeadBranchRemoteAndUser) {
  GitInfo g = ReadGitInfo(root_);
  EXPECT_EQ(g.sha.size(), 40u);
  EXPECT_EQ(g.branch, "main");
  EXPECT_EQ(g.default_branch, "main");
  EXPECT_EQ(g.user_name, "Ada");
  EXPECT_EQ(g.message, "first");
  EXPECT_TRUE(g.parent_sha.empty());
}

TEST_F(GitRepoTest, IdentityComesFromGitWithEnvironmentOverrides) {
  GitInfo g = ReadGitInfo(root_);
  RunIdentity id = ResolveIdentity(g, "push", expr::Value(), root_, FakeEnv({{"USER", "ada"}}));
  EXPECT_EQ(id.repository, "octo/widgets");
  EXPECT_EQ(id.owner, "octo");
  EXPECT_EQ(id.actor, "ada");  // a login, not git's user.name "Ada"
  EXPECT_EQ(id.ref, "refs/heads/main");
  EXPECT_EQ(id.ref_name, "main");
  EXPECT_EQ(id.ref_type, "branch");
  RunIdentity act = ResolveIdentity(
      g, "push", expr::Value(), root_,
      FakeEnv({{"GITHUB_ACTOR", "nektos/act"}, {"GITHUB_REPOSITORY", "nektos/act"}}));
  EXPECT_EQ(act.actor, "nektos/act");
  EXPECT_EQ(act.owner, "nektos");
}

TEST_F(GitRepoTest, TagRefWhenHeadIsDetachedAtATag) {
  Git({"tag", "v1.0"});
  Git({"checkout", "-q", "--detach"});
  RunIdentity id = ResolveIdentity(ReadGitInfo(root_), "push", expr::Value(), root_, FakeEnv({}));
  EXPECT_EQ(id.ref, "refs/tags/v1.0");
  EXPECT_EQ(id.ref_type, "tag");
  EXPECT_EQ(id.ref_name, "v1.0");
}

TEST_F(GitRepoTest, PullRequestRefsFromPayloadOrRepository) {
  GitInfo g = ReadGitInfo(root_);
  auto payload = expr::Value::ParseJson(
      R"({"pull_request":{"head":{"ref":"sample-head-ref"},"base":{"ref":"sample-base-ref"}}})");
  RunIdentity id = ResolveIdentity(g, "pull_request", *payload, root_, FakeEnv({}));
  EXPECT_EQ(id.head_ref, "sample-head-ref");
  EXPECT_EQ(id.base_ref, "sample-base-ref");
  EXPECT_EQ(id.ref, "refs/pull/1/merge");
  RunIdentity synthesized = ResolveIdentity(g, "pull_request", expr::Value(), root_, FakeEnv({}));
  EXPECT_EQ(synthesized.base_ref, "main");
  expr::Value event = SynthesizeEvent("pull_request", g, synthesized);
  EXPECT_EQ(event.Find("pull_request")->Find("base")->Find("ref")->string_value(), "main");
  EXPECT_EQ(event.Find("number")->number_value(), 1);
}

TEST_F(GitRepoTest, PushPayloadHasHeadCommitAndPusher) {
  Commit("src/a.cc", "second");
  GitInfo g = ReadGitInfo(root_);
  RunIdentity id = ResolveIdentity(g, "push", expr::Value(), root_, FakeEnv({{"USER", "ada"}}));
  expr::Value e = SynthesizeEvent("push", g, id);
  EXPECT_EQ(e.Find("after")->string_value(), g.sha);
  EXPECT_EQ(e.Find("before")->string_value(), g.parent_sha);
  EXPECT_EQ(e.Find("head_commit")->Find("message")->string_value(), "second");
  // GitHub's pusher.name is the login; the commit keeps git's author name.
  EXPECT_EQ(e.Find("pusher")->Find("name")->string_value(), "ada");
  EXPECT_EQ(e.Find("head_commit")->Find("author")->Find("name")->string_value(), "Ada");
  EXPECT_EQ(e.Find("repository")->Find("full_name")->string_value(), "octo/widgets");
  expr::Value github = BuildGithubContext("push", e, id, "CI", ".github/workflows/ci.yml");
  EXPECT_EQ(github.Find("event_name")->string_value(), "push");
  EXPECT_EQ(github.Find("sha")->string_value(), g.sha);
}

TEST_F(GitRepoTest, ChangedFilesOfLastCommitRelativeToTheProjectFolder) {
  Commit("examples/app/x.sh", "third");
  GitInfo g = ReadGitInfo(root_);
  auto all = ChangedFiles(g, "push", expr::Value(), root_);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(*all, std::vector<std::string>{"examples/app/x.sh"});
  auto inside = ChangedFiles(g, "push", expr::Value(), root_ / "examples");
  EXPECT_EQ(*inside, std::vector<std::string>{"app/x.sh"});
}

TEST_F(GitRepoTest, ChangedFilesFromPushPayloadRange) {
  std::string first = *RunGit(root_, {"rev-parse", "HEAD"});
  Commit("a.txt", "second");
  Commit("b.txt", "third");
  std::string last = *RunGit(root_, {"rev-parse", "HEAD"});
  auto payload =
      expr::Value::ParseJson(R"({"before":")" + first + R"(","after":")" + last + R"("})");
  auto files = ChangedFiles(ReadGitInfo(root_), "push", *payload, root_);
  EXPECT_EQ(*files, (std::vector<std::string>{"a.txt", "b.txt"}));
}

TEST_F(GitRepoTest, PullRequestDiffWithoutMergeBaseComparesSnapshots) {
  Commit("app/x.sh", "second");
  std::string head = *RunGit(root_, {"rev-parse", "HEAD"});
  // The empty tree is no commit: there is no merge base, so both snapshots are compared.
  auto payload = expr::Value::ParseJson(
      R"({"pull_request":{"base":{"sha":"4b825dc642cb6eb9a060e54bf8d69288fbee4904"},"head":{"sha":")" +
      head + R"("}}})");
  auto files = ChangedFiles(ReadGitInfo(root_), "pull_request", *payload, root_);
  ASSERT_TRUE(files.has_value());
  EXPECT_EQ(*files, (std::vector<std::string>{"README.md", "app/x.sh"}));
}

TEST_F(GitRepoTest, ActorIsTheLoginOfTheEventsSender) {
  GitInfo g = ReadGitInfo(root_);
  auto event = expr::Value::ParseJson(R"({"sender": {"login": "octocat"}})");
  ASSERT_TRUE(event.ok());
  RunIdentity id = ResolveIdentity(g, "push", *event, root_, FakeEnv({{"USER", "ada"}}));
  EXPECT_EQ(id.actor, "octocat");
  EXPECT_EQ(ResolveIdentity(g, "push", expr::Value(), root_, FakeEnv({})).actor, "gantry");
}

TEST(GitInfoTest, OutsideARepositoryEverythingIsEmpty) {
  std::string pattern = (fs::temp_directory_path() / "gantry-nogit-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  GitInfo g = ReadGitInfo(pattern);
  EXPECT_TRUE(g.sha.empty());
  RunIdentity id = ResolveIdentity(g, "push", expr::Value(), pattern, FakeEnv({{"USER", "me"}}));
  EXPECT_EQ(id.repository, "local/" + fs::path(pattern).filename().string());
  EXPECT_EQ(id.actor, "me");
  fs::remove_all(pattern);
}

}  // namespace
}  // namespace gantry::cli
