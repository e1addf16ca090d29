#include "cli/run_commands.h"

#include <gtest/gtest.h>

#include "executor/test_util.h"

namespace gantry::cli {
namespace {

using executor::testing::FakeTransport;
using nlohmann::json;

// A server with runs 250..1 answering `limit` and `before` like GET .../runs.
core::Result<executor::HttpReply> Pages(const executor::HttpRequest& r) {
  auto param = [&r](const std::string& key) -> int {
    size_t at = r.path.find(key + "=");
    return at == std::string::npos ? 0 : std::stoi(r.path.substr(at + key.size() + 1));
  };
  int limit = param("limit");
  int before = param("before");
  if (limit < 1 || limit > 100)
    return FakeTransport::Reply(400, R"({"error":{"message":"limit"}})");
  json runs = json::array();
  for (int id = before == 0 ? 250 : before - 1; id >= 1 && static_cast<int>(runs.size()) < limit;
       --id) {
    runs.push_back({{"id", id}});
  }
  json next = static_cast<int>(runs.size()) == limit ? json(runs.back()["id"]) : json();
  return FakeTransport::Reply(200, json{{"runs", runs}, {"next", next}}.dump());
}

struct Api {
  Api() {
    auto t = std::make_unique<FakeTransport>(Pages);
    transport = t.get();
    api = std::make_unique<ApiClient>(ClientTarget{"http://127.0.0.1:8080", "t", "test"},
                                      std::move(t));
  }
  FakeTransport* transport;
  std::unique_ptr<ApiClient> api;
};

TEST(FetchRunsTest, FollowsTheNextCursorUpToTheLimit) {
  Api a;
  auto runs = FetchRuns(*a.api, "/api/v1/projects/o/n/runs?branch=main", 230, "project o/n");
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs.value().size(), 230U);
  EXPECT_EQ(runs.value()[0]["id"], 250);
  EXPECT_EQ(runs.value()[229]["id"], 21);
  auto sent = a.transport->requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(sent[0].path, "/api/v1/projects/o/n/runs?branch=main&limit=100");
  EXPECT_EQ(sent[1].path, "/api/v1/projects/o/n/runs?branch=main&limit=100&before=151");
  EXPECT_EQ(sent[2].path, "/api/v1/projects/o/n/runs?branch=main&limit=30&before=51");
}

TEST(FetchRunsTest, StopsWhenThereIsNoNextPage) {
  Api a;
  auto runs = FetchRuns(*a.api, "/api/v1/projects/o/n/runs?", 1000, "project o/n");
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  EXPECT_EQ(runs.value().size(), 250U);
  EXPECT_EQ(a.transport->requests()[0].path, "/api/v1/projects/o/n/runs?limit=100");
  EXPECT_EQ(a.transport->requests().size(), 3U);
  auto few = FetchRuns(*a.api, "/api/v1/projects/o/n/runs", 2, "project o/n");
  ASSERT_TRUE(few.ok());
  EXPECT_EQ(few.value().size(), 2U);
}

}  // namespace
}  // namespace gantry::cli
