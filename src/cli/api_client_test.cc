#include "cli/api_client.h"

#include <gtest/gtest.h>

#include "executor/test_util.h"

namespace gantry::cli {
namespace {

using executor::testing::FakeTransport;

ClientTarget Target(std::string token = "gnt_abc") {
  return {"http://127.0.0.1:8080", std::move(token), "test"};
}

struct Client {
  explicit Client(FakeTransport::Handler handler, std::string token = "gnt_abc") {
    auto t = std::make_unique<FakeTransport>(std::move(handler));
    transport = t.get();
    api = std::make_unique<ApiClient>(Target(std::move(token)), std::move(t));
  }
  FakeTransport* transport;
  std::unique_ptr<ApiClient> api;
};

TEST(ApiClientTest, GetSendsTheTokenAndParsesTheBody) {
  Client c([](const executor::HttpRequest&) {
    return FakeTransport::Reply(200, R"({"username":"alice"})");
  });
  auto user = c.api->Get("/api/v1/user", "user");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ((*user)["username"], "alice");
  auto sent = c.transport->requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "GET");
  EXPECT_EQ(sent[0].path, "/api/v1/user");
  bool has_auth = false;
  for (const auto& [k, v] : sent[0].headers)
    has_auth |= k == "Authorization" && v == "Bearer gnt_abc";
  EXPECT_TRUE(has_auth);
}

TEST(ApiClientTest, NoAuthorizationHeaderWithoutAToken) {
  Client c([](const executor::HttpRequest&) { return FakeTransport::Reply(204); }, "");
  auto r = c.api->Send("POST", "/api/v1/auth/login", {{"username", "a"}}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_null());
  auto sent = c.transport->requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].body, R"({"username":"a"})");
  for (const auto& [k, v] : sent[0].headers) EXPECT_NE(k, "Authorization");
}

TEST(ApiClientTest, UnreachableServerNamesTheUrl) {
  Client c([](const executor::HttpRequest&) -> core::Result<executor::HttpReply> {
    return core::Status::Unavailable("connection refused");
  });
  auto r = c.api->Get("/api/v1/user", "user");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "cannot reach the Gantry server at http://127.0.0.1:8080: connection refused");
}

TEST(ApiClientTest, UnreachableReasonWithoutTheRepeatedUrl) {
  Client c([](const executor::HttpRequest&) -> core::Result<executor::HttpReply> {
    return core::Status::Unavailable(
        "GET http://127.0.0.1:8080/api/v1/user failed: SSL certificate problem: self-signed "
        "certificate");
  });
  auto r = c.api->Get("/api/v1/user", "user");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "cannot reach the Gantry server at http://127.0.0.1:8080: SSL certificate problem: "
            "self-signed certificate (a server with its own certificate authority: set "
            "SSL_CERT_FILE=ca.pem)");
}

TEST(ApiClientTest, RejectedTokenTellsHowToLogIn) {
  Client c([](const executor::HttpRequest&) {
    return FakeTransport::Reply(401, R"({"error":{"code":"unauthenticated","message":"x"}})");
  });
  auto r = c.api->Get("/api/v1/projects", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("run `gantry auth login --url http://127.0.0.1:8080`"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("expired"), std::string::npos);
}

TEST(ApiClientTest, WrongPasswordIsTheServersMessage) {
  Client c(
      [](const executor::HttpRequest&) {
        return FakeTransport::Reply(
            401,
            R"({"error":{"code":"invalid_credentials","message":"wrong username or password"}})");
      },
      "");
  auto r = c.api->Send("POST", "/api/v1/auth/login", nlohmann::json::object(), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "wrong username or password");
}

TEST(ApiClientTest, NotFoundNamesWhat) {
  Client c([](const executor::HttpRequest&) {
    return FakeTransport::Reply(404, R"({"error":{"code":"not_found","message":"nope"}})");
  });
  auto r = c.api->Get("/api/v1/projects/x/y", "project x/y");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "project x/y not found on http://127.0.0.1:8080");
  auto raw = c.api->GetRaw("/api/v1/x", "");
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().message(), "nope");
}

TEST(ApiClientTest, ValidationErrorsNameTheField) {
  Client c([](const executor::HttpRequest&) {
    return FakeTransport::Reply(
        422, R"({"error":{"code":"invalid","message":"must not be empty","field":"name"}})");
  });
  auto r = c.api->Send("PUT", "/api/v1/x", nlohmann::json::object(), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "name: must not be empty");
}

TEST(ApiClientTest, ConflictIsAlreadyExists) {
  Client c([](const executor::HttpRequest&) {
    return FakeTransport::Reply(
        409,
        R"({"error":{"code":"already_exists","message":"project 'a/b' exists","field":"name"}})");
  });
  auto r = c.api->Send("POST", "/api/v1/projects", nlohmann::json::object(), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.status().message(), "name: project 'a/b' exists");
}

TEST(ApiClientTest, ServerFailureIsInternal) {
  Client c([](const executor::HttpRequest&) { return FakeTransport::Reply(502, "bad gateway"); });
  auto r = c.api->Get("/api/v1/user", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInternal);
  EXPECT_EQ(r.status().message(),
            "the server at http://127.0.0.1:8080 failed (HTTP 502): bad gateway");
}

TEST(ApiClientTest, NonJsonAnswerIsAnError) {
  Client c([](const executor::HttpRequest&) { return FakeTransport::Reply(200, "<html>"); });
  auto r = c.api->Get("/api/v1/user", "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not JSON"), std::string::npos);
}

TEST(ApiClientTest, GetRawKeepsBytesAndHeaders) {
  Client c([](const executor::HttpRequest&) {
    return FakeTransport::Reply(200, std::string("PK\0\1", 4),
                                {{"Content-Type", "application/zip"}});
  });
  auto r = c.api->GetRaw("/api/v1/artifacts/1/zip", "artifact 1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, std::string("PK\0\1", 4));
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].second, "application/zip");
}

TEST(ApiClientTest, PlainHttpOnlyToLoopback) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* fake = t.get();
  ApiClient api({"http://ci.example:8080", "gnt_x", ""}, std::move(t));
  auto r = api.Get("/api/v1/user", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "use https:// for ci.example: plain HTTP is allowed only to this machine (loopback)");
  EXPECT_TRUE(fake->requests().empty());  // the token never went over plain HTTP
}

TEST(ApiClientTest, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1.example"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
  EXPECT_EQ(UrlHost("http://[::1]:8080/x"), "::1");
  EXPECT_EQ(UrlHost("https://ci.example"), "ci.example");
  EXPECT_EQ(UrlHost("http://127.0.0.1:9/api"), "127.0.0.1");
  EXPECT_EQ(UrlHost("localhost:8443"), "localhost");
}

}  // namespace
}  // namespace gantry::cli
