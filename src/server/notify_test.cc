#include "server/notify.h"

#include <gtest/gtest.h>

namespace gantry::server::notify {
namespace {

RunSummary Sample() {
  RunSummary r;
  r.project = "alice/shop";
  r.run_id = 7;
  r.number = 3;
  r.workflow = "CI";
  r.branch = "main";
  r.sha = "0123456789abcdef0123456789abcdef01234567";
  r.event = "push";
  r.conclusion = "failure";
  r.run_url = "https://ci.example.org/alice/shop/runs/7";
  r.actor = "alice";
  r.failed_jobs = {"test", "lint"};
  return r;
}

TEST(NotifyTest, TemplatesReplaceEveryPlaceholderAndKeepUnknownOnes) {
  EXPECT_EQ(Render("{{project}} {{workflow}} {{branch}} {{sha}} {{conclusion}} {{actor}} "
                   "{{failed_jobs}} {{run_url}} {{nope}} {{ workflow }}",
                   Sample()),
            "alice/shop CI main 0123456 failure alice test, lint "
            "https://ci.example.org/alice/shop/runs/7 {{nope}} CI");
  RunSummary ok = Sample();
  ok.failed_jobs.clear();
  EXPECT_EQ(Render("{{failed_jobs}} {{", ok), "none {{");
  EXPECT_EQ(Render(kDefaultSubject, Sample()), "[alice/shop] CI failure on main (0123456)");
}

TEST(NotifyTest, FailureFixedAlwaysAndNeverDecide) {
  EXPECT_TRUE(ShouldNotify(On::kFailure, "failure", ""));
  EXPECT_TRUE(ShouldNotify(On::kFailure, "timed_out", "success"));
  EXPECT_FALSE(ShouldNotify(On::kFailure, "success", "failure"));
  EXPECT_FALSE(ShouldNotify(On::kFailure, "cancelled", ""));  // a cancel is not a failure
  EXPECT_TRUE(ShouldNotify(On::kFixed, "success", "failure"));
  EXPECT_FALSE(ShouldNotify(On::kFixed, "success", "success"));
  EXPECT_FALSE(ShouldNotify(On::kFixed, "success", ""));
  EXPECT_FALSE(ShouldNotify(On::kFixed, "success", "cancelled"));
  EXPECT_FALSE(ShouldNotify(On::kFixed, "failure", "failure"));
  EXPECT_TRUE(ShouldNotify(On::kAlways, "cancelled", ""));
  EXPECT_FALSE(ShouldNotify(On::kNever, "failure", ""));
  EXPECT_EQ(ParseOn("fixed"), On::kFixed);
  EXPECT_FALSE(ParseOn("sometimes").has_value());
}

TEST(NotifyTest, BackoffScheduleParsesAndRepeatsItsLastDelay) {
  auto s = ParseBackoff("5s, 30s,2m,10m,100ms,1h");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, (std::vector<int64_t>{5000, 30000, 120000, 600000, 100, 3600000}));
  EXPECT_EQ(BackoffDelayMs(*s, 1), 5000);
  EXPECT_EQ(BackoffDelayMs(*s, 2), 30000);
  EXPECT_EQ(BackoffDelayMs(*s, 6), 3600000);
  EXPECT_EQ(BackoffDelayMs(*s, 40), 3600000);
  EXPECT_FALSE(ParseBackoff("").has_value());
  EXPECT_FALSE(ParseBackoff("5").has_value());
  EXPECT_FALSE(ParseBackoff("5s,x").has_value());
  EXPECT_FALSE(ParseBackoff("-1s").has_value());
}

TEST(NotifyTest, WebhookAndSlackBodiesHaveTheirShapes) {
  nlohmann::json w = WebhookBody(Sample());
  EXPECT_EQ(w["event"], "run.completed");
  EXPECT_EQ(w["project"], "alice/shop");
  EXPECT_EQ(w["run"]["id"], 7);
  EXPECT_EQ(w["run"]["number"], 3);
  EXPECT_EQ(w["run"]["conclusion"], "failure");
  EXPECT_EQ(w["run"]["url"], "https://ci.example.org/alice/shop/runs/7");
  EXPECT_EQ(w["run"]["failed_jobs"], nlohmann::json({"test", "lint"}));
  for (const char* key : {"workflow", "branch", "sha", "actor"})
    EXPECT_TRUE(w["run"].contains(key));
  nlohmann::json s = SlackBody(Sample());
  EXPECT_TRUE(s["text"].is_string());
  ASSERT_TRUE(s["blocks"].is_array());
  EXPECT_EQ(s["blocks"][0]["type"], "section");
  EXPECT_EQ(s["blocks"][0]["text"]["type"], "mrkdwn");
  EXPECT_NE(s["blocks"][0]["text"]["text"].get<std::string>().find(
                "<https://ci.example.org/alice/shop/runs/7|CI #3>"),
            std::string::npos);
}

TEST(NotifyTest, EmailHasRfc5322HeadersAndEncodesNonAsciiSubjects) {
  std::string m = EmailMessage("Gantry <ci@example.org>", {"a@x.org", "b@y.org"}, "Build café",
                               "line one\nünïcode = yes\n", 0, "gantry.1");
  EXPECT_NE(m.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <gantry.1@example.org>\r\n"), std::string::npos);
  EXPECT_NE(m.find("From: Gantry <ci@example.org>\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: a@x.org, b@y.org\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: =?UTF-8?B?QnVpbGQgY2Fmw6k=?=\r\n"), std::string::npos);
  EXPECT_NE(m.find("\r\n\r\nline one\r\n=C3=BCn=C3=AFcode =3D yes\r\n"), std::string::npos);
  EXPECT_EQ(EncodeHeader("plain"), "plain");
}

TEST(NotifyTest, ForgeStatesContextsAndValidation) {
  EXPECT_EQ(ForgeState(""), "pending");
  EXPECT_EQ(ForgeState("success"), "success");
  EXPECT_EQ(ForgeState("skipped"), "success");
  EXPECT_EQ(ForgeState("failure"), "failure");
  EXPECT_EQ(ForgeState("cancelled"), "error");
  EXPECT_TRUE(ValidEmail("a.b@x.org"));
  EXPECT_FALSE(ValidEmail("a@x"));
  EXPECT_FALSE(ValidEmail("a b@x.org"));
  EXPECT_FALSE(ValidEmail("<a@x.org>"));
  EXPECT_TRUE(ValidHttpUrl("https://hooks.example.org/x"));
  EXPECT_TRUE(ValidHttpUrl("http://127.0.0.1:9/x"));
  EXPECT_FALSE(ValidHttpUrl("ftp://x.org"));
  EXPECT_FALSE(ValidHttpUrl("https://"));
}

}  // namespace
}  // namespace gantry::server::notify
