#include "server/http.h"

#include <gtest/gtest.h>

#include <thread>

#include "server/http_metrics.h"
#include "server/http_stream.h"
#include "server/http_target.h"

namespace gantry::server {
namespace {

Handler Named(const std::string& name) {
  return [name](Request&) { return Response::Text(200, name); };
}

std::string Call(const Router::Match& match) {
  Request request;
  return match.handler == nullptr ? "" : (*match.handler)(request).body;
}

TEST(RouterTest, LiteralSegmentBeatsParameter) {
  Router router;
  router.Add("GET", "/runs/{id}", Named("by-id"));
  router.Add("GET", "/runs/latest", Named("latest"));
  Router::Match latest = router.Find("GET", "/runs/latest");
  EXPECT_EQ(Call(latest), "latest");
  EXPECT_EQ(latest.pattern, "/runs/latest");
  Router::Match seven = router.Find("GET", "/runs/7");
  EXPECT_EQ(Call(seven), "by-id");
  EXPECT_EQ(seven.params.at("id"), "7");
  EXPECT_EQ(seven.pattern, "/runs/{id}");
}

TEST(RouterTest, LiteralWinsAtTheFirstSegmentThatDiffers) {
  Router router;
  router.Add("GET", "/{owner}/jobs", Named("param-first"));
  router.Add("GET", "/x/{what}", Named("literal-first"));
  EXPECT_EQ(Call(router.Find("GET", "/x/jobs")), "literal-first");
  EXPECT_EQ(Call(router.Find("GET", "/y/jobs")), "param-first");
}

TEST(RouterTest, RestParameterTakesTheTailWithSlashes) {
  Router router;
  router.Add("GET", "/ui/{path...}", Named("ui"));
  router.Add("GET", "/ui/api/{x}", Named("api"));
  Router::Match deep = router.Find("GET", "/ui/a/b/c.js");
  EXPECT_EQ(Call(deep), "ui");
  EXPECT_EQ(deep.params.at("path"), "a/b/c.js");
  EXPECT_EQ(router.Find("GET", "/ui/").params.at("path"), "");
  EXPECT_EQ(router.Find("GET", "/ui").handler, nullptr);
  EXPECT_EQ(Call(router.Find("GET", "/ui/api/1")), "api");
  EXPECT_EQ(Call(router.Find("GET", "/ui/api/1/2")), "ui");
}

TEST(RouterTest, ParametersNeedANonEmptySegmentAndSlashesCount) {
  Router router;
  router.Add("GET", "/runs/{id}", Named("run"));
  router.Add("GET", "/", Named("root"));
  EXPECT_EQ(router.Find("GET", "/runs/").handler, nullptr);
  EXPECT_EQ(router.Find("GET", "/runs/7/").handler, nullptr);
  EXPECT_EQ(router.Find("GET", "/runs").handler, nullptr);
  EXPECT_EQ(Call(router.Find("GET", "/")), "root");
  // The path is decoded before matching: an encoded slash separates segments too.
  EXPECT_EQ(router.Find("GET", "/runs/a/b").handler, nullptr);
}

TEST(RouterTest, OtherMethodOnAKnownPathReportsTheAllowedMethods) {
  Router router;
  router.Add("GET", "/runs/{id}", Named("get"));
  router.Add("DELETE", "/runs/{id}", Named("delete"));
  Router::Match match = router.Find("POST", "/runs/7");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_TRUE(match.path_matched);
  EXPECT_EQ(match.allowed, (std::vector<std::string>{"DELETE", "GET", "HEAD"}));
  Router::Match unknown = router.Find("POST", "/nothing");
  EXPECT_FALSE(unknown.path_matched);
  EXPECT_EQ(unknown.handler, nullptr);
}

TEST(RouterTest, MethodMatchesBeforeSpecificity) {
  Router router;
  router.Add("GET", "/runs/{id}", Named("get"));
  router.Add("POST", "/runs/new", Named("post"));
  EXPECT_EQ(Call(router.Find("GET", "/runs/new")), "get");
}

TEST(RouterTest, HeadFallsBackToTheGetRoute) {
  Router router;
  router.Add("GET", "/a", Named("get"));
  router.Add("GET", "/b", Named("get-b"));
  router.Add("HEAD", "/b", Named("head-b"));
  EXPECT_EQ(Call(router.Find("HEAD", "/a")), "get");
  EXPECT_EQ(Call(router.Find("HEAD", "/b")), "head-b");
}

TEST(RouterTest, FallbackAnswersUnmatchedGetAndHeadOnly) {
  Router router;
  router.Add("GET", "/api/runs", Named("runs"));
  router.Add("POST", "/api/login", Named("login"));
  EXPECT_EQ(router.Find("GET", "/alice/shop").handler, nullptr);  // no fallback yet
  router.SetFallback(Named("ui"));
  Router::Match deep = router.Find("GET", "/alice/shop/runs/3");
  EXPECT_EQ(Call(deep), "ui");
  EXPECT_EQ(deep.pattern, "fallback");
  EXPECT_EQ(Call(router.Find("HEAD", "/")), "ui");
  EXPECT_EQ(Call(router.Find("GET", "/api/runs")), "runs");
  EXPECT_EQ(router.Find("POST", "/alice/shop").handler, nullptr);
  // A known path with another method stays a 405.
  Router::Match login = router.Find("GET", "/api/login");
  EXPECT_EQ(login.handler, nullptr);
  EXPECT_TRUE(login.path_matched);
}

TEST(RouterTest, GuardAnswersInsteadOfHandlers) {
  Router router;
  Request post;
  post.method = "POST";
  EXPECT_FALSE(router.Check(post));
  router.SetGuard([](const Request& r) -> std::optional<Response> {
    if (r.method == "POST") return Response::Error(403, "csrf", "no");
    return std::nullopt;
  });
  ASSERT_TRUE(router.Check(post));
  EXPECT_EQ(router.Check(post)->status, 403);
  Request get;
  get.method = "GET";
  EXPECT_FALSE(router.Check(get));
}

TEST(RouterDeathTest, BadPatternsAreBugs) {
  Router router;
  EXPECT_DEATH(router.Add("GET", "runs", Named("x")), "must start with '/'");
  EXPECT_DEATH(router.Add("GET", "/a/{rest...}/b", Named("x")), "must be the last");
  EXPECT_DEATH(router.Add("GET", "/a/{}", Named("x")), "without a name");
  router.Add("GET", "/a", Named("x"));
  EXPECT_DEATH(router.Add("GET", "/a", Named("y")), "registered twice");
}

TEST(ResponseTest, ErrorHasExactlyTheDocumentedShape) {
  Response with_field = Response::Error(422, "invalid_argument", "ref is empty", "ref");
  EXPECT_EQ(with_field.status, 422);
  EXPECT_EQ(with_field.content_type, "application/json");
  EXPECT_EQ(with_field.body,
            R"({"error":{"code":"invalid_argument","message":"ref is empty","field":"ref"}})");
  EXPECT_EQ(Response::Error(404, "not_found", "no run 7").body,
            R"({"error":{"code":"not_found","message":"no run 7"}})");
}

TEST(ResponseTest, ErrorEscapesQuotesAndReplacesInvalidUtf8) {
  Response error = Response::Error(400, "bad", "a \"quote\" and \xff");
  EXPECT_EQ(error.body,
            "{\"error\":{\"code\":\"bad\",\"message\":\"a \\\"quote\\\" and \xEF\xBF\xBD\"}}");
}

TEST(ResponseTest, HelpersSetStatusAndContentType) {
  EXPECT_EQ(Response::Json(201, "{}").content_type, "application/json");
  EXPECT_EQ(Response::Text(200, "hi").content_type, "text/plain; charset=utf-8");
  Response none = Response::NoContent();
  EXPECT_EQ(none.status, 204);
  EXPECT_TRUE(none.body.empty());
}

TEST(RequestTest, AccessorsFindHeadersQueryAndParams) {
  Request request;
  request.headers = {{"content-type", "a"}, {"x-two", "1"}, {"x-two", "2"}};
  request.query = {{"page", "2"}, {"page", "3"}, {"empty", ""}};
  request.params = {{"id", "7"}};
  EXPECT_EQ(request.Header("Content-Type"), "a");
  EXPECT_EQ(request.Header("X-TWO"), "1");
  EXPECT_EQ(request.Header("missing"), "");
  EXPECT_EQ(request.Query("page"), "2");
  EXPECT_EQ(request.Query("empty"), "");
  EXPECT_EQ(request.Query("missing"), std::nullopt);
  EXPECT_EQ(request.Param("id"), "7");
  EXPECT_EQ(request.Param("missing"), "");
}

TEST(TargetTest, DecodesPathAndQuery) {
  core::Result<Target> target = ParseTarget("/runs/a%20b+c?q=x+y%26z&flag&=v&&k=%E2%9C%93");
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  EXPECT_EQ(target->path, "/runs/a b+c");
  EXPECT_EQ(target->query, (std::vector<std::pair<std::string, std::string>>{
                               {"q", "x y&z"}, {"flag", ""}, {"", "v"}, {"k", "\xE2\x9C\x93"}}));
}

TEST(TargetTest, RejectsBadEscapesNulAndNonPaths) {
  EXPECT_FALSE(ParseTarget("/a%2").ok());
  EXPECT_FALSE(ParseTarget("/a%zz").ok());
  EXPECT_FALSE(ParseTarget("/a%00b").ok());
  EXPECT_FALSE(ParseTarget("/a?x=%g1").ok());
  EXPECT_FALSE(ParseTarget("http://host/a").ok());
  EXPECT_FALSE(ParseTarget("*").ok());
  EXPECT_EQ(ParseTarget("/a?x=%g1").status().message(),
            "invalid percent-encoding in query parameter 'x'");
}

TEST(HttpMetricsTest, TextHasCountersAndCumulativeBuckets) {
  HttpMetrics metrics;
  metrics.Record("/runs/{id}", "GET", 200, std::chrono::milliseconds(2));
  metrics.Record("/runs/{id}", "GET", 200, std::chrono::milliseconds(30));
  metrics.Record("/runs/{id}", "GET", 404, std::chrono::seconds(20));
  std::string text = metrics.Text();
  EXPECT_NE(
      text.find("gantry_http_requests_total{route=\"/runs/{id}\",method=\"GET\",code=\"200\"} 2\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("gantry_http_requests_total{route=\"/runs/{id}\",method=\"GET\","
                      "code=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/runs/{id}\",le=\"0.001\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/runs/{id}\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/runs/{id}\",le=\"0.05\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/runs/{id}\",le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/runs/{id}\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("gantry_http_request_duration_seconds_count{route=\"/runs/{id}\"} 3\n"),
            std::string::npos);
  EXPECT_EQ(HttpMethodLabel("BREW"), "other");
}

TEST(StreamChannelTest, WriteBlocksWhileFullAndFailsOnceClosed) {
  int wakes = 0;
  StreamChannel channel(4, [&] { ++wakes; });
  std::vector<std::string> out;
  EXPECT_EQ(channel.Take(&out), StreamChannel::State::kOpen);  // arms the wake
  EXPECT_TRUE(channel.Write("abcd"));
  EXPECT_EQ(wakes, 1);
  std::thread producer([&] { EXPECT_TRUE(channel.Write("ef")); });  // blocks: 4 bytes queued
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(channel.Take(&out), StreamChannel::State::kOpen);
  producer.join();
  EXPECT_EQ(out, (std::vector<std::string>{"abcd"}));
  channel.Close();
  EXPECT_FALSE(channel.Write("late"));
  EXPECT_TRUE(channel.Closed());
  out.clear();
  EXPECT_EQ(channel.Take(&out), StreamChannel::State::kClosed);
  EXPECT_EQ(out, (std::vector<std::string>{"ef"}));
}

TEST(StreamChannelTest, CloseReleasesABlockedWriter) {
  StreamChannel channel(1, [] {});
  EXPECT_TRUE(channel.Write("full"));
  std::thread producer([&] { EXPECT_FALSE(channel.Write("blocked")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  channel.Close();
  producer.join();
}

TEST(StreamChannelTest, FinishIsReportedAfterTheData) {
  StreamChannel channel(100, [] {});
  EXPECT_TRUE(channel.Write("last"));
  channel.Finish();
  std::vector<std::string> out;
  EXPECT_EQ(channel.Take(&out), StreamChannel::State::kFinished);
  EXPECT_EQ(out, (std::vector<std::string>{"last"}));
}

}  // namespace
}  // namespace gantry::server
