#include "workflow/events.h"

#include <gtest/gtest.h>

#include "workflow/events_test_util.h"
#include "workflow/timezones.h"

namespace gantry::workflow {
namespace {

using testing::ParsedTriggers;

ParsedTriggers Parse(std::string_view yaml) { return testing::ParseOn(yaml); }

TEST(EventsTest, StringForm) {
  auto p = Parse("on: push\n");
  ASSERT_TRUE(p.diagnostics.empty()) << p.First();
  ASSERT_EQ(p.triggers.events.size(), 1u);
  EXPECT_EQ(p.triggers.events[0].name, "push");
  EXPECT_EQ(p.triggers.events[0].pos.line, 1);
  EXPECT_EQ(p.triggers.events[0].pos.column, 5);
}

TEST(EventsTest, ListForm) {
  auto p = Parse("on: [push, pull_request, workflow_dispatch]\n");
  ASSERT_TRUE(p.diagnostics.empty()) << p.First();
  ASSERT_EQ(p.triggers.events.size(), 3u);
  EXPECT_NE(p.triggers.Find("pull_request"), nullptr);
  EXPECT_EQ(p.triggers.Find("release"), nullptr);
}

TEST(EventsTest, MapFormWithFilters) {
  auto p = Parse(R"(on:
  push:
    branches: [main, 'releases/**']
    tags: v*
    paths-ignore:
      - docs/**
  pull_request:
    types: [opened, synchronize]
    branches-ignore: wip
  workflow_run:
    workflows: [CI]
    types: completed
  image_version:
    names: [a]
    versions: '1.*'
  repository_dispatch:
    types: [my-custom-event]
  create:
)");
  ASSERT_TRUE(p.diagnostics.empty()) << p.First();
  const EventTrigger* push = p.triggers.Find("push");
  ASSERT_NE(push, nullptr);
  EXPECT_EQ(push->branches, (std::vector<std::string>{"main", "releases/**"}));
  EXPECT_EQ(push->tags, (std::vector<std::string>{"v*"}));
  EXPECT_EQ(push->paths_ignore, (std::vector<std::string>{"docs/**"}));
  EXPECT_EQ(p.triggers.Find("pull_request")->types,
            (std::vector<std::string>{"opened", "synchronize"}));
  EXPECT_EQ(p.triggers.Find("workflow_run")->workflows, (std::vector<std::string>{"CI"}));
  EXPECT_EQ(p.triggers.Find("image_version")->versions, (std::vector<std::string>{"1.*"}));
  EXPECT_EQ(p.triggers.Find("repository_dispatch")->types,
            (std::vector<std::string>{"my-custom-event"}));
  EXPECT_NE(p.triggers.Find("create"), nullptr);
}

TEST(EventsTest, UnknownEventSuggestsTheClosestName) {
  auto p = Parse("on:\n  pullreq:\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.First(),
            "Unexpected value 'pullreq': not an event that can trigger a workflow (did you mean "
            "'pull_request'?)");
  EXPECT_EQ(p.FirstPos().line, 2);
  EXPECT_EQ(p.FirstPos().column, 3);
  EXPECT_NE(Parse("on: [push, SCHEDULE]\n").First().find("did you mean 'schedule'"),
            std::string::npos);
  EXPECT_NE(Parse("on: pushh\n").First(), "");
}

TEST(EventsTest, InvalidActivityType) {
  auto p = Parse("on:\n  issues:\n    types: created\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(
      p.First().rfind("Unexpected value 'created': not an activity type of event 'issues'", 0), 0u);
  EXPECT_EQ(p.FirstPos().line, 3);
  EXPECT_EQ(p.FirstPos().column, 12);
  EXPECT_EQ(Parse("on:\n  merge_group:\n    types: [opened]\n").diagnostics.size(), 1u);
}

TEST(EventsTest, FilterNotAvailableForEvent) {
  auto p = Parse("on:\n  release:\n    tags: v*\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.First(), "'tags' is not available for event 'release'; it is only for push events");
  EXPECT_EQ(p.FirstPos().line, 3);
  auto q = Parse("on:\n  push:\n    types: [opened]\n");
  ASSERT_EQ(q.diagnostics.size(), 1u);
  EXPECT_NE(q.First().find("'types' is not available for event 'push'"), std::string::npos);
  EXPECT_EQ(Parse("on:\n  pull_request_review:\n    paths: a\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  workflow_run:\n    paths: a\n").diagnostics.size(), 1u);
}

TEST(EventsTest, UnknownKeyInEventSuggests) {
  auto p = Parse("on:\n  push:\n    branch: main\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.First(), "Unexpected value 'branch' in event 'push' (did you mean 'branches'?)");
  auto q = Parse("on:\n  create:\n    types: [x]\n");
  ASSERT_EQ(q.diagnostics.size(), 1u);
}

TEST(EventsTest, FilterAndIgnoreTogetherIsAnErrorAtTheLaterKey) {
  auto p = Parse(
      "on:\n  push:\n    branches-ignore: a\n    branches: b\n    paths: x\n"
      "    paths-ignore: y\n");
  ASSERT_EQ(p.diagnostics.size(), 2u);
  EXPECT_EQ(p.diagnostics[0].pos.line, 4);
  EXPECT_NE(p.diagnostics[0].message.find("'branches' and 'branches-ignore' cannot both"),
            std::string::npos);
  EXPECT_EQ(p.diagnostics[1].pos.line, 6);
}

TEST(EventsTest, FilterValuesMustBeNonEmptyStrings) {
  EXPECT_EQ(Parse("on:\n  push:\n    branches:\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  push:\n    branches: ['']\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  push:\n    branches: {a: b}\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  push:\n    branches: []\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  repository_dispatch:\n    types: []\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  image_version:\n    names: []\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  schedule: []\n").diagnostics.size(), 1u);
}

TEST(EventsTest, ScheduleWithCronAndTimezone) {
  auto p = Parse(
      "on:\n  schedule:\n    - cron: '*/15 * * * *'\n    - cron: '0 9 * * 1'\n"
      "      timezone: Europe/Paris\n");
  ASSERT_TRUE(p.diagnostics.empty()) << p.First();
  const EventTrigger* s = p.triggers.Find("schedule");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->crons, (std::vector<std::string>{"*/15 * * * *", "0 9 * * 1"}));
  ASSERT_EQ(s->schedule.size(), 2u);
  EXPECT_EQ(s->schedule[1].timezone, "Europe/Paris");
}

TEST(EventsTest, ScheduleErrors) {
  auto bad = Parse("on:\n  schedule:\n    - cron: '0 */3 * *'\n");
  ASSERT_EQ(bad.diagnostics.size(), 1u);
  EXPECT_EQ(bad.First(),
            "Invalid cron expression '0 */3 * *': expected 5 fields (minute hour day-of-month "
            "month day-of-week) but found 4");
  EXPECT_EQ(bad.FirstPos().line, 3);
  EXPECT_EQ(bad.FirstPos().column, 13);
  EXPECT_EQ(Parse("on:\n  schedule:\n    - cron: '61 * * * *'\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  schedule:\n    - crn: '* * * * *'\n").diagnostics.size(), 2u);
  EXPECT_EQ(Parse("on:\n  schedule:\n    cron: '* * * * *'\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  schedule:\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on: schedule\n").diagnostics.size(), 1u);
  auto tz = Parse("on:\n  schedule:\n    - cron: '0 0 * * *'\n      timezone: Not/A/Zone\n");
  ASSERT_EQ(tz.diagnostics.size(), 1u);
  EXPECT_EQ(tz.FirstPos().line, 4);
}

TEST(EventsTest, TimeZoneNames) {
  EXPECT_TRUE(IsTimeZoneName("UTC"));
  EXPECT_TRUE(IsTimeZoneName("America/New_York"));
  EXPECT_TRUE(IsTimeZoneName("Etc/GMT+5"));
  EXPECT_FALSE(IsTimeZoneName("local"));
  EXPECT_FALSE(IsTimeZoneName("Asia/Somewhere"));
  EXPECT_FALSE(IsTimeZoneName("utc"));
}

TEST(EventsTest, ExpressionsAreNotAllowed) {
  auto p = Parse("on:\n  ${{ format('x') }}:\n");
  ASSERT_GE(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.First(), "A template expression is not allowed in this context");
  EXPECT_EQ(p.FirstPos().line, 2);
  EXPECT_EQ(p.FirstPos().column, 3);
  EXPECT_EQ(Parse("on:\n  push:\n    branches: ${{ github.ref }}\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on: ${{ 'push' }}\n").diagnostics.size(), 1u);
}

TEST(EventsTest, NullOrEmptyOnIsAnError) {
  EXPECT_EQ(Parse("on:\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on: []\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on: {}\n").diagnostics.size(), 1u);
  EXPECT_TRUE(Parse("name: x\n").diagnostics.empty());  // missing `on` is the loader's call
}

TEST(EventsTest, EventConfigMustBeAMapping) {
  EXPECT_EQ(Parse("on:\n  push: main\n").diagnostics.size(), 1u);
  EXPECT_EQ(Parse("on:\n  push: [a]\n").diagnostics.size(), 1u);
}

}  // namespace
}  // namespace gantry::workflow
