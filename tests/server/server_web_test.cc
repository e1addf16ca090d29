// The web UI's side of `gantry server` on the shared server: the UI's files (the fixture that
// server_fixture.h writes, so no npm is needed), CSRF protection of cookie sessions, the status
// badge and the data the run page's graph is drawn from.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCsp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

TEST(ServerWebTest, RootAndDeepLinksGetIndexHtmlWithTheCsp) {
  HttpReply root = Http("GET", Url() + "/");
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_THAT(root.headers["content-type"], HasSubstr("text/html"));
  EXPECT_THAT(root.body, HasSubstr("/assets/index-4f2a9c.js"));
  EXPECT_EQ(root.headers["content-security-policy"], kCsp);
  EXPECT_EQ(root.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(root.headers["x-frame-options"], "DENY");
  EXPECT_EQ(root.headers["referrer-policy"], "same-origin");
  EXPECT_EQ(root.headers["cache-control"], "no-cache");
  HttpReply deep = Http("GET", Url() + "/alice/shop/runs/12/jobs/34");
  EXPECT_EQ(deep.status, 200);
  EXPECT_EQ(deep.body, root.body);
  EXPECT_EQ(deep.headers["content-security-policy"], kCsp);
}

TEST(ServerWebTest, AssetsAreImmutableAndGzippedWhenAsked) {
  std::string url = Url() + "/assets/index-4f2a9c.js";
  HttpReply plain = Http("GET", url);
  ASSERT_EQ(plain.status, 200);
  EXPECT_THAT(plain.headers["content-type"], HasSubstr("text/javascript"));
  EXPECT_EQ(plain.headers["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_THAT(plain.body, HasSubstr("the fixture of the web UI"));
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  HttpReply gz = Http("GET", url, "", {"Accept-Encoding: gzip"});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  EXPECT_EQ(gz.headers["vary"], "Accept-Encoding");
  ASSERT_GE(gz.body.size(), 2u);
  EXPECT_EQ(gz.body.substr(0, 2), "\x1f\x8b");
  EXPECT_LT(gz.body.size(), plain.body.size() / 2);
  HttpReply again = Http("GET", url, "", {"If-None-Match: " + plain.headers["etag"]});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(Http("GET", Url() + "/assets/missing-1.js").status, 404);
}

TEST(ServerWebTest, ApiPathsKeepTheirJsonErrors) {
  HttpReply nope = Http("GET", Url() + "/api/v1/nope");
  EXPECT_EQ(nope.status, 404);
  EXPECT_EQ(nope.headers["content-type"], "application/json");
  EXPECT_EQ(nope.Json()["error"].value("code", ""), "not_found");
  EXPECT_EQ(nope.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(Http("POST", Url() + "/somewhere").status, 404);
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user").headers["x-content-type-options"], "nosniff");
}

// The gantry_session cookie of a fresh login of `user`.
std::string SessionCookie(const std::string& user, HttpReply* login) {
  *login = Http("POST", Url() + "/api/v1/auth/login",
                json{{"username", user}, {"password", "correct horse"}}.dump());
  std::string set = login->headers["set-cookie"];
  return set.substr(0, set.find(';'));
}

TEST(ServerWebTest, CookieWritesNeedTheClientHeader) {
  User u = SignUp(Url(), Unique("carol"));
  HttpReply login;
  std::string cookie = SessionCookie(u.name, &login);
  ASSERT_THAT(cookie, HasSubstr("gantry_session="));
  EXPECT_THAT(login.headers["set-cookie"], HasSubstr("HttpOnly"));
  EXPECT_THAT(login.headers["set-cookie"], HasSubstr("SameSite=Lax"));
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user", "", {"Cookie: " + cookie}).status, 200);
  std::string body = json{{"name", "t"}}.dump();
  HttpReply denied = Http("POST", Url() + "/api/v1/user/tokens", body, {"Cookie: " + cookie});
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.Json()["error"].value("code", ""), "csrf");
  EXPECT_THAT(denied.body, HasSubstr("X-Gantry-Client"));
  EXPECT_EQ(Http("POST", Url() + "/api/v1/user/tokens", body,
                 {"Cookie: " + cookie, "X-Gantry-Client: web"})
                .status,
            201);
  EXPECT_EQ(Http("POST", Url() + "/api/v1/user/tokens", body, u.Auth()).status, 201);
  // Another origin may not even log in.
  HttpReply cross = Http("POST", Url() + "/api/v1/auth/login",
                         json{{"username", u.name}, {"password", "correct horse"}}.dump(),
                         {"Origin: https://evil.example"});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(cross.Json()["error"].value("code", ""), "csrf");
  EXPECT_EQ(
      Http("POST", Url() + "/api/v1/auth/login",
           json{{"username", u.name}, {"password", "correct horse"}}.dump(), {"Origin: " + Url()})
          .status,
      200);
}

const char kGraphWorkflow[] = R"(name: <script>alert(1)</script> CI
on: push
jobs:
  build:
    name: Build
    runs-on: ubuntu-latest
    steps:
      - run: "true"
  fail:
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
  deploy:
    needs: [build, fail]
    runs-on: ubuntu-latest
    strategy:
      matrix:
        env: [a, b]
    steps:
      - run: "true"
)";

TEST(ServerWebTest, RunGraphRolesAndBadge) {
  User u = SignUp(Url(), Unique("dave"));
  Project p = MakeProject(u, "graph", {{".github/workflows/ci.yml", kGraphWorkflow}});
  std::string base = Url() + "/api/v1/projects/" + p.name;
  HttpReply none = Http("GET", base + "/badge.svg", "", u.Auth());
  EXPECT_EQ(none.status, 200) << none.body;
  EXPECT_THAT(none.body, HasSubstr("no status"));
  std::string sha = p.repo->Commit("graph");
  HttpReply hook = Push(p, sha, Unique("push"));
  ASSERT_EQ(hook.status, 202) << hook.body;
  int64_t id = hook.Json()["runs"][0];
  json run = WaitRun(u, id);
  ASSERT_EQ(run.value("conclusion", ""), "failure") << run.dump(2);
  // Every job of the file, in order, with what it needs.
  json graph = run["graph"];
  ASSERT_EQ(graph.size(), 3u) << run.dump(2);
  EXPECT_EQ(
      graph[0],
      json({{"id", "build"}, {"name", "Build"}, {"needs", json::array()}, {"matrix", false}}));
  EXPECT_EQ(graph[1].value("id", ""), "fail");
  EXPECT_EQ(
      graph[2],
      json({{"id", "deploy"}, {"name", "deploy"}, {"needs", {"build", "fail"}}, {"matrix", true}}));
  for (const json& job : run["jobs"]) {
    std::string id = job.value("job_id", "");
    if (id == "deploy") {
      EXPECT_EQ(job["needs"], json({"build", "fail"}));
    } else if (id == "build") {
      EXPECT_EQ(job["needs"], json::array());
    }
  }
  // The run's event stream names each job's node in the graph.
  HttpReply events =
      Http("GET", Url() + "/api/v1/runs/" + std::to_string(id) + "/events", "", u.Auth(), 30000);
  EXPECT_THAT(events.body, HasSubstr("event: job\ndata: "));
  EXPECT_THAT(events.body, HasSubstr(R"("job_id":"deploy")"));
  EXPECT_THAT(events.body, HasSubstr("event: step\ndata: "));
  EXPECT_THAT(events.body, HasSubstr("event: end\ndata: "));
  // The caller's role on the project.
  EXPECT_EQ(Http("GET", base, "", u.Auth()).Json().value("role", ""), "owner");
  json list = Http("GET", Url() + "/api/v1/projects", "", u.Auth()).Json();
  ASSERT_EQ(list["projects"].size(), 1u);
  EXPECT_EQ(list["projects"][0].value("role", ""), "owner");
  // The badge: SVG, the workflow's name escaped.
  HttpReply badge = Http("GET", base + "/badge.svg?workflow=ci.yml&branch=main", "", u.Auth());
  ASSERT_EQ(badge.status, 200) << badge.body;
  EXPECT_EQ(badge.headers["content-type"], "image/svg+xml");
  EXPECT_EQ(badge.headers["cache-control"], "no-cache");
  EXPECT_FALSE(badge.headers["etag"].empty());
  EXPECT_THAT(badge.body, HasSubstr("<svg"));
  EXPECT_THAT(badge.body, HasSubstr(">failing<"));
  EXPECT_THAT(badge.body, HasSubstr("&lt;script&gt;"));
  EXPECT_THAT(badge.body, Not(HasSubstr("<script")));
  EXPECT_THAT(Http("GET", base + "/badge.svg", "", u.Auth()).body, HasSubstr(">build<"));
  EXPECT_EQ(Http("GET", base + "/badge.svg?workflow=nope.yml", "", u.Auth()).status, 404);
  EXPECT_EQ(Http("GET", base + "/badge.svg").status, 401);
  User other = SignUp(Url(), Unique("eve"));
  EXPECT_EQ(Http("GET", base + "/badge.svg", "", other.Auth()).status, 404);
}

}  // namespace
}  // namespace gantry::testing
