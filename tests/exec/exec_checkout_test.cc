// Integration tests of the built-in actions/checkout under `gantry exec`: the default checkout
// is a real clone of the commit under test, as GitHub's, with the working tree's changes on top.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The sha of HEAD in `dir`.
std::string HeadOf(const fs::path& dir) {
  std::string command = "git -C '" + dir.string() + "' rev-parse HEAD";
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  char buf[128];
  while (pipe != nullptr && fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  if (pipe != nullptr) pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(ExecCheckoutTest, DefaultCheckoutIsAShallowCloneOnTheBranchWithUncommittedChanges) {
  Project p;
  p.Write("a.txt", "committed\n");
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "head=$(git rev-parse HEAD) branch=$(git symbolic-ref --short HEAD)"
          echo "log=$(git log -1 --format=%s) shallow=$(git rev-parse --is-shallow-repository)"
          echo "tracking=$(git rev-parse refs/remotes/origin/main)"
          echo "status=$(git status --porcelain | tr '\n' ,)"
          git diff --exit-code || echo "diff shows the change"
)yaml");
  p.GitInit();
  std::string head = HeadOf(p.root());
  p.Write("a.txt", "changed\n");
  p.Write("new.txt", "untracked\n");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("head=" + head + " branch=main"));
  EXPECT_THAT(f.out, HasSubstr("log=init shallow=true"));
  EXPECT_THAT(f.out, HasSubstr("tracking=" + head));
  EXPECT_THAT(f.out, HasSubstr("status= M a.txt,?? new.txt,"));
  EXPECT_THAT(f.out, HasSubstr("+changed"));
  EXPECT_THAT(f.out, HasSubstr("diff shows the change"));
}

TEST(ExecCheckoutTest, FetchDepthZeroHasTheWholeHistoryAndTagsForGitDescribe) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - run: echo "describe=$(git describe --tags --abbrev=0) count=$(git rev-list --count HEAD)"
)yaml");
  p.GitInit();
  p.Sh("git tag v1.0 && git commit -q --allow-empty -m second");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("describe=v1.0 count=2"));
}

TEST(ExecCheckoutTest, APullRequestIsCheckedOutDetachedAtItsMergeRef) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "head=$(git rev-parse --abbrev-ref HEAD) ref=$GITHUB_REF"
      - run: git rev-parse --verify -q "refs/remotes/${GITHUB_REF#refs/}"
)yaml");
  p.GitInit();
  Finished f = p.Run({"exec", "pull_request"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, testing::ContainsRegex("head=HEAD ref=refs/pull/[0-9]+/merge"));
}

TEST(ExecCheckoutTest, SubmodulesAreCheckedOutFromTheLocalCheckoutOnlyWhenAsked) {
  Project p;
  fs::path sub = p.base() / "sub";
  fs::create_directories(sub);
  std::string git = "git -C '" + sub.string() + "' ";
  p.Sh(git + "init -q -b main && echo inside > '" + sub.string() + "/s.txt' && " + git +
       "add -A && " + git + "-c user.name=t -c user.email=t@e commit -qm s");
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  plain:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "plain: $(ls -A mod | tr '\n' ' ')."
  with-submodules:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          submodules: true
      - run: echo "sub=$(cat mod/s.txt) $(git -C mod log -1 --format=%s) $(git submodule status | cut -c1)."
)yaml");
  p.GitInit();
  p.Sh("git -c protocol.file.allow=always submodule add -q '" + sub.string() +
       "' mod && git commit -qm mod");
  fs::remove_all(sub);  // only the project's own checkout of the submodule is left
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("[plain] plain: ."));  // no broken .git link file
  EXPECT_THAT(f.out, HasSubstr("sub=inside s  ."));
}

TEST(ExecCheckoutTest, GitWorksInTheCloneUnderTheSandbox) {
  // The sandbox's private /tmp hides the project (in the temp directory): the clone must not
  // need it.
  Project p;
  p.Write("a.txt", "committed\n");
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "log=$(git log -1 --format=%s) status=$(git status --porcelain | tr '\n' ,)"
)yaml");
  p.GitInit();
  p.Write("a.txt", "changed\n");
  Finished f = p.Run({"exec", "--sandbox"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("log=init status= M a.txt,"));
}

TEST(ExecCheckoutTest, ASharedWorkspaceIsLeftAsItIs) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "ws=$GITHUB_WORKSPACE"
)yaml");
  p.GitInit();
  p.Write("local.txt", "x\n");
  Finished f = p.Run({"exec", "--workspace", p.root().string()});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("nothing to copy"));
  EXPECT_THAT(f.out, HasSubstr("ws=" + p.root().string()));
  EXPECT_THAT(f.out, Not(HasSubstr("Cloning")));
}

}  // namespace
}  // namespace gantry::exec_test
