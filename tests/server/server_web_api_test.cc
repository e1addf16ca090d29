// Integration tests of the API fields and calls the web UI (web/) relies on beyond the basics,
// one test per behaviour.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Api(const Project& p) { return Url() + "/api/v1/projects/" + p.name; }

TEST(ServerWebApiTest, FollowedLogLinesHoldNoBareCarriageReturn) {
  User u = SignUp(Url(), Unique("cr"));
  Project p = MakeProject(u, "cr", {{".github/workflows/bar.yml", R"(on: workflow_dispatch
jobs:
  bar:
    runs-on: ubuntu-latest
    steps:
      - name: draw a progress bar
        run: printf 'progress 10%%\rprogress 50%%\rprogress 100%%\nafter the bar\n'
)"}});
  HttpReply d = Http("POST", Api(p) + "/workflows/bar.yml/dispatches", "{}", u.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  json run = WaitRun(u, d.Json()["runs"][0]);
  ASSERT_FALSE(run["jobs"].empty());
  std::string plain = JobLog(u, run["jobs"][0]);
  ASSERT_THAT(plain, HasSubstr("progress 10%\rprogress 50%\rprogress 100%"));  // stored as is
  HttpReply sse =
      Http("GET", Url() + "/api/v1/jobs/" + run["jobs"][0]["id"].dump() + "/logs?follow=1", "",
           u.Auth(), 30000);
  EXPECT_EQ(sse.body.find('\r'), std::string::npos);
  EXPECT_THAT(sse.body, Not(HasSubstr("progress 50%")));
  EXPECT_THAT(sse.body, HasSubstr("Z progress 100%\n"));  // after the line's timestamp
  EXPECT_THAT(sse.body, HasSubstr("after the bar\n"));
  EXPECT_THAT(sse.body, HasSubstr("event: end"));
}

}  // namespace
}  // namespace gantry::testing
