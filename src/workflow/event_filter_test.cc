#include "workflow/event_filter.h"

#include <gtest/gtest.h>

#include "workflow/loader.h"

namespace gantry::workflow {
namespace {

Triggers On(const std::string& on_yaml) {
  std::string text =
      "on:\n" + on_yaml + "jobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n";
  auto r = LoadWorkflow(text, "w.yml");
  EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].ToString());
  return r.workflow ? r.workflow->on : Triggers{};
}

EventFacts Push(const std::string& ref, std::vector<std::string> files = {}) {
  EventFacts f;
  f.name = "push";
  f.ref = ref;
  f.changed_files = std::move(files);
  return f;
}

TEST(FilterPatternTest, StarStopsAtSlashAndDoubleStarCrossesIt) {
  EXPECT_TRUE(MatchFilterPattern("feature/*", "feature/x"));
  EXPECT_FALSE(MatchFilterPattern("feature/*", "feature/x/y"));
  EXPECT_TRUE(MatchFilterPattern("feature/**", "feature/x/y"));
  EXPECT_TRUE(MatchFilterPattern("**.md", "docs/a/readme.md"));
  EXPECT_TRUE(MatchFilterPattern("*.md", "readme.md"));
  EXPECT_FALSE(MatchFilterPattern("*.md", "docs/readme.md"));
}

TEST(FilterPatternTest, DoubleStarSlashAlsoMatchesTheTopLevel) {
  EXPECT_TRUE(MatchFilterPattern("**/docs/**", "docs/hello.md"));
  EXPECT_TRUE(MatchFilterPattern("**/docs/**", "dir/docs/my-file.txt"));
  EXPECT_FALSE(MatchFilterPattern("**/docs/**", "documents/a"));
}

TEST(FilterPatternTest, QuestionPlusAndClassesApplyToTheCharacterBefore) {
  EXPECT_TRUE(MatchFilterPattern("v2?", "v"));
  EXPECT_TRUE(MatchFilterPattern("v2?", "v2"));
  EXPECT_FALSE(MatchFilterPattern("v2?", "v22"));
  EXPECT_TRUE(MatchFilterPattern("v1+", "v111"));
  EXPECT_TRUE(MatchFilterPattern("v[12].[0-9]+.[0-9]+", "v2.10.3"));
  EXPECT_FALSE(MatchFilterPattern("v[12].[0-9]+.[0-9]+", "v3.1.0"));
  EXPECT_FALSE(MatchFilterPattern("a.b", "axb"));  // '.' is literal
}

TEST(FilterPatternTest, NegationExcludesWhatEarlierPatternsIncluded) {
  std::vector<std::string> list = {"releases/**", "!releases/**-alpha"};
  EXPECT_TRUE(MatchFilterList(list, "releases/10"));
  EXPECT_FALSE(MatchFilterList(list, "releases/10-alpha"));
  EXPECT_FALSE(MatchFilterList(list, "main"));
}

TEST(TriggersMatchTest, EventMustBeListed) {
  auto on = On("  push:\n");
  EXPECT_TRUE(TriggersMatch(on, Push("refs/heads/main")));
  EventFacts pr;
  pr.name = "pull_request";
  EXPECT_FALSE(TriggersMatch(on, pr));
}

TEST(TriggersMatchTest, BranchFiltersMatchTheCurrentBranch) {
  auto on = On("  push:\n    branches: [main, 'release/**']\n");
  EXPECT_TRUE(TriggersMatch(on, Push("refs/heads/main")));
  EXPECT_TRUE(TriggersMatch(on, Push("refs/heads/release/1.0")));
  EXPECT_FALSE(TriggersMatch(on, Push("refs/heads/dev")));
  // Only branches filtered: a tag push does not trigger.
  EXPECT_FALSE(TriggersMatch(on, Push("refs/tags/v1")));
}

TEST(TriggersMatchTest, TagFiltersMatchTagsAndExcludeBranches) {
  auto on = On("  push:\n    tags: ['v*']\n");
  EXPECT_TRUE(TriggersMatch(on, Push("refs/tags/v1.2")));
  EXPECT_FALSE(TriggersMatch(on, Push("refs/tags/x1")));
  EXPECT_FALSE(TriggersMatch(on, Push("refs/heads/main")));
}

TEST(TriggersMatchTest, BranchesIgnoreSkipsListedBranches) {
  auto on = On("  push:\n    branches-ignore: ['wip/*']\n");
  EXPECT_FALSE(TriggersMatch(on, Push("refs/heads/wip/x")));
  EXPECT_TRUE(TriggersMatch(on, Push("refs/heads/main")));
}

TEST(TriggersMatchTest, PathsNeedOneMatchingChangedFile) {
  auto on = On("  push:\n    paths: ['src/**']\n");
  EXPECT_TRUE(TriggersMatch(on, Push("refs/heads/main", {"README.md", "src/a.cc"})));
  EXPECT_FALSE(TriggersMatch(on, Push("refs/heads/main", {"README.md"})));
  EventFacts unknown = Push("refs/heads/main");
  unknown.changed_files.reset();
  EXPECT_TRUE(TriggersMatch(on, unknown));
}

TEST(TriggersMatchTest, PathsIgnoreSkipsWhenEveryFileIsIgnored) {
  auto on = On("  pull_request:\n    branches: [main]\n    paths-ignore: ['docs/**', '**.md']\n");
  EventFacts pr;
  pr.name = "pull_request";
  pr.base_ref = "main";
  pr.action = "opened";
  pr.changed_files = std::vector<std::string>{"docs/a.txt", "README.md"};
  EXPECT_FALSE(TriggersMatch(on, pr));
  pr.changed_files->push_back("app/x.sh");
  EXPECT_TRUE(TriggersMatch(on, pr));
  pr.base_ref = "feature";
  EXPECT_FALSE(TriggersMatch(on, pr));
}

TEST(TriggersMatchTest, PullRequestTypesDefaultToOpenedSynchronizeReopened) {
  auto on = On("  pull_request:\n");
  EventFacts pr;
  pr.name = "pull_request";
  pr.action = "synchronize";
  EXPECT_TRUE(TriggersMatch(on, pr));
  pr.action = "closed";
  EXPECT_FALSE(TriggersMatch(on, pr));
  auto closed = On("  pull_request:\n    types: [closed]\n");
  EXPECT_TRUE(TriggersMatch(closed, pr));
}

}  // namespace
}  // namespace gantry::workflow
