#include <gtest/gtest.h>

#include "server/github_api.h"

namespace gantry::server::github {
namespace {

TEST(GitHubShapesTest, StatusesAndConclusionsUseGitHubsWords) {
  EXPECT_EQ(Status("queued"), "queued");
  EXPECT_EQ(Status("in_progress"), "in_progress");
  EXPECT_EQ(Status("waiting"), "waiting");
  EXPECT_EQ(Status("completed"), "completed");
  EXPECT_EQ(Status("running"), "in_progress");
  EXPECT_EQ(Status("something"), "queued");
  EXPECT_TRUE(Conclusion("in_progress", "failure").is_null());
  EXPECT_TRUE(Conclusion("queued", "").is_null());
  EXPECT_EQ(Conclusion("completed", "success"), "success");
  EXPECT_EQ(Conclusion("completed", "failure"), "failure");
  EXPECT_EQ(Conclusion("completed", "cancelled"), "cancelled");
  EXPECT_EQ(Conclusion("completed", "canceled"), "cancelled");
  EXPECT_EQ(Conclusion("completed", "skipped"), "skipped");
  EXPECT_EQ(Conclusion("completed", "timed_out"), "timed_out");
  EXPECT_EQ(Conclusion("completed", ""), "neutral");
  EXPECT_EQ(AnnotationLevel("error"), "failure");
  EXPECT_EQ(AnnotationLevel("warning"), "warning");
  EXPECT_EQ(AnnotationLevel("notice"), "notice");
}

TEST(GitHubShapesTest, PagesAreClampedAndValidated) {
  auto p = ParsePage({{"per_page", "500"}, {"page", "3"}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value().per_page, 100);
  EXPECT_EQ(p.value().page, 3);
  EXPECT_EQ(p.value().offset(), 200);
  EXPECT_EQ(ParsePage({}).value().per_page, 30);
  auto bad = ParsePage({{"page", "0"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("page must be a positive integer"), std::string::npos);
  EXPECT_FALSE(ParsePage({{"per_page", "x"}}).ok());
}

TEST(GitHubShapesTest, LinkHeaderNamesNextLastPrevAndFirst) {
  const std::string u = "https://h/api/v3/repos/o/r/actions/runs";
  Page first;
  first.per_page = 2;
  EXPECT_EQ(LinkHeader(u, {{"branch", "a b"}, {"per_page", "2"}}, first, 5),
            "<" + u + "?branch=a%20b&per_page=2&page=2>; rel=\"next\", <" + u +
                "?branch=a%20b&per_page=2&page=3>; rel=\"last\"");
  Page middle = first;
  middle.page = 2;
  EXPECT_EQ(LinkHeader(u, {}, middle, 5), "<" + u + "?per_page=2&page=1>; rel=\"prev\", <" + u +
                                              "?per_page=2&page=3>; rel=\"next\", <" + u +
                                              "?per_page=2&page=3>; rel=\"last\", <" + u +
                                              "?per_page=2&page=1>; rel=\"first\"");
  Page last = first;
  last.page = 3;
  EXPECT_EQ(LinkHeader(u, {}, last, 5).find("next"), std::string::npos);
  EXPECT_EQ(LinkHeader(u, {}, Page{}, 30), "");  // one page: no header
  EXPECT_EQ(LinkHeader(u, {}, Page{}, 0), "");
}

TEST(GitHubShapesTest, CreatedFilterParsesDatesAndRanges) {
  int64_t from = 0, to = 0;
  const int64_t dec1 = int64_t{1796083200} * 1000;  // 2026-12-01T00:00:00Z
  const int64_t day = int64_t{86400} * 1000;
  ASSERT_TRUE(ParseCreated("2026-12-01", &from, &to).ok());
  EXPECT_EQ(from, dec1);
  EXPECT_EQ(to, dec1 + day);
  ASSERT_TRUE(ParseCreated(">=2026-12-01", &from, &to).ok());
  EXPECT_EQ(from, dec1);
  EXPECT_EQ(to, 0);
  ASSERT_TRUE(ParseCreated(">2026-12-01", &from, &to).ok());
  EXPECT_EQ(from, dec1 + day);
  ASSERT_TRUE(ParseCreated("<2026-12-01", &from, &to).ok());
  EXPECT_EQ(from, 0);
  EXPECT_EQ(to, dec1);
  ASSERT_TRUE(ParseCreated("<=2026-12-01", &from, &to).ok());
  EXPECT_EQ(to, dec1 + day);
  ASSERT_TRUE(ParseCreated("2026-12-01..2026-12-06", &from, &to).ok());
  EXPECT_EQ(from, dec1);
  EXPECT_EQ(to, dec1 + 6 * day);
  ASSERT_TRUE(ParseCreated("2026-12-01..*", &from, &to).ok());
  EXPECT_EQ(to, 0);
  ASSERT_TRUE(ParseCreated(">=2026-12-01T12:00:00Z", &from, &to).ok());
  EXPECT_EQ(from, dec1 + day / 2);
  for (const char* bad : {"yesterday", "2026-13-01", ">=", "*..*", "2026-12-01..soon"}) {
    core::Status s = ParseCreated(bad, &from, &to);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("created must be a date"), std::string::npos) << bad;
  }
}

TEST(GitHubShapesTest, LogLinesGetSevenDigitFractions) {
  std::string last;
  EXPECT_EQ(LogLine("2026-12-06T09:00:00.123Z hello world", &last),
            "2026-12-06T09:00:00.1230000Z hello world");
  EXPECT_EQ(last, "2026-12-06T09:00:00.1230000Z");
  EXPECT_EQ(LogLine("no stamp here", &last), "2026-12-06T09:00:00.1230000Z no stamp here");
  EXPECT_EQ(LogLine("2026-12-06T09:00:01Z whole", &last), "2026-12-06T09:00:01.0000000Z whole");
  EXPECT_EQ(LogLine("2026-12-06T09:00:02.5Z", &last), "2026-12-06T09:00:02.5000000Z ");
  std::string none;
  EXPECT_EQ(LogLine("plain", &none), "plain");
  EXPECT_EQ(SafeName("test (a/b): c"), "test (a_b)_ c");
  EXPECT_EQ(SafeName(""), "_");
}

TEST(GitHubShapesTest, GantryErrorsBecomeGitHubErrors) {
  Response r = Rewrite(Response::Error(422, "invalid", "field 'x' is wrong", "x"));
  EXPECT_EQ(r.status, 422);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j.value("message", ""), "field 'x' is wrong");
  EXPECT_TRUE(j.contains("documentation_url"));
  EXPECT_FALSE(j.contains("error"));
  Response ok = Rewrite(Response::Json(200, "{\"error\":1}"));
  EXPECT_EQ(ok.body, "{\"error\":1}");
}

}  // namespace
}  // namespace gantry::server::github
