// Outbound deliveries against real receivers: an in-process HTTP server standing in for
// GitHub, Gitea and webhook endpoints (it records requests and can answer 500 first), and a
// real SMTP server (Debian's python3-aiosmtpd writing a maildir). The suite starts its own
// `gantry server` with --smtp-url and a short --delivery-backoff.

#include <gmock/gmock.h>

#include "delivery_receivers.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

const char* kWorkflow = R"(name: CI
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: test "${{ github.event.head_commit.message }}" != fail
)";

class DeliveriesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(TempDir("deliveries"));
    smtp_ = new SmtpServer();
    int smtp_port = FreePort();
    smtp_->Start(*dir_ + "/mail", smtp_port);
    server_ = new ServerProcess();
    server_->Start(*dir_ + "/data", TestDatabase("gantry_deliveries_test"),
                   {"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port), "--smtp-from",
                    "Gantry CI <ci@gantry.test>", "--delivery-backoff", "200ms",
                    "--delivery-attempts", "3", "--delivery-timeout", "5"});
    user_ = new User(SignUp(server_->url(), "dora"));
  }
  static void TearDownTestSuite() {
    server_->Stop();
    delete server_;
    delete smtp_;
    delete user_;
    delete dir_;
  }
  static std::string U() { return server_->url(); }

  HttpReply Api(const std::string& method, const std::string& path, const json& body = nullptr) {
    return Http(method, U() + path, body.is_null() ? "" : body.dump(), user_->Auth());
  }
  // A push webhook of `sha` whose head commit message is `message`; the run's id.
  int64_t PushRun(const Project& p, const std::string& sha, const std::string& message) {
    std::string body = json{{"ref", "refs/heads/main"},
                            {"before", "0000000000000000000000000000000000000000"},
                            {"after", sha},
                            {"head_commit", {{"id", sha}, {"message", message}}},
                            {"sender", {{"login", "dora"}}}}
                           .dump();
    HttpReply r = Http("POST", U() + "/api/v1/hooks/" + p.name, body,
                       {"X-GitHub-Event: push", "X-GitHub-Delivery: " + Unique("dlv"),
                        "X-Hub-Signature-256: " + Hmac(p.secret, body)});
    EXPECT_EQ(r.status, 202) << r.body;
    return r.Json()["runs"][0].get<int64_t>();
  }
  json Deliveries(const Project& p, const std::string& query = "") {
    return Api("GET", "/api/v1/projects/" + p.name + "/deliveries" + query).Json()["deliveries"];
  }
  // Waits until the project has at least `count` deliveries and none is pending.
  json Settled(const Project& p, size_t count) {
    json list;
    for (int i = 0; i < 600; ++i) {
      list = Deliveries(p);
      bool pending = false;
      for (const json& d : list) pending = pending || d.value("state", "") == "pending";
      if (list.size() >= count && !pending) return list;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "deliveries still pending: " << list.dump(2);
    return list;
  }

  static std::string* dir_;
  static SmtpServer* smtp_;
  static ServerProcess* server_;
  static User* user_;
};

std::string* DeliveriesTest::dir_ = nullptr;
SmtpServer* DeliveriesTest::smtp_ = nullptr;
ServerProcess* DeliveriesTest::server_ = nullptr;
User* DeliveriesTest::user_ = nullptr;

TEST_F(DeliveriesTest, SettingsRejectBadInputNamingTheField) {
  Project p = MakeProject(*user_, Unique("bad"), {{".github/workflows/ci.yml", kWorkflow}}, U());
  std::string base = "/api/v1/projects/" + p.name;
  auto field = [](const HttpReply& r) { return r.Json()["error"].value("field", ""); };
  HttpReply r = Api("PUT", base + "/notifications", {{"email", {{"to", {"not-an-address"}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "email.to[0]");
  r = Api("PUT", base + "/notifications", {{"webhooks", {{{"url", "ftp://x.org/h"}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "webhooks[0].url");
  r = Api("PUT", base + "/notifications", {{"email", {{"to", {"a@x.org"}}, {"on", "sometimes"}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "email.on");
  r = Api("PUT", "/api/v1/user/notifications", {{"on", "weekly"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "on");
  r = Api("PUT", base + "/forge", {{"kind", "gitlab"}, {"token", "t"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "kind");
  r = Api("GET", base + "/forge");
  EXPECT_EQ(r.status, 404);
}

TEST_F(DeliveriesTest, AWebhookSentWithoutItsSecretKeepsTheStoredOne) {
  Project p = MakeProject(*user_, Unique("keep"), {{".github/workflows/ci.yml", kWorkflow}}, U());
  std::string base = "/api/v1/projects/" + p.name;
  auto secret_set = [&](const HttpReply& r) {
    return r.Json()["webhooks"][0].value("secret_set", false);
  };
  const std::string url = "https://hooks.example.org/ci";
  ASSERT_TRUE(secret_set(
      Api("PUT", base + "/notifications", {{"webhooks", {{{"url", url}, {"secret", "whsec"}}}}})));
  // The UI edits the list it read, which has no secrets: the stored one stays.
  EXPECT_TRUE(secret_set(
      Api("PUT", base + "/notifications", {{"webhooks", {{{"url", url}, {"on", "always"}}}}})));
  EXPECT_TRUE(secret_set(Api("GET", base + "/notifications")));
  // Another URL does not inherit it, and "" removes it.
  EXPECT_FALSE(
      secret_set(Api("PUT", base + "/notifications", {{"webhooks", {{{"url", url + "/other"}}}}})));
  ASSERT_TRUE(secret_set(
      Api("PUT", base + "/notifications", {{"webhooks", {{{"url", url}, {"secret", "whsec"}}}}})));
  EXPECT_FALSE(secret_set(
      Api("PUT", base + "/notifications", {{"webhooks", {{{"url", url}, {"secret", ""}}}}})));
}

TEST_F(DeliveriesTest, GitHubStatusesWebhooksSlackAndEmailsForAFailureThenAFix) {
  Receiver recv;
  Project p = MakeProject(*user_, Unique("shop"), {{".github/workflows/ci.yml", kWorkflow}}, U());
  std::string base = "/api/v1/projects/" + p.name;
  const std::string token = "ghp_s3cret-token-value";
  HttpReply forge = Api("PUT", base + "/forge",
                        {{"kind", "github"},
                         {"base_url", recv.url() + "/gh"},
                         {"token", token},
                         {"repository", "octo/shop"}});
  ASSERT_EQ(forge.status, 200) << forge.body;
  EXPECT_EQ(forge.body.find(token), std::string::npos);
  json got = Api("GET", base + "/forge").Json();
  EXPECT_EQ(got.value("token_set", false), true);
  EXPECT_EQ(got.value("repository", ""), "octo/shop");
  EXPECT_FALSE(got.contains("token"));
  HttpReply notif = Api(
      "PUT", base + "/notifications",
      {{"email",
        {{"to", {"team@x.org"}},
         {"on", "fixed"},
         {"subject", "{{conclusion}}: {{workflow}} on {{branch}} by {{actor}} ✓"},
         {"body", "{{project}} {{conclusion}} at {{sha}}: {{run_url}}\nFailed: {{failed_jobs}}"}}},
       {"webhooks",
        {{{"url", recv.url() + "/hook"}, {"secret", "whsec"}, {"format", "json"}, {"on", "always"}},
         {{"url", recv.url() + "/slack"}, {"format", "slack"}, {"on", "failure"}}}}});
  ASSERT_EQ(notif.status, 200) << notif.body;
  EXPECT_EQ(notif.body.find("whsec"), std::string::npos);
  EXPECT_TRUE(notif.Json()["webhooks"][0].value("secret_set", false));
  ASSERT_EQ(Api("PUT", "/api/v1/user/notifications",
                {{"email", "dora@x.org"}, {"on", "failure"}, {"only_own", false}})
                .status,
            200);
  recv.FailFirst("/hook", 1);  // the first attempt fails: retried after the backoff

  // 1. A failing run.
  std::string sha = p.repo->Commit("one");
  int64_t run = PushRun(p, sha, "fail");
  EXPECT_EQ(WaitRun(*user_, run, 60, U()).value("conclusion", ""), "failure");
  json list = Settled(p, 7);  // 4 statuses, 2 webhooks, dora's e-mail
  EXPECT_EQ(list.size(), 7u) << list.dump(2);
  std::vector<Received> statuses = recv.Wait("/gh/repos/octo/shop/statuses/" + sha, 4);
  std::vector<std::string> seen;
  for (Received& s : statuses) {
    EXPECT_EQ(s.method, "POST");
    EXPECT_EQ(s.headers["authorization"], "Bearer " + token);
    json b = json::parse(s.body);
    EXPECT_EQ(b.value("target_url", ""), U() + "/" + p.name + "/runs/" + std::to_string(run));
    seen.push_back(b.value("context", "") + "=" + b.value("state", ""));
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("CI (push)=pending", "CI / build (push)=pending",
                                           "CI / build (push)=failure", "CI (push)=failure"));
  std::vector<Received> hooks = recv.Wait("/hook", 2);
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[1].headers["x-gantry-signature-256"], Hmac("whsec", hooks[1].body));
  json hook = json::parse(hooks[1].body);
  EXPECT_EQ(hook.value("event", ""), "run.completed");
  EXPECT_EQ(hook["run"].value("conclusion", ""), "failure");
  EXPECT_EQ(hook["run"]["failed_jobs"], json({"build"}));
  EXPECT_EQ(hook["run"].value("id", int64_t{0}), run);
  json slack = json::parse(recv.Wait("/slack", 1)[0].body);
  EXPECT_TRUE(slack["text"].is_string());
  EXPECT_EQ(slack["blocks"][0].value("type", ""), "section");
  bool retried = false;
  for (const json& d : list) {
    EXPECT_EQ(d.value("state", ""), "delivered") << d.dump();
    if (d.value("kind", "") == "webhook") {
      retried = d.value("attempts", 0) == 2;
      EXPECT_EQ(d.value("target", ""), recv.url() + "/hook");
    }
    EXPECT_EQ(d.dump().find(token), std::string::npos);
  }
  EXPECT_TRUE(retried) << list.dump(2);
  std::vector<std::string> mails = smtp_->WaitMessages(1);
  ASSERT_EQ(mails.size(), 1u);  // dora (on failure); the team only hears of a fix
  EXPECT_THAT(mails[0], HasSubstr("To: dora@x.org"));
  EXPECT_THAT(mails[0], HasSubstr("From: Gantry CI <ci@gantry.test>"));
  // The project's templates shape every e-mail about its runs; a non-ASCII subject is encoded.
  EXPECT_THAT(mails[0], HasSubstr("Subject: =?UTF-8?B?"));
  EXPECT_THAT(mails[0], HasSubstr(p.name + " failure at " + sha.substr(0, 7) + ": " + U() + "/" +
                                  p.name + "/runs/" + std::to_string(run)));
  EXPECT_THAT(mails[0], HasSubstr("Message-ID: <gantry."));
  EXPECT_THAT(mails[0], HasSubstr("Date: "));
  EXPECT_THAT(mails[0], HasSubstr("Failed: build"));

  // 2. The fix: the team hears of it, dora (on failure) does not; no Slack message.
  std::string sha2 = p.repo->Commit("two");
  int64_t run2 = PushRun(p, sha2, "ok");
  EXPECT_EQ(WaitRun(*user_, run2, 60, U()).value("conclusion", ""), "success");
  EXPECT_EQ(Settled(p, 13).size(), 13u);  // 4 statuses, the json webhook, the team's e-mail
  mails = smtp_->WaitMessages(2);
  ASSERT_EQ(mails.size(), 2u);
  std::string fixed = mails[0].find("To: team@x.org") != std::string::npos ? mails[0] : mails[1];
  EXPECT_THAT(fixed, HasSubstr("To: team@x.org"));
  EXPECT_THAT(fixed, HasSubstr("Failed: none"));
  EXPECT_THAT(fixed, HasSubstr(p.name + " success at " + sha2.substr(0, 7) + ": " + U() + "/" +
                               p.name + "/runs/" + std::to_string(run2)));
  recv.Wait("/gh/repos/octo/shop/statuses/" + sha2, 4);
  EXPECT_EQ(recv.Requests("/slack").size(), 1u);
  EXPECT_EQ(recv.Requests("/hook").size(), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(smtp_->Messages().size(), 2u);
  EXPECT_EQ(server_->Log().find(token), std::string::npos);
}

TEST_F(DeliveriesTest, GiteaPullRequestCommentIsPostedThenUpdated) {
  Receiver recv;
  Project p = MakeProject(*user_, Unique("pr"), {{".github/workflows/ci.yml", kWorkflow}}, U());
  std::string base = "/api/v1/projects/" + p.name;
  ASSERT_EQ(Api("PUT", base + "/forge",
                {{"kind", "gitea"},
                 {"base_url", recv.url() + "/api/v1"},
                 {"token", "gitea-tok"},
                 {"statuses", false},
                 {"comments", true}})
                .status,
            200);
  std::string sha = p.repo->Commit("pr");
  size_t runs = 0;
  auto pr_run = [&](const std::string& action) {
    std::string body = json{{"action", action},
                            {"number", 7},
                            {"pull_request",
                             {{"number", 7},
                              {"title", "A feature"},
                              {"head", {{"ref", "feature"}, {"sha", sha}}},
                              {"base", {{"ref", "main"}, {"sha", sha}}}}},
                            {"sender", {{"login", "dora"}}}}
                           .dump();
    HttpReply r = Http("POST", U() + "/api/v1/hooks/" + p.name, body,
                       {"X-GitHub-Event: pull_request", "X-GitHub-Delivery: " + Unique("pr"),
                        "X-Hub-Signature-256: " + Hmac(p.secret, body)});
    EXPECT_EQ(r.status, 202) << r.body;
    int64_t id = r.Json()["runs"][0].get<int64_t>();
    WaitRun(*user_, id, 60, U());
    Settled(p, ++runs);
  };
  pr_run("opened");
  std::vector<Received> first = recv.Wait("/api/v1/repos/", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].method, "POST");
  EXPECT_EQ(first[0].path, "/api/v1/repos/" + p.name + "/issues/7/comments");
  EXPECT_EQ(first[0].headers["authorization"], "token gitea-tok");
  EXPECT_THAT(json::parse(first[0].body).value("body", ""), HasSubstr("### Gantry: CI #"));
  pr_run("synchronize");
  std::vector<Received> both = recv.Wait("/api/v1/repos/", 2);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1].method, "PATCH");
  EXPECT_EQ(both[1].path, "/api/v1/repos/" + p.name + "/issues/comments/1001");
  EXPECT_EQ(Api("DELETE", base + "/forge").status, 204);
  EXPECT_EQ(Api("GET", base + "/forge").status, 404);
}

TEST_F(DeliveriesTest, AFailedDeliveryKeepsItsErrorAndCanBeRetried) {
  Receiver recv;
  Project p = MakeProject(*user_, Unique("retry"), {{".github/workflows/ci.yml", kWorkflow}}, U());
  std::string base = "/api/v1/projects/" + p.name;
  ASSERT_EQ(Api("PUT", base + "/notifications",
                {{"webhooks", {{{"url", recv.url() + "/down"}, {"on", "always"}}}}})
                .status,
            200);
  recv.FailFirst("/down", 3);  // every attempt (--delivery-attempts 3) fails
  int64_t run = PushRun(p, p.repo->Commit("x"), "ok");
  WaitRun(*user_, run, 60, U());
  json list = Settled(p, 1);
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_EQ(list[0].value("state", ""), "failed");
  EXPECT_EQ(list[0].value("attempts", 0), 3);
  EXPECT_THAT(list[0].value("last_error", ""), HasSubstr("HTTP 500"));
  EXPECT_EQ(Deliveries(p, "?state=failed").size(), 1u);
  int64_t id = list[0]["id"].get<int64_t>();
  EXPECT_EQ(Api("POST", base + "/deliveries/" + std::to_string(id) + "/retry").status, 202);
  list = Settled(p, 1);
  EXPECT_EQ(list[0].value("state", ""), "delivered") << list.dump(2);
  EXPECT_EQ(recv.Requests("/down").size(), 4u);
}

// A relay that requires STARTTLS and AUTH (tests/server/smtp_auth_server.py, aiosmtpd with a
// certificate made here): the server authenticates over TLS with a password read from a file,
// and the password shows nowhere.
TEST(DeliveriesSmtpAuthTest, EmailIsSentOverStartTlsWithAuth) {
  std::string dir = TempDir("smtp-auth");
  Sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext "
     "subjectAltName=IP:127.0.0.1 -keyout " +
     Quote(dir + "/key.pem") + " -out " + Quote(dir + "/cert.pem") + " 2>/dev/null");
  const std::string password = "smtp-pa55word-value";
  std::ofstream(dir + "/password") << password << "\n";
  int port = FreePort();
  SmtpServer relay;
  relay.StartAuth(dir, port, "gantry", password);
  ServerProcess server;
  server.Start(
      dir + "/data", TestDatabase("gantry_smtp_auth_test"),
      {"--smtp-url", "smtp://127.0.0.1:" + std::to_string(port), "--smtp-starttls", "always",
       "--smtp-ca-file", dir + "/cert.pem", "--smtp-user", "gantry", "--smtp-password-file",
       dir + "/password", "--smtp-from", "ci@gantry.test", "--embedded-executor", "true"});
  User u = SignUp(server.url(), "erin");
  Project p = MakeProject(u, "mail", {{".github/workflows/ci.yml", kWorkflow}}, server.url());
  ASSERT_EQ(Http("PUT", server.url() + "/api/v1/projects/" + p.name + "/notifications",
                 json{{"email", {{"to", {"ops@x.org"}}, {"on", "always"}}}}.dump(), u.Auth())
                .status,
            200);
  std::string sha = p.repo->Commit("x");
  std::string body = json{{"ref", "refs/heads/main"},
                          {"before", "0000000000000000000000000000000000000000"},
                          {"after", sha},
                          {"head_commit", {{"id", sha}, {"message", "ok"}}}}
                         .dump();
  HttpReply hook = Http("POST", server.url() + "/api/v1/hooks/" + p.name, body,
                        {"X-GitHub-Event: push", "X-GitHub-Delivery: smtp-auth-1",
                         "X-Hub-Signature-256: " + Hmac(p.secret, body)});
  ASSERT_EQ(hook.status, 202) << hook.body;
  WaitRun(u, hook.Json()["runs"][0].get<int64_t>(), 60, server.url());
  std::vector<std::string> mails = relay.WaitMessages(1);
  ASSERT_EQ(mails.size(), 1u) << server.Log();
  EXPECT_THAT(mails[0], HasSubstr("To: ops@x.org"));
  EXPECT_THAT(mails[0], HasSubstr("CI success on main"));
  json list =
      Http("GET", server.url() + "/api/v1/projects/" + p.name + "/deliveries", "", u.Auth()).Json();
  EXPECT_EQ(list.dump().find(password), std::string::npos);
  EXPECT_EQ(server.Log().find(password), std::string::npos);
  server.Stop();
}

// The outbox is durable: a delivery waiting for its retry when the server is killed is sent by
// the restarted server.
TEST(DeliveriesCrashTest, APendingDeliverySurvivesAKill9) {
  std::string dir = TempDir("dlv-crash");
  Receiver recv;
  recv.FailFirst("/hook", 1);
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_dlv_crash_test"),
               {"--delivery-backoff", "1500ms"});
  User u = SignUp(server.url(), "finn");
  Project p = MakeProject(u, "crash", {{".github/workflows/ci.yml", kWorkflow}}, server.url());
  std::string base = server.url() + "/api/v1/projects/" + p.name;
  ASSERT_EQ(
      Http("PUT", base + "/notifications",
           json{{"webhooks", {{{"url", recv.url() + "/hook"}, {"on", "always"}}}}}.dump(), u.Auth())
          .status,
      200);
  std::string sha = p.repo->Commit("x");
  std::string body = json{{"ref", "refs/heads/main"},
                          {"before", "0000000000000000000000000000000000000000"},
                          {"after", sha},
                          {"head_commit", {{"id", sha}, {"message", "ok"}}}}
                         .dump();
  HttpReply hook = Http("POST", server.url() + "/api/v1/hooks/" + p.name, body,
                        {"X-GitHub-Event: push", "X-GitHub-Delivery: crash-1",
                         "X-Hub-Signature-256: " + Hmac(p.secret, body)});
  ASSERT_EQ(hook.status, 202) << hook.body;
  WaitRun(u, hook.Json()["runs"][0].get<int64_t>(), 60, server.url());
  recv.Wait("/hook", 1);           // the first attempt failed; the next is 1.5 s away
  for (int i = 0; i < 100; ++i) {  // and it is recorded (else the row stays claimed 2 minutes)
    json d = Http("GET", base + "/deliveries", "", u.Auth()).Json()["deliveries"];
    if (!d.empty() && d[0].value("attempts", 0) == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  server.Kill9();
  server.Restart();
  std::vector<Received> got = recv.Wait("/hook", 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, got[1].body);
  json list;
  for (int i = 0; i < 100; ++i) {
    list = Http("GET", server.url() + "/api/v1/projects/" + p.name + "/deliveries", "", u.Auth())
               .Json()["deliveries"];
    if (!list.empty() && list[0].value("state", "") == "delivered") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].value("state", ""), "delivered");
  EXPECT_EQ(list[0].value("attempts", 0), 2);
  server.Stop();
}

// On the shared server, which has no --smtp-url: an e-mail delivery fails at once with a clear
// error, and the run is not held up by it.
TEST(DeliveriesWithoutSmtpTest, EmailFailsWithAClearErrorAndTheRunCompletes) {
  User u = SignUp(Url(), Unique("nosmtp"));
  Project p = MakeProject(u, Unique("mail"), {{".github/workflows/ci.yml", kWorkflow}});
  std::string base = Url() + "/api/v1/projects/" + p.name;
  ASSERT_EQ(Http("PUT", base + "/notifications",
                 json{{"email", {{"to", {"team@x.org"}}, {"on", "always"}}}}.dump(), u.Auth())
                .status,
            200);
  HttpReply hook = Push(p, p.repo->Commit("x"), Unique("nosmtp"));
  ASSERT_EQ(hook.status, 202) << hook.body;
  EXPECT_EQ(WaitRun(u, hook.Json()["runs"][0].get<int64_t>()).value("conclusion", ""), "success");
  json list;
  for (int i = 0; i < 200; ++i) {
    list = Http("GET", base + "/deliveries?state=failed", "", u.Auth()).Json()["deliveries"];
    if (!list.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_EQ(list[0].value("kind", ""), "email");
  EXPECT_EQ(list[0].value("target", ""), "team@x.org");
  EXPECT_EQ(list[0].value("attempts", 0), 1);
  EXPECT_THAT(list[0].value("last_error", ""), HasSubstr("no SMTP server is configured"));
}

}  // namespace
}  // namespace gantry::testing
