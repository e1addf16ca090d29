// Integration tests of remote actions under `gantry exec`: fetched with git from a local bare
// repository mirror (`--actions-url file://...`) into an action cache of the test's own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "action_test_util.h"
#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string EchoAction(const std::string& text) {
  return "inputs:\n  extra: {default: none}\nruns:\n  using: composite\n  steps:\n"
         "    - shell: bash\n      run: echo \"" +
         text + " extra=${{ inputs.extra }} repo=${{ github.action_repository }}" +
         " ref=${{ github.action_ref }}\"\n";
}

// acme/greet: tag v1 (and a later commit on main), branch `feature`, a sub-path action.
class RemoteActionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path repo = mirror_.Repo("acme", "greet");
    WriteAt(repo / "action.yml", EchoAction("greet v1"));
    WriteAt(repo / "sub" / "action.yml", EchoAction("greet sub v1"));
    v1_sha_ = mirror_.Commit("acme", "greet", "v1");
    ShIn(repo, "git tag v1");
    WriteAt(repo / "action.yml", EchoAction("greet main"));
    main_sha_ = mirror_.Commit("acme", "greet", "main moves on");
    ShIn(repo, "git checkout -q -b feature");
    WriteAt(repo / "action.yml", EchoAction("greet feature"));
    mirror_.Commit("acme", "greet", "feature");
    ShIn(repo, "git checkout -q main");
    mirror_.Publish("acme", "greet");
  }
  std::string Cache() const { return (p_.base() / "action-cache").string(); }
  Finished Run(const std::string& steps, std::vector<std::string> extra = {}, bool online = true) {
    p_.Workflow("ci.yml", "on: push\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n" +
                              steps +
                              "  other:\n    runs-on: ubuntu-latest\n    steps:\n"
                              "      - run: echo \"independent job ran\"\n");
    std::vector<std::string> args = {"exec", "--action-cache", Cache()};
    if (online) {
      args.push_back("--actions-url");
      args.push_back(mirror_.Url());
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return p_.Run(args);
  }

  Project p_;
  Mirror mirror_{p_.base()};
  std::string v1_sha_, main_sha_;
};

TEST_F(RemoteActionTest, TagBranchFullShaAndSubPathResolve) {
  Finished f =
      Run("      - uses: acme/greet@v1\n        with: {extra: tagged}\n"
          "      - uses: acme/greet@feature\n"
          "      - uses: acme/greet@" +
          main_sha_ +
          "\n"
          "      - uses: acme/greet/sub@v1\n");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("greet v1 extra=tagged repo=acme/greet ref=v1"));
  EXPECT_THAT(f.out, HasSubstr("greet feature extra=none repo=acme/greet ref=feature"));
  EXPECT_THAT(f.out, HasSubstr("greet main extra=none repo=acme/greet ref=" + main_sha_));
  EXPECT_THAT(f.out, HasSubstr("greet sub v1 extra=none"));
  EXPECT_THAT(f.out, HasSubstr("independent job ran"));
  // The cache holds one directory per commit.
  EXPECT_TRUE(fs::exists(fs::path(Cache()) / "acme" / "greet" / v1_sha_ / "action.yml"));
  EXPECT_TRUE(fs::exists(fs::path(Cache()) / "acme" / "greet" / main_sha_ / "action.yml"));
}

TEST_F(RemoteActionTest, MissingRefFailsTheJobInSetUpBeforeAnyStep) {
  Finished f =
      Run("      - run: echo \"before missing\"\n      - uses: acme/greet@v9\n"
          "      - if: always()\n        run: echo \"after missing\"\n");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("acme/greet@v9"));
  EXPECT_THAT(f.out, HasSubstr("unable to find version `v9`"));
  EXPECT_THAT(f.out, Not(HasSubstr("before missing")));
  EXPECT_THAT(f.out, Not(HasSubstr("after missing")));
  EXPECT_THAT(f.out, HasSubstr("independent job ran"));
  EXPECT_THAT(f.out, HasSubstr("Summary:"));
}

TEST_F(RemoteActionTest, MissingRepositoryFailsTheJobClearly) {
  Finished f = Run("      - uses: acme/nothere@v1\n");
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("acme/nothere@v1"));
  EXPECT_THAT(f.out, HasSubstr("repository not found"));
  EXPECT_THAT(f.out, HasSubstr("independent job ran"));
}

TEST_F(RemoteActionTest, OfflineRunUsesTheCacheOfAnEarlierOnlineRun) {
  const std::string steps = "      - uses: acme/greet@v1\n      - uses: acme/greet/sub@v1\n";
  Finished online = Run(steps);
  ASSERT_EQ(online.exit_code, 0) << online.out << online.err;
  EXPECT_TRUE(fs::exists(fs::path(Cache()) / "acme" / "greet" / v1_sha_ / "sub" / "action.yml"));
  // The mirror is gone: only the cache can serve the action now.
  fs::remove_all(mirror_.root());
  Finished offline = Run(steps, {"--offline"}, /*online=*/false);
  EXPECT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_THAT(offline.out, HasSubstr("greet v1 extra=none"));
  EXPECT_THAT(offline.out, HasSubstr("greet sub v1 extra=none"));

  Finished uncached = Run("      - uses: acme/greet@feature\n", {"--offline"}, false);
  EXPECT_EQ(uncached.exit_code, 1) << uncached.out << uncached.err;
  EXPECT_THAT(uncached.out, HasSubstr("acme/greet@feature"));
  EXPECT_THAT(uncached.out, HasSubstr("not in the action cache"));
  EXPECT_THAT(uncached.out, HasSubstr("(offline)"));
}

TEST_F(RemoteActionTest, LocalActionOverrideReplacesTheFetch) {
  fs::path local = p_.base() / "checkout-of-greet";
  WriteAt(local / "action.yml", EchoAction("local override"));
  // The URL leads nowhere: the override must not fetch.
  Finished f = Run("      - uses: acme/greet@v1\n",
                   {"--actions-url", "file://" + (p_.base() / "no-mirror").string(),
                    "--local-action", "acme/greet@v1=" + local.string()},
                   /*online=*/false);
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("local override extra=none repo=acme/greet ref=v1"));
  EXPECT_THAT(f.out, Not(HasSubstr("greet v1")));
}

TEST_F(RemoteActionTest, OwnerUrlSendsOneOwnerToAnotherMirror) {
  Mirror other(p_.base() / "elsewhere");
  WriteAt(other.Repo("tools", "hello") / "action.yml", EchoAction("tools hello"));
  other.Commit("tools", "hello", "first");
  ShIn(other.Repo("tools", "hello"), "git tag v2");
  other.Publish("tools", "hello");
  Finished f = Run("      - uses: tools/hello@v2\n      - uses: acme/greet@v1\n",
                   {"--actions-url-for", "tools=" + other.Url()});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("tools hello extra=none repo=tools/hello ref=v2"));
  EXPECT_THAT(f.out, HasSubstr("greet v1 extra=none"));
}

TEST_F(RemoteActionTest, RemoteCompositeUsesFurtherRemoteActionsAndNodePostStagesRun) {
  fs::path wrap = mirror_.Repo("acme", "wrap");
  WriteAt(wrap / "action.yml", R"yaml(runs:
  using: composite
  steps:
    - uses: acme/greet@v1
      with: {extra: "from-wrap"}
    - shell: bash
      run: echo "wrap done repo=${{ github.action_repository }}"
)yaml");
  mirror_.Commit("acme", "wrap", "wrap");
  ShIn(wrap, "git tag v3");
  mirror_.Publish("acme", "wrap");
  std::string steps = "      - uses: acme/wrap@v3\n";
  if (HaveNode()) {
    fs::path noder = mirror_.Repo("acme", "noder");
    WriteAt(noder / "action.yml", "runs:\n  using: node20\n  main: main.js\n  post: post.js\n");
    WriteAt(noder / "main.js", R"js(const fs = require('fs');
console.log(`noder main repo=${process.env.GITHUB_ACTION_REPOSITORY} ref=${process.env.GITHUB_ACTION_REF}`);
fs.appendFileSync(process.env.GITHUB_STATE, 'where=' + __dirname + '\n');
)js");
    WriteAt(noder / "post.js",
            "console.log(`noder post same-dir=${process.env.STATE_where === __dirname}`);\n");
    mirror_.Commit("acme", "noder", "noder");
    ShIn(noder, "git tag v1");
    mirror_.Publish("acme", "noder");
    steps += "      - uses: acme/noder@v1\n";
  }
  Finished f = Run(steps + "      - run: echo \"main steps done\"\n");
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("greet v1 extra=from-wrap repo=acme/greet ref=v1"));
  EXPECT_THAT(f.out, HasSubstr("wrap done repo=acme/wrap"));
  if (HaveNode()) {
    EXPECT_THAT(f.out, HasSubstr("noder main repo=acme/noder ref=v1"));
    size_t done = f.out.find("main steps done");
    size_t post = f.out.find("noder post same-dir=true");
    ASSERT_NE(post, std::string::npos) << f.out;
    EXPECT_LT(done, post);
  }
}

}  // namespace
}  // namespace gantry::exec_test
