#include "executor/log_uploader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "executor/test_util.h"

namespace gantry::executor {
namespace {

using std::chrono::milliseconds;
using testing::Body;
using testing::FakeTransport;
using testing::RecordingPolicy;
using Clock = std::chrono::steady_clock;

const engine::JobKey kJob{"test", 0, "test"};

// The chunks of every logs request, in the order they were sent (a failed request included).
std::vector<nlohmann::json> Chunks(const FakeTransport& t) {
  std::vector<nlohmann::json> out;
  for (const HttpRequest& r : t.RequestsTo("/logs")) {
    nlohmann::json body = Body(r);
    for (const auto& c : body["chunks"]) out.push_back(c);
  }
  return out;
}

std::string AllText(const FakeTransport& t) {
  std::string text;
  for (const auto& c : Chunks(t)) text += c["data"].get<std::string>();
  return text;
}

LogUploaderOptions Fast() {
  LogUploaderOptions o;
  o.retry_wait = milliseconds(10);
  return o;
}

TEST(LogUploaderTest, ALineIsSentWithin250Milliseconds) {
  FakeTransport t;
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  LogUploader up(client, 7, "L", Fast());
  auto written = Clock::now();
  up.OnLogLine(kJob, 0, "hello");
  ASSERT_TRUE(t.WaitFor([](const auto& rs) { return !rs.empty(); }));
  auto delay = Clock::now() - written;
  // Batched (not sent at once), but within the bound (plus scheduling slack).
  EXPECT_GE(delay, milliseconds(200));
  EXPECT_LE(delay, milliseconds(250 + 100));
  ASSERT_TRUE(up.Finish(milliseconds(5000)).ok());
  HttpRequest r = t.requests().at(0);
  EXPECT_EQ(r.path, "/api/v1/executor/jobs/7/logs");
  nlohmann::json body = Body(r);
  EXPECT_EQ(body["lease_id"], "L");
  EXPECT_EQ(body["chunks"][0]["seq"], 1);
  EXPECT_EQ(body["chunks"][0]["step"], 0);
  std::string data = body["chunks"][0]["data"];
  EXPECT_TRUE(
      std::regex_match(data, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z hello\n)")))
      << data;
}

TEST(LogUploaderTest, AFullBatchGoesAtOnce) {
  FakeTransport t;
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  LogUploaderOptions o = Fast();
  o.flush_after = milliseconds(60000);
  o.batch_bytes = 1024;
  LogUploader up(client, 7, "L", o);
  for (int i = 0; i < 40; ++i) up.OnLogLine(kJob, 0, std::string(40, 'x'));
  ASSERT_TRUE(t.WaitFor([](const auto& rs) { return !rs.empty(); }, milliseconds(2000)));
  // No batch is much larger than batch_bytes.
  for (const auto& c : Chunks(t)) EXPECT_LE(c["data"].get<std::string>().size(), 1024u);
  ASSERT_TRUE(up.Finish(milliseconds(5000)).ok());
  EXPECT_EQ(AllText(t).size(), 40u * (25 + 40 + 1));
}

TEST(LogUploaderTest, StepsGetTheirOwnChunksAndSeqsCountFromOne) {
  FakeTransport t;
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  LogUploader up(client, 7, "L", Fast());
  up.OnStepStarted(kJob, 0, "Build");
  up.OnLogLine(kJob, 0, "compiling");
  up.OnGroup(kJob, 0, true, "details");
  up.OnLogLine(kJob, 0, "a\nb");
  up.OnGroup(kJob, 0, false, "");
  up.OnStepStarted(kJob, 1, "Test");
  up.OnLogLine(kJob, 1, "ok");
  up.OnDebug(kJob, 1, "hidden");
  ASSERT_TRUE(up.Finish(milliseconds(5000)).ok());
  std::vector<nlohmann::json> chunks = Chunks(t);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0]["seq"], 1);
  EXPECT_EQ(chunks[0]["step"], 0);
  EXPECT_EQ(chunks[1]["seq"], 2);
  EXPECT_EQ(chunks[1]["step"], 1);
  std::string text =
      std::regex_replace(AllText(t), std::regex(R"(^\S+ )", std::regex::multiline), "");
  EXPECT_EQ(text,
            "##[step] 0 Build\ncompiling\n##[group]details\na\nb\n##[endgroup]\n"
            "##[step] 1 Test\nok\n");
}

TEST(LogUploaderTest, DebugLinesOnlyWhenEnabled) {
  FakeTransport t;
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  LogUploaderOptions o = Fast();
  o.debug = true;
  LogUploader up(client, 7, "L", o);
  up.OnDebug(kJob, 0, "shown");
  ASSERT_TRUE(up.Finish(milliseconds(5000)).ok());
  EXPECT_NE(AllText(t).find(" ##[debug]shown\n"), std::string::npos);
}

TEST(LogUploaderTest, AnnotationsGoWithTheLogsAndAsALine) {
  FakeTransport t;
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  LogUploader up(client, 7, "L", Fast());
  engine::Annotation a;
  a.level = "error";
  a.message = "boom";
  a.file = "src/x.cc";
  a.line = 3;
  up.OnAnnotation(kJob, 2, a);
  ASSERT_TRUE(up.Finish(milliseconds(5000)).ok());
  nlohmann::json body = Body(t.RequestsTo("/logs").at(0));
  ASSERT_EQ(body["annotations"].size(), 1u);
  EXPECT_EQ(body["annotations"][0]["step"], 2);
  EXPECT_EQ(body["annotations"][0]["level"], "error");
  EXPECT_EQ(body["annotations"][0]["file"], "src/x.cc");
  EXPECT_EQ(body["annotations"][0]["line"], 3);
  EXPECT_NE(AllText(t).find(" ##[error]boom\n"), std::string::npos);
}

TEST(LogUploaderTest, StepTransitions) {
  FakeTransport t;
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  int64_t now_ms = 1'000'000;
  LogUploaderOptions o = Fast();
  o.now = [&now_ms] { return std::chrono::system_clock::time_point(milliseconds(now_ms)); };
  LogUploader up(client, 7, "L", o);
  up.OnStepStarted(kJob, 0, "Pre Set up cache");
  engine::StepReport pre;
  pre.index = 0;
  pre.stage = "pre";
  pre.name = "Pre Set up cache";
  up.OnStepFinished(kJob, pre);
  up.OnStepStarted(kJob, 0, "Build");
  now_ms += 1500;
  engine::StepReport build;
  build.index = 0;
  build.name = "Build";
  build.outcome = engine::Conclusion::kFailure;
  build.conclusion = engine::Conclusion::kSuccess;
  build.error = "exit code 2";
  up.OnStepFinished(kJob, build);
  engine::StepReport skipped;
  skipped.index = 1;
  skipped.name = "Deploy";
  skipped.outcome = skipped.conclusion = engine::Conclusion::kSkipped;
  up.OnStepFinished(kJob, skipped);
  ASSERT_TRUE(up.Finish(milliseconds(5000)).ok());
  std::vector<nlohmann::json> steps;
  for (const HttpRequest& r : t.RequestsTo("/steps")) {
    nlohmann::json body = Body(r);
    for (const auto& s : body["steps"]) steps.push_back(s);
  }
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[0]["status"], "in_progress");
  EXPECT_EQ(steps[0]["stage"], "pre");
  EXPECT_EQ(steps[1]["status"], "completed");
  EXPECT_EQ(steps[1]["stage"], "pre");
  EXPECT_EQ(steps[2]["status"], "in_progress");
  EXPECT_EQ(steps[2]["stage"], "");
  EXPECT_EQ(steps[2]["started_at"], 1'000'000);
  EXPECT_EQ(steps[3]["conclusion"], "success");
  EXPECT_EQ(steps[3]["outcome"], "failure");
  EXPECT_EQ(steps[3]["error"], "exit code 2");
  EXPECT_EQ(steps[3]["started_at"], 1'000'000);
  EXPECT_EQ(steps[3]["completed_at"], 1'001'500);
  EXPECT_EQ(steps[4]["name"], "Deploy");
  EXPECT_EQ(steps[4]["conclusion"], "skipped");
  EXPECT_EQ(steps[4]["started_at"], steps[4]["completed_at"]);
  // The logs of a batch go before its step transitions.
  std::vector<HttpRequest> all = t.requests();
  EXPECT_NE(all.front().path.find("/logs"), std::string::npos);
}

TEST(LogUploaderTest, AFailedSendIsRetriedWithTheSameSeqs) {
  std::atomic<int> calls{0};
  FakeTransport t([&](const HttpRequest& r) -> core::Result<HttpReply> {
    // Every other logs call fails.
    if (r.path.find("/logs") != std::string::npos && calls.fetch_add(1) % 2 == 0) {
      return FakeTransport::Reply(503);
    }
    return FakeTransport::Reply(200, "{}");
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 1));
  LogUploaderOptions o = Fast();
  o.flush_after = milliseconds(5);
  o.batch_bytes = 256;
  LogUploader up(client, 7, "L", o);
  for (int i = 0; i < 100; ++i) {
    up.OnLogLine(kJob, i / 10, "line " + std::to_string(i));
    if (i % 7 == 0) std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_TRUE(up.Finish(milliseconds(10000)).ok());
  // Each attempt repeats the previous failed one exactly; what succeeded is 1..N in order.
  std::vector<HttpRequest> logs = t.RequestsTo("/logs");
  std::vector<int64_t> delivered;
  std::map<int64_t, std::string> data;
  for (size_t i = 0; i < logs.size(); ++i) {
    nlohmann::json body = Body(logs[i]);
    if (i % 2 == 0) {
      ASSERT_LT(i + 1, logs.size());
      EXPECT_EQ(body, Body(logs[i + 1])) << "the retry of attempt " << i << " differs";
      continue;
    }
    for (const auto& c : body["chunks"]) {
      delivered.push_back(c["seq"]);
      data[c["seq"]] = c["data"];
    }
  }
  ASSERT_FALSE(delivered.empty());
  for (size_t i = 0; i < delivered.size(); ++i) EXPECT_EQ(delivered[i], int64_t(i + 1));
  std::string text;
  for (const auto& [seq, d] : data) text += d;
  for (int i = 0; i < 100; ++i) {
    EXPECT_NE(text.find(" line " + std::to_string(i) + "\n"), std::string::npos) << i;
  }
}

TEST(LogUploaderTest, BackPressureBlocksTheWriterWhileTooMuchIsUnsent) {
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  FakeTransport t([&](const HttpRequest&) -> core::Result<HttpReply> {
    std::unique_lock lock(gate_mu);
    gate_cv.wait(lock, [&] { return open; });
    return FakeTransport::Reply(200, "{}");
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  LogUploaderOptions o = Fast();
  o.flush_after = milliseconds(1);
  o.batch_bytes = 1024;
  o.max_memory_bytes = size_t{8} * 1024;
  LogUploader up(client, 7, "L", o);
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < 1000; ++i) {
      up.OnLogLine(kJob, 0, std::string(100, 'y'));  // ~125 bytes with the timestamp
      ++written;
    }
  });
  std::this_thread::sleep_for(milliseconds(300));
  int stalled_at = written.load();
  // Stuck on the unsent bound: at most 8 KiB (plus one line) held, i.e. ~66 lines.
  EXPECT_LE(stalled_at, 8 * 1024 / 125 + 1);
  EXPECT_GT(stalled_at, 0);
  {
    std::lock_guard lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  writer.join();
  ASSERT_TRUE(up.Finish(milliseconds(10000)).ok());
  EXPECT_EQ(AllText(t).size(), 1000u * 126);
}

TEST(LogUploaderTest, LeaseLostDropsEverythingAndCallsBack) {
  FakeTransport t([](const HttpRequest&) {
    return FakeTransport::Reply(409, R"({"error":{"code":"lease_lost","message":"gone"}})");
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr));
  std::atomic<int> lost_calls{0};
  LogUploader up(client, 7, "L", Fast(), [&] { ++lost_calls; });
  up.OnLogLine(kJob, 0, "a");
  ASSERT_TRUE(t.WaitFor([](const auto& rs) { return !rs.empty(); }));
  for (int i = 0; i < 50 && !up.lease_lost(); ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(up.lease_lost());
  up.OnLogLine(kJob, 0, "b");  // dropped, never blocks
  core::Status st = up.Finish(milliseconds(5000));
  EXPECT_TRUE(IsLeaseLost(st)) << st.ToString();
  EXPECT_EQ(lost_calls.load(), 1);
  EXPECT_EQ(t.requests().size(), 1u);
}

TEST(LogUploaderTest, FinishGivesUpAfterItsTimeout) {
  FakeTransport t([](const HttpRequest&) { return FakeTransport::Reply(503); });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 1));
  LogUploader up(client, 7, "L", Fast());
  up.OnLogLine(kJob, 0, "a");
  auto started = Clock::now();
  core::Status st = up.Finish(milliseconds(300));
  EXPECT_EQ(st.code(), core::StatusCode::kUnavailable);
  EXPECT_LT(Clock::now() - started, milliseconds(2000));
}

}  // namespace
}  // namespace gantry::executor

namespace gantry::executor {
namespace {

TEST(LogUploaderReportTest, AReportIsRetriedUntilTakenAndFinishWaitsForIt) {
  std::atomic<int> report_calls{0};
  FakeTransport t([&](const HttpRequest& r) {
    if (r.path.find("/reports") != std::string::npos && ++report_calls < 3) {
      return FakeTransport::Reply(503);
    }
    return FakeTransport::Reply(201, "{}");
  });
  ProtocolClient client(t, "tok", testing::RecordingPolicy(nullptr));
  LogUploaderOptions o;
  o.retry_wait = std::chrono::milliseconds(10);
  LogUploader up(client, 7, "L", o);
  up.OnReport(engine::JobKey{"test", 0, "test"}, 2, "coverage",
              R"({"format":"lcov","lines_total":2,"lines_covered":1,"percent":50,"files":[]})");
  ASSERT_TRUE(up.Finish(std::chrono::milliseconds(5000)).ok());
  std::vector<HttpRequest> sent = t.RequestsTo("/reports");
  ASSERT_GE(sent.size(), 3u);
  EXPECT_EQ(sent.back().path, "/api/v1/executor/jobs/7/reports");
  nlohmann::json body = testing::Body(sent.back());
  EXPECT_EQ(body["lease_id"], "L");
  EXPECT_EQ(body["kind"], "coverage");
  EXPECT_EQ(body["step"], 2);
  EXPECT_EQ(body["report"]["lines_covered"], 1);
  EXPECT_EQ(up.stats().reports_sent, 1u);
}

TEST(LogUploaderReportTest, AReportTheServerRefusesIsDroppedAndFinishSaysSo) {
  FakeTransport t([](const HttpRequest& r) {
    if (r.path.find("/reports") != std::string::npos) {
      return FakeTransport::Reply(
          400, R"({"error":{"code":"invalid_report","message":"lines_total: not a number"}})");
    }
    return FakeTransport::Reply(200, "{}");
  });
  ProtocolClient client(t, "tok", testing::RecordingPolicy(nullptr));
  LogUploader up(client, 7, "L");
  up.OnReport(engine::JobKey{"test", 0, "test"}, 1, "tests", "{}");
  core::Status st = up.Finish(std::chrono::milliseconds(5000));
  EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(up.stats().reports_dropped, 1u);
}

}  // namespace
}  // namespace gantry::executor
