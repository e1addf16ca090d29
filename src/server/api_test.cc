// Authentication and cross-site request forgery protection of the API: the pure checks, and
// the real handlers (log-in, Authed) over a SQLite store in a temporary directory.

#include "server/api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "server/auth_api.h"

namespace gantry::server {
namespace {

namespace fs = std::filesystem;

Request Make(std::string method, std::vector<std::pair<std::string, std::string>> headers) {
  Request r;
  r.method = std::move(method);
  r.path = "/api/v1/runs/1/cancel";
  r.target = r.path;
  r.headers = std::move(headers);
  return r;
}

Principal ByCookie(bool cookie) {
  Principal p;
  p.by_cookie = cookie;
  return p;
}

TEST(CsrfTest, CookieWriteWithoutClientHeaderIsRefused) {
  auto denied = CheckCsrf(Make("POST", {}), ByCookie(true));
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_NE(denied->body.find("\"code\":\"csrf\""), std::string::npos);
  EXPECT_NE(denied->body.find("X-Gantry-Client"), std::string::npos);
  EXPECT_NE(denied->body.find("Authorization"), std::string::npos);
  for (const char* method : {"PUT", "DELETE", "PATCH"}) {
    EXPECT_TRUE(CheckCsrf(Make(method, {}), ByCookie(true))) << method;
  }
}

TEST(CsrfTest, CookieWriteWithClientHeaderPasses) {
  EXPECT_FALSE(CheckCsrf(Make("POST", {{"x-gantry-client", "web"}}), ByCookie(true)));
  // An empty value is no header.
  EXPECT_TRUE(CheckCsrf(Make("POST", {{"x-gantry-client", ""}}), ByCookie(true)));
}

TEST(CsrfTest, BearerWriteWithoutClientHeaderPasses) {
  EXPECT_FALSE(CheckCsrf(Make("POST", {}), ByCookie(false)));
}

TEST(CsrfTest, CookieReadsNeedNoHeader) {
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    EXPECT_FALSE(CheckCsrf(Make(method, {}), ByCookie(true))) << method;
  }
}

TEST(OriginTest, CrossOriginWriteIsRefused) {
  auto denied = CheckOrigin(
      Make("POST", {{"origin", "https://evil.example"}, {"host", "ci.example.org"}}), "");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_NE(denied->body.find("\"code\":\"csrf\""), std::string::npos);
  // Another port is another origin; so is "null" (a sandboxed or file: page).
  EXPECT_TRUE(CheckOrigin(
      Make("POST", {{"origin", "http://127.0.0.1:9999"}, {"host", "127.0.0.1:8080"}}), ""));
  EXPECT_TRUE(CheckOrigin(Make("DELETE", {{"origin", "null"}, {"host", "127.0.0.1:8080"}}), ""));
}

TEST(OriginTest, SameOriginWritePasses) {
  EXPECT_FALSE(CheckOrigin(
      Make("POST", {{"origin", "http://127.0.0.1:8080"}, {"host", "127.0.0.1:8080"}}), ""));
  EXPECT_FALSE(CheckOrigin(
      Make("POST", {{"origin", "http://CI.example.org"}, {"host", "ci.example.org:80"}}), ""));
  // Behind a proxy that rewrites Host, the external URL is this server's origin too.
  EXPECT_FALSE(
      CheckOrigin(Make("POST", {{"origin", "https://ci.example.org"}, {"host", "127.0.0.1:8080"}}),
                  "https://ci.example.org/"));
}

TEST(OriginTest, NoOriginOrSafeMethodPasses) {
  EXPECT_FALSE(CheckOrigin(Make("POST", {{"host", "127.0.0.1:8080"}}), ""));
  EXPECT_FALSE(CheckOrigin(Make("GET", {{"origin", "https://evil.example"}}), ""));
}

// The real log-in and an Authed handler over a SQLite store.
class AuthFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gantry-api-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(crypto::Init().ok());
    auto box = crypto::SecretBox::LoadOrCreate((dir_ / "server.key").string());
    ASSERT_TRUE(box.ok());
    box_ = std::make_unique<crypto::SecretBox>(std::move(box).value());
    auto store = store::OpenStore("sqlite://" + (dir_ / "gantry.db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    RateLimiterOptions limits;
    limits.max_attempts = 100;
    limits.window_ms = 60000;
    by_user_ = std::make_unique<RateLimiter>(limits);
    by_address_ = std::make_unique<RateLimiter>(limits);
    ctx_.store = store_.get();
    ctx_.box = box_.get();
    ctx_.login_by_user = by_user_.get();
    ctx_.login_by_address = by_address_.get();
    ctx_.now_ms = [] { return int64_t{1'765'000'000'000}; };
    AddAuthRoutes(router_, ctx_);
    router_.Add("POST", "/api/v1/write",
                Authed(ctx_, [](Request&, const Principal&) { return Response::NoContent(); }));
    ASSERT_EQ(Call("POST", "/api/v1/auth/signup", R"({"username":"ann","password":"long enough"})")
                  .status,
              201);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Response Call(const std::string& method, const std::string& path, const std::string& body = "",
                std::vector<std::pair<std::string, std::string>> headers = {}, bool tls = false) {
    Request r;
    r.method = method;
    r.path = path;
    r.target = path;
    r.body = body;
    r.headers = std::move(headers);
    r.remote_address = "127.0.0.1";
    r.tls = tls;
    Router::Match m = router_.Find(method, path);
    EXPECT_NE(m.handler, nullptr) << path;
    if (auto denied = router_.Check(r)) return *denied;
    return (*m.handler)(r);
  }
  // Logs in; the Set-Cookie header of the answer.
  std::string LoginCookie(bool tls, std::string* token) {
    Response r = Call("POST", "/api/v1/auth/login",
                      R"({"username":"ann","password":"long enough"})", {}, tls);
    EXPECT_EQ(r.status, 200) << r.body;
    *token = nlohmann::json::parse(r.body).value("token", "");
    for (const auto& [name, value] : r.headers) {
      if (name == "Set-Cookie") return value;
    }
    return "";
  }

  fs::path dir_;
  std::unique_ptr<crypto::SecretBox> box_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<RateLimiter> by_user_, by_address_;
  ApiContext ctx_;
  Router router_;
};

TEST_F(AuthFlowTest, SessionCookieIsHttpOnlyLaxAndSecureOverTls) {
  std::string token;
  std::string plain = LoginCookie(false, &token);
  EXPECT_NE(plain.find("gantry_session=" + token), std::string::npos);
  EXPECT_NE(plain.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(plain.find("; SameSite=Lax"), std::string::npos);
  EXPECT_EQ(plain.find("Secure"), std::string::npos);
  std::string tls = LoginCookie(true, &token);
  EXPECT_NE(tls.find("; Secure"), std::string::npos);
  EXPECT_NE(tls.find("; HttpOnly"), std::string::npos);
}

TEST_F(AuthFlowTest, CookieWritesNeedTheClientHeaderTokensDoNot) {
  std::string token;
  LoginCookie(false, &token);
  std::pair<std::string, std::string> cookie{"cookie", "theme=dark; gantry_session=" + token};
  Response denied = Call("POST", "/api/v1/write", "", {cookie});
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("\"code\":\"csrf\""), std::string::npos);
  EXPECT_EQ(Call("POST", "/api/v1/write", "", {cookie, {"x-gantry-client", "web"}}).status, 204);
  EXPECT_EQ(Call("POST", "/api/v1/write", "", {{"authorization", "Bearer " + token}}).status, 204);
  // A bearer token wins over a cookie sent along: no header needed.
  EXPECT_EQ(
      Call("POST", "/api/v1/write", "", {cookie, {"authorization", "Bearer " + token}}).status,
      204);
}

TEST_F(AuthFlowTest, GuardRefusesCrossOriginLoginAndSignup) {
  router_.SetGuard([](const Request& r) { return CheckOrigin(r, ""); });
  Response login =
      Call("POST", "/api/v1/auth/login", R"({"username":"ann","password":"long enough"})",
           {{"origin", "https://evil.example"}, {"host", "127.0.0.1:8080"}});
  EXPECT_EQ(login.status, 403);
  EXPECT_NE(login.body.find("\"code\":\"csrf\""), std::string::npos);
  Response signup =
      Call("POST", "/api/v1/auth/signup", R"({"username":"bob","password":"long enough"})",
           {{"origin", "https://evil.example"}, {"host", "127.0.0.1:8080"}});
  EXPECT_EQ(signup.status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", R"({"username":"ann","password":"long enough"})",
                 {{"origin", "http://127.0.0.1:8080"}, {"host", "127.0.0.1:8080"}})
                .status,
            200);
}

}  // namespace
}  // namespace gantry::server
