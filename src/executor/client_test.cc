#include "executor/client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "executor/test_util.h"

namespace gantry::executor {
namespace {

using std::chrono::milliseconds;
using testing::Body;
using testing::FakeTransport;
using testing::RecordingPolicy;

// Answers the requests in turn with `replies` (the last one again once they run out).
FakeTransport::Handler Script(std::vector<core::Result<HttpReply>> replies) {
  auto next = std::make_shared<std::atomic<size_t>>(0);
  return [replies = std::move(replies), next](const HttpRequest&) {
    size_t i = next->fetch_add(1);
    return replies[std::min(i, replies.size() - 1)];
  };
}

TEST(BackoffTest, DoublesUpToTheCap) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(200);
  p.max_backoff = milliseconds(1000);
  EXPECT_EQ(BackoffFor(p, 1), milliseconds(200));
  EXPECT_EQ(BackoffFor(p, 2), milliseconds(400));
  EXPECT_EQ(BackoffFor(p, 3), milliseconds(800));
  EXPECT_EQ(BackoffFor(p, 4), milliseconds(1000));
  EXPECT_EQ(BackoffFor(p, 30), milliseconds(1000));
}

TEST(ProtocolClientTest, RetriesServerErrorsWithBackoffUntilSuccess) {
  FakeTransport t(Script({FakeTransport::Reply(503), core::Status::Unavailable("reset"),
                          FakeTransport::Reply(500), FakeTransport::Reply(204)}));
  std::vector<milliseconds> waits;
  ProtocolClient client(t, "tok", RecordingPolicy(&waits, 5));
  core::Status st = client.SendSteps(3, "L", {});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(t.requests().size(), 4u);
  EXPECT_EQ(waits,
            (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(400)}));
}

TEST(ProtocolClientTest, GivesUpAfterMaxAttempts) {
  FakeTransport t(Script({FakeTransport::Reply(502)}));
  std::vector<milliseconds> waits;
  ProtocolClient client(t, "tok", RecordingPolicy(&waits, 3));
  core::Status st = client.SendSteps(3, "L", {});
  EXPECT_EQ(st.code(), core::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("gave up after 3 attempts"), std::string::npos) << st.message();
  EXPECT_EQ(t.requests().size(), 3u);
  EXPECT_EQ(waits.size(), 2u);
}

TEST(ProtocolClientTest, AHeartbeatsRetriesStayWithinItsBudget) {
  FakeTransport t(Script({FakeTransport::Reply(503)}));
  std::vector<milliseconds> waits;
  ProtocolClient client(t, "tok", RecordingPolicy(&waits, 100));
  auto hb = client.Heartbeat(3, "L", milliseconds(250));
  EXPECT_EQ(hb.status().code(), core::StatusCode::kUnavailable);
  // Waits of 100 and 200 ms fit in 250 ms, one of 400 would not.
  EXPECT_EQ(t.requests().size(), 3u);
  for (const HttpRequest& r : t.requests()) EXPECT_LE(r.timeout, milliseconds(250));
}

TEST(ProtocolClientTest, RetriesRequestTimeoutAndTooManyRequests) {
  FakeTransport t(Script(
      {FakeTransport::Reply(408), FakeTransport::Reply(429), FakeTransport::Reply(200, "{}")}));
  std::vector<milliseconds> waits;
  ProtocolClient client(t, "tok", RecordingPolicy(&waits));
  EXPECT_TRUE(client.Complete(3, "L", {}).ok());
  EXPECT_EQ(t.requests().size(), 3u);
}

TEST(ProtocolClientTest, HonoursRetryAfterWithinTheCap) {
  FakeTransport t(Script({FakeTransport::Reply(429, "", {{"retry-after", "7"}}),
                          FakeTransport::Reply(503, "", {{"Retry-After", "0"}}),
                          FakeTransport::Reply(200, "{}")}));
  std::vector<milliseconds> waits;
  ProtocolClient client(t, "tok", RecordingPolicy(&waits));
  EXPECT_TRUE(client.Complete(3, "L", {}).ok());
  EXPECT_EQ(waits, (std::vector<milliseconds>{milliseconds(1000), milliseconds(0)}));
}

TEST(ProtocolClientTest, DoesNotRetryOtherClientErrors) {
  FakeTransport t(Script({FakeTransport::Reply(
      400, R"({"error":{"code":"invalid","message":"bad seq","field":"chunks[0].seq"}})")}));
  std::vector<milliseconds> waits;
  ProtocolClient client(t, "tok", RecordingPolicy(&waits));
  core::Status st = client.SendLogs(3, "L", {{1, 0, "x\n"}}, {});
  EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("bad seq (field chunks[0].seq)"), std::string::npos) << st.message();
  EXPECT_EQ(t.requests().size(), 1u);
  EXPECT_TRUE(waits.empty());
}

TEST(ProtocolClientTest, RejectedTokenIsPermissionDenied) {
  FakeTransport t(Script({FakeTransport::Reply(401, R"({"error":{"message":"bad token"}})")}));
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  auto lease = client.LeaseJob(1, {"linux"}, 30);
  EXPECT_EQ(lease.status().code(), core::StatusCode::kPermissionDenied);
  EXPECT_EQ(t.requests().size(), 1u);
}

TEST(ProtocolClientTest, LeaseLostIsDistinctAndNotRetried) {
  FakeTransport t(Script({FakeTransport::Reply(
      409, R"({"error":{"code":"lease_lost","message":"the lease expired"}})")}));
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  auto hb = client.Heartbeat(3, "L");
  ASSERT_FALSE(hb.ok());
  EXPECT_TRUE(IsLeaseLost(hb.status())) << hb.status().ToString();
  EXPECT_EQ(t.requests().size(), 1u);

  FakeTransport other(Script({FakeTransport::Reply(409, R"({"error":{"code":"conflict"}})")}));
  ProtocolClient client2(other, "tok", RecordingPolicy(nullptr));
  core::Status st = client2.Complete(3, "L", {});
  EXPECT_FALSE(IsLeaseLost(st));
  EXPECT_FALSE(st.ok());
  // A 404 (wrong URL, no such job) is not a lost lease either.
  FakeTransport missing(Script({FakeTransport::Reply(404, "not found")}));
  ProtocolClient client3(missing, "tok", RecordingPolicy(nullptr));
  EXPECT_FALSE(IsLeaseLost(client3.Complete(3, "L", {})));
}

TEST(ProtocolClientTest, CancelStopsTheRetries) {
  FakeTransport t(Script({FakeTransport::Reply(503)}));
  backend::CancelToken cancel;
  RetryPolicy p = RecordingPolicy(nullptr, 100);
  p.sleep = [&](milliseconds, const backend::CancelToken* c) {
    cancel.Cancel();
    return c == nullptr || !c->cancelled();
  };
  ProtocolClient client(t, "tok", p);
  auto lease = client.LeaseJob(1, {}, 30, &cancel);
  EXPECT_EQ(lease.status().code(), core::StatusCode::kCancelled);
  EXPECT_EQ(t.requests().size(), 1u);
}

TEST(ProtocolClientTest, LeaseSendsCapacityLabelsAndToken) {
  FakeTransport t(Script({FakeTransport::Reply(204)}));
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  auto lease = client.LeaseJob(2, {"self-hosted", "linux"}, 90);
  ASSERT_TRUE(lease.ok());
  EXPECT_FALSE(lease->has_value());
  HttpRequest r = t.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/api/v1/executor/lease");
  nlohmann::json body = Body(r);
  EXPECT_EQ(body["capacity"], 2);
  EXPECT_EQ(body["labels"], nlohmann::json({"self-hosted", "linux"}));
  EXPECT_EQ(body["wait_seconds"], 60);  // at most 60
  EXPECT_GT(r.timeout, milliseconds(60000));
  EXPECT_EQ(r.headers,
            (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer tok"}}));
}

TEST(ProtocolClientTest, LeaseCarriesTheSpecOrWhyItIsMalformed) {
  FakeTransport t(
      Script({FakeTransport::Reply(200, R"({"lease_id":"L1","lease_seconds":90,"job":{"id":17,
        "workflow":{"file":"ci.yml","yaml":"on: push"},"job_id":"test","github":{}}})"),
              FakeTransport::Reply(
                  200, R"({"lease_id":"L2","job":{"id":18,"job_id":"x","github":{}}})")}));
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  auto first = client.LeaseJob(1, {}, 1);
  ASSERT_TRUE(first.ok() && first->has_value());
  const Lease& l1 = **first;
  EXPECT_EQ(l1.lease_id, "L1");
  EXPECT_EQ(l1.lease_seconds, 90);
  EXPECT_EQ(l1.job_id, 17);
  ASSERT_TRUE(l1.spec.has_value()) << l1.spec_error;
  EXPECT_EQ(l1.spec->job_id, "test");
  auto second = client.LeaseJob(1, {}, 1);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->job_id, 18);
  EXPECT_FALSE((*second)->spec.has_value());
  EXPECT_EQ((*second)->spec_error, "job.workflow: missing");
}

TEST(ProtocolClientTest, HeartbeatReadsCancel) {
  FakeTransport t(Script({FakeTransport::Reply(200, R"({"cancel":true,"lease_seconds":30})")}));
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  auto hb = client.Heartbeat(17, "L");
  ASSERT_TRUE(hb.ok());
  EXPECT_TRUE(hb->cancel);
  EXPECT_EQ(hb->lease_seconds, 30);
  EXPECT_EQ(t.requests()[0].path, "/api/v1/executor/jobs/17/heartbeat");
  EXPECT_EQ(Body(t.requests()[0])["lease_id"], "L");
}

TEST(ProtocolClientTest, StepsAndCompleteBodies) {
  FakeTransport t;
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  StepUpdate u;
  u.index = 2;
  u.name = "Test";
  u.completed = true;
  u.conclusion = engine::Conclusion::kSuccess;
  u.outcome = engine::Conclusion::kFailure;
  u.error = "exit code 1";
  u.started_at_ms = 1000;
  u.completed_at_ms = 2000;
  ASSERT_TRUE(client.SendSteps(5, "L", {u}).ok());
  nlohmann::json steps = Body(t.requests()[0])["steps"];
  EXPECT_EQ(steps[0]["status"], "completed");
  EXPECT_EQ(steps[0]["conclusion"], "success");
  EXPECT_EQ(steps[0]["outcome"], "failure");
  EXPECT_EQ(steps[0]["completed_at"], 2000);
  Completion c;
  c.conclusion = engine::Conclusion::kFailure;
  c.outputs = {{"v", "1"}};
  c.failed_step = "Test";
  ASSERT_TRUE(client.Complete(5, "L", c).ok());
  nlohmann::json done = Body(t.requests()[1]);
  EXPECT_EQ(t.requests()[1].path, "/api/v1/executor/jobs/5/complete");
  EXPECT_EQ(done["conclusion"], "failure");
  EXPECT_EQ(done["outputs"]["v"], "1");
  EXPECT_EQ(done["failed_step"], "Test");
}

TEST(ProtocolClientTest, CacheAndArtifactCalls) {
  FakeTransport t([](const HttpRequest& r) -> core::Result<HttpReply> {
    if (r.method == "GET" && r.path.find("key=miss") != std::string::npos) {
      return FakeTransport::Reply(204);
    }
    if (r.method == "GET") return FakeTransport::Reply(200, "TAR", {{"X-Cache-Key", "k-1"}});
    return FakeTransport::Reply(201, "{}");
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  auto hit = client.GetCache(5, "L", "k 2", {"k-", "x"}, "v1");
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ((*hit)->key, "k-1");
  EXPECT_EQ((*hit)->archive, "TAR");
  EXPECT_EQ(t.requests()[0].path,
            "/api/v1/executor/jobs/5/cache?key=k%202&restore_keys=k-,x&version=v1&lease_id=L");
  auto miss = client.GetCache(5, "L", "miss", {}, "v1");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  ASSERT_TRUE(client.PutCache(5, "L", "k", "v1", "TAR").ok());
  EXPECT_EQ(t.requests()[2].method, "PUT");
  ASSERT_TRUE(client.UploadArtifact(5, "L", "my report", "ZIP").ok());
  EXPECT_EQ(t.requests()[3].path, "/api/v1/executor/jobs/5/artifacts/my%20report?lease_id=L");
  EXPECT_EQ(t.requests()[3].body, "ZIP");
  EXPECT_EQ(t.requests()[3].content_type, "application/zip");
}

RegisterRequest GpuBox() {
  RegisterRequest r;
  r.registration_token = "reg-token";
  r.name = "box";
  r.labels = {"self-hosted", "linux", "x64", "gpu"};
  r.version = "0.1.0";
  r.capacity = 2;
  return r;
}

TEST(ProtocolClientTest, RegisterSendsTheRegistrationTokenInTheBodyAndReadsTheExecutorToken) {
  FakeTransport t(Script({FakeTransport::Reply(201, R"({"id":4,"token":"gne_exec"})")}));
  // A client that already holds an executor token must not send it along.
  ProtocolClient client(t, "gne_old", RecordingPolicy(nullptr));
  auto reg = client.Register(GpuBox());
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(reg->token, "gne_exec");
  EXPECT_EQ(reg->id, 4);
  ASSERT_EQ(t.requests().size(), 1u);
  const HttpRequest sent = t.requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.path, "/api/v1/executor/register");
  EXPECT_EQ(sent.content_type, "application/json");
  EXPECT_TRUE(sent.headers.empty());
  EXPECT_EQ(Body(sent), nlohmann::json::parse(R"({"token":"reg-token","name":"box",
      "labels":["self-hosted","linux","x64","gpu"],"version":"0.1.0","capacity":2})"));
}

TEST(ProtocolClientTest, ARejectedRegistrationCarriesTheServersMessageAndIsNotRetried) {
  FakeTransport t(Script({FakeTransport::Reply(
      401, R"({"error":{"code":"unauthorized","message":"the registration token expired"}})")}));
  ProtocolClient client(t, "", RecordingPolicy(nullptr));
  auto reg = client.Register(GpuBox());
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.status().code(), core::StatusCode::kPermissionDenied);
  EXPECT_NE(reg.status().message().find("the registration token expired"), std::string::npos)
      << reg.status().message();
  EXPECT_EQ(t.requests().size(), 1u);
}

TEST(ProtocolClientTest, AnInvalidRegistrationNamesTheField) {
  FakeTransport t(Script({FakeTransport::Reply(
      422, R"({"error":{"code":"invalid","message":"name is required","field":"name"}})")}));
  ProtocolClient client(t, "", RecordingPolicy(nullptr));
  RegisterRequest request = GpuBox();
  request.name.clear();
  auto reg = client.Register(request);
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(reg.status().message().find("name is required (field name)"), std::string::npos)
      << reg.status().message();
}

TEST(ProtocolClientTest, ARegistrationAnswerWithoutATokenIsAnError) {
  FakeTransport t(Script({FakeTransport::Reply(201, R"({"id":4})")}));
  ProtocolClient client(t, "", RecordingPolicy(nullptr));
  auto reg = client.Register(GpuBox());
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.status().code(), core::StatusCode::kInternal);
}

TEST(ProtocolClientTest, TimestampsAreRfc3339WithMilliseconds) {
  auto t = std::chrono::system_clock::time_point(milliseconds(1764971943123));
  EXPECT_EQ(Rfc3339Millis(t), "2025-12-05T21:59:03.123Z");
}

}  // namespace
}  // namespace gantry::executor
