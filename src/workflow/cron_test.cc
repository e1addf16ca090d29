#include "workflow/cron.h"

#include <gtest/gtest.h>

namespace gantry::workflow {
namespace {

using std::chrono::sys_days;
using std::chrono::sys_seconds;
using namespace std::chrono_literals;

sys_seconds At(int y, unsigned mo, unsigned d, int h, int mi) {
  return sys_seconds{sys_days{std::chrono::year{y} / mo / d}} + std::chrono::hours(h) +
         std::chrono::minutes(mi);
}

std::string ErrorOf(std::string_view expr) {
  auto r = ParseCron(expr);
  return r.ok() ? "" : r.status().message();
}

TEST(CronTest, AcceptsGitHubExamples) {
  for (auto e : {"* * * * *", "*/15 * * * *", "30 5,17 * * *", "0 0 * * 1-5", "5 4 * * sun",
                 "0 12 1 JAN,jul *", "0 9 * * MON-FRI", "1-59/2 * * * *", "5/15 * * * *",
                 "0 0 31 12 6", "  0   0 * * *  ", "0\t0 * * *"}) {
    EXPECT_TRUE(ParseCron(e).ok()) << e << ": " << ErrorOf(e);
  }
}

TEST(CronTest, RejectsWrongFieldCount) {
  EXPECT_EQ(ErrorOf("0 */3 * *"),
            "expected 5 fields (minute hour day-of-month month day-of-week) but found 4");
  EXPECT_NE(ErrorOf("0 0 * * * 2024"), "");
  EXPECT_NE(ErrorOf(""), "");
}

TEST(CronTest, RejectsOutOfRangeValuesWithTheField) {
  EXPECT_EQ(ErrorOf("60 * * * *"), "minute value '60' is out of range 0-59");
  EXPECT_EQ(ErrorOf("* 24 * * *"), "hour value '24' is out of range 0-23");
  EXPECT_EQ(ErrorOf("* * 0 * *"), "day-of-month value '0' is out of range 1-31");
  EXPECT_EQ(ErrorOf("* * * 13 *"), "month value '13' is out of range 1-12");
  EXPECT_EQ(ErrorOf("* * * * 7"), "day-of-week value '7' is out of range 0-6");
}

TEST(CronTest, RejectsMalformedParts) {
  EXPECT_EQ(ErrorOf("a * * * *"), "minute value 'a' is not a number");
  EXPECT_EQ(ErrorOf("* * * foo *"), "month value 'foo' is not a number or a month name (JAN-DEC)");
  EXPECT_EQ(ErrorOf("* * * * xyz"),
            "day-of-week value 'xyz' is not a number or a weekday name (SUN-SAT)");
  EXPECT_EQ(ErrorOf("1,,2 * * * *"), "minute field has an empty list item");
  EXPECT_EQ(ErrorOf("*/0 * * * *"), "minute step '0' must be a number from 1 to 59");
  EXPECT_EQ(ErrorOf("*/x * * * *"), "minute step 'x' must be a number from 1 to 59");
  EXPECT_EQ(ErrorOf("1/2/3 * * * *"), "minute part '1/2/3' has more than one '/'");
  EXPECT_EQ(ErrorOf("/5 * * * *"), "minute part '/5' has no value before '/'");
  EXPECT_EQ(ErrorOf("30-10 * * * *"), "minute range '30-10' ends before it starts");
  EXPECT_EQ(ErrorOf("? * * * *"), "minute value '?' is not a number");
  EXPECT_NE(ErrorOf("* * L * *"), "");
  EXPECT_NE(ErrorOf("* * * * 1#2"), "");
}

TEST(CronTest, ExpandsStepsRangesAndNames) {
  auto s = ParseCron("1-10/3 */6 * feb-apr MON,fri");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->minutes[1] && s->minutes[4] && s->minutes[7] && s->minutes[10]);
  EXPECT_EQ(s->minutes.count(), 4u);
  EXPECT_EQ(s->hours.count(), 4u);
  EXPECT_TRUE(s->months[2] && s->months[3] && s->months[4]);
  EXPECT_EQ(s->months.count(), 3u);
  EXPECT_TRUE(s->days_of_week[1] && s->days_of_week[5]);
  EXPECT_TRUE(s->dow_restricted);
  EXPECT_FALSE(s->dom_restricted);
}

TEST(CronTest, SingleValueWithStepRunsToTheEndOfTheRange) {
  auto s = ParseCron("50/5 * * * *");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->minutes.count(), 2u);  // 50, 55
}

TEST(CronTest, MatchesUtcMinutes) {
  auto s = ParseCron("30 5 * * *");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(At(2024, 3, 1, 5, 30)));
  EXPECT_FALSE(s->Matches(At(2024, 3, 1, 5, 31)));
}

TEST(CronTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  auto s = ParseCron("0 0 13 * 5");  // the 13th, or any Friday
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(At(2024, 3, 13, 0, 0)));   // Wednesday the 13th
  EXPECT_TRUE(s->Matches(At(2024, 3, 15, 0, 0)));   // Friday
  EXPECT_FALSE(s->Matches(At(2024, 3, 14, 0, 0)));  // Thursday
}

TEST(CronTest, NextFindsTheFollowingMatch) {
  auto s = ParseCron("15 10 * * 1");  // Mondays 10:15
  ASSERT_TRUE(s.ok());
  auto next = s->Next(At(2024, 3, 1, 12, 0));  // a Friday
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, At(2024, 3, 4, 10, 15));
  EXPECT_EQ(*s->Next(*next), At(2024, 3, 11, 10, 15));
}

TEST(CronTest, NextOnLeapDay) {
  auto s = ParseCron("0 0 29 2 *");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s->Next(At(2024, 3, 1, 0, 0)), At(2028, 2, 29, 0, 0));
}

TEST(CronTest, NextIsEmptyForImpossibleDates) {
  auto s = ParseCron("0 0 31 2 *");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->Next(At(2024, 1, 1, 0, 0)).has_value());
}

}  // namespace
}  // namespace gantry::workflow
