// The LogUploader when the server does not answer: what waits goes to the spool file, memory
// stays bounded, and everything arrives in order, once, when the server is back.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "executor/log_uploader.h"
#include "executor/test_util.h"

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::Body;
using testing::FakeTransport;
using testing::RecordingPolicy;
using Clock = std::chrono::steady_clock;

const engine::JobKey kJob{"test", 0, "test"};

/// The server's side of the logs and steps calls, as store AppendLogs does it: a chunk whose
/// seq it has is ignored, a new one goes at the end of the log in the order chunks arrive. It
/// "is down" (the connection is refused) until Up(); `lose_reply` stores the next logs call
/// but answers 503, as when a reply is lost and the executor sends the batch again.
class FakeServer {
 public:
  core::Result<HttpReply> Handle(const HttpRequest& r) {
    if (milliseconds d = delay_.load(); d.count() > 0) std::this_thread::sleep_for(d);
    std::lock_guard lock(mu_);
    if (!up_) return core::Status::Unavailable("connection refused");
    nlohmann::json body = Body(r);
    if (r.path.find("/logs") != std::string::npos) {
      for (const auto& c : body["chunks"]) {
        int64_t seq = c["seq"];
        ++received_;
        if (!seqs_.insert(seq).second) {
          ++duplicates_;
          continue;
        }
        arrival_.push_back(seq);
        log_ += c["data"].get<std::string>();
      }
      for (const auto& a : body["annotations"]) annotations_.push_back(a["message"]);
      if (lose_reply_) {
        lose_reply_ = false;
        return FakeTransport::Reply(503);
      }
    } else if (r.path.find("/steps") != std::string::npos) {
      for (const auto& s : body["steps"]) steps_.push_back(s);
    }
    return FakeTransport::Reply(200, "{}");
  }
  void Up() {
    std::lock_guard lock(mu_);
    up_ = true;
  }
  void LoseNextReply() {
    std::lock_guard lock(mu_);
    lose_reply_ = true;
  }
  void SetDelay(milliseconds d) { delay_ = d; }

  // What the server stored.
  std::string log() const {
    std::lock_guard lock(mu_);
    return log_;
  }
  std::vector<int64_t> arrival() const {
    std::lock_guard lock(mu_);
    return arrival_;
  }
  std::vector<nlohmann::json> steps() const {
    std::lock_guard lock(mu_);
    return steps_;
  }
  std::vector<std::string> annotations() const {
    std::lock_guard lock(mu_);
    return annotations_;
  }
  int duplicates() const {
    std::lock_guard lock(mu_);
    return duplicates_;
  }

 private:
  mutable std::mutex mu_;
  bool up_ = false;
  bool lose_reply_ = false;
  std::atomic<milliseconds> delay_{milliseconds(0)};
  std::set<int64_t> seqs_;
  std::vector<int64_t> arrival_;
  std::string log_;
  std::vector<nlohmann::json> steps_;
  std::vector<std::string> annotations_;
  int received_ = 0;
  int duplicates_ = 0;
};

class LogUploaderSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-uploader-spool-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string SpoolPath() const { return dir_ + "/log.spool"; }
  LogUploaderOptions Options() {
    LogUploaderOptions o;
    o.flush_after = milliseconds(20);
    o.batch_bytes = size_t{16} * 1024;
    o.max_memory_bytes = size_t{64} * 1024;
    o.spool_path = SpoolPath();
    o.retry_wait = milliseconds(10);
    o.max_retry_wait = milliseconds(50);
    // Fixed timestamps: every line is "<24 characters> <text>\n".
    o.now = [] { return std::chrono::system_clock::time_point(milliseconds(1'700'000'000'000)); };
    return o;
  }
  std::string dir_;
};

// Every line without its timestamp.
std::vector<std::string> Lines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) out.push_back(line.substr(line.find(' ') + 1));
  return out;
}

TEST_F(LogUploaderSpoolTest, ServerDownWhile10000LinesAreWrittenLosesNothingWithinTheMemoryBound) {
  FakeServer server;
  FakeTransport t([&](const HttpRequest& r) { return server.Handle(r); });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 2));
  LogUploaderOptions o = Options();
  LogUploader up(client, 7, "L", o);
  constexpr int kLines = 10000;
  auto started = Clock::now();
  std::vector<std::string> expected;
  for (int i = 0; i < kLines; ++i) {
    int step = i / 2500;
    if (i % 2500 == 0) {
      up.OnStepStarted(kJob, step, "Step " + std::to_string(step));
      expected.push_back("##[step] " + std::to_string(step) + " Step " + std::to_string(step));
    }
    std::string line = "line " + std::to_string(i) + " of the build output, padded a little";
    up.OnLogLine(kJob, step, line);
    expected.push_back(line);
    if (i == 5000) {
      engine::Annotation a;
      a.level = "warning";
      a.message = "halfway";
      up.OnAnnotation(kJob, step, a);
      expected.emplace_back("##[warning]halfway");
    }
  }
  // The writer was never held up by the server being down: the lines went to the spool.
  auto wrote_in = Clock::now() - started;
  EXPECT_LT(wrote_in, milliseconds(1500));
  EXPECT_TRUE(fs::exists(SpoolPath()));
  LogUploaderStats during = up.stats();
  EXPECT_GT(during.spooled_bytes, size_t{500} * 1024);  // ~85 bytes x 10000, most of it
  std::this_thread::sleep_for(milliseconds(2000));      // the server stays down 2 s
  server.LoseNextReply();  // the first batch it takes is sent again: no duplicate stored
  server.Up();
  core::Status st = up.Finish(DrainLimits{milliseconds(10000), milliseconds(30000)});
  ASSERT_TRUE(st.ok()) << st.ToString();

  // Every line, in order, once; seqs 1..N in the order they arrived.
  EXPECT_EQ(Lines(server.log()), expected);
  std::vector<int64_t> arrival = server.arrival();
  ASSERT_FALSE(arrival.empty());
  for (size_t i = 0; i < arrival.size(); ++i) ASSERT_EQ(arrival[i], int64_t(i + 1)) << i;
  EXPECT_GE(server.duplicates(), 1);  // the resent batch, which the server dropped
  std::vector<nlohmann::json> steps = server.steps();
  ASSERT_EQ(steps.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(steps[i]["index"], i);
  EXPECT_EQ(server.annotations(), std::vector<std::string>{"halfway"});
  // Memory stayed within its bound; the spool is gone once all was delivered.
  LogUploaderStats stats = up.stats();
  EXPECT_LE(stats.peak_memory_bytes, o.max_memory_bytes);
  EXPECT_GT(stats.peak_spool_bytes, size_t{500} * 1024);
  EXPECT_EQ(stats.dropped_bytes, 0u);
  EXPECT_FALSE(fs::exists(SpoolPath()));
}

TEST_F(LogUploaderSpoolTest, AFullSpoolHoldsTheWritersUntilTheServerTakesIt) {
  FakeServer server;
  FakeTransport t([&](const HttpRequest& r) { return server.Handle(r); });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 1));
  LogUploaderOptions o = Options();
  o.max_memory_bytes = size_t{8} * 1024;
  o.batch_bytes = size_t{4} * 1024;
  o.max_spool_bytes = size_t{32} * 1024;
  LogUploader up(client, 7, "L", o);
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      up.OnLogLine(kJob, 0, "line " + std::to_string(i) + std::string(70, '.'));
      ++written;
    }
  });
  std::this_thread::sleep_for(milliseconds(500));
  // ~100 bytes a line: memory (8 KiB) and spool (32 KiB) hold ~400 lines, then the writer waits.
  int held = written.load();
  EXPECT_GT(held, 300);
  EXPECT_LT(held, 600);
  server.Up();
  writer.join();
  ASSERT_TRUE(up.Finish(milliseconds(10000)).ok());
  std::vector<std::string> lines = Lines(server.log());
  ASSERT_EQ(lines.size(), 2000u);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(lines[i], "line " + std::to_string(i) + std::string(70, '.'));
  }
  EXPECT_LE(up.stats().peak_spool_bytes, o.max_spool_bytes + o.max_memory_bytes + 1024);
  EXPECT_LE(up.stats().peak_memory_bytes, o.max_memory_bytes);
}

TEST_F(LogUploaderSpoolTest, NothingSecretIsWrittenToTheSpool) {
  FakeServer server;
  FakeTransport t([&](const HttpRequest& r) { return server.Handle(r); });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 1));
  core::Masker masker;
  masker.Add("hunter2");
  LogUploaderOptions o = Options();
  o.max_memory_bytes = 1024;
  o.batch_bytes = 256;
  o.masker = &masker;
  LogUploader up(client, 7, "L", o);
  // A line that some path forgot to mask.
  for (int i = 0; i < 100; ++i) up.OnLogLine(kJob, 0, "password hunter2 line " + std::to_string(i));
  ASSERT_TRUE(fs::exists(SpoolPath()));
  std::ifstream in(SpoolPath(), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_NE(text.find("password *** line 9"), std::string::npos) << text;
  server.Up();
  ASSERT_TRUE(up.Finish(milliseconds(10000)).ok());
  EXPECT_EQ(Lines(server.log()).size(), 100u);
}

TEST_F(LogUploaderSpoolTest, FinishWaitsAsLongAsTheServerTakesBatches) {
  FakeServer server;
  FakeTransport t([&](const HttpRequest& r) { return server.Handle(r); });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 1));
  LogUploaderOptions o = Options();
  o.batch_bytes = 2048;
  LogUploader up(client, 7, "L", o);
  for (int i = 0; i < 1000; ++i) up.OnLogLine(kJob, 0, "line " + std::to_string(i));
  // A slow server: each call takes 40 ms, ~20 batches take ~1 s, more than the idle limit.
  server.SetDelay(milliseconds(40));
  server.Up();
  auto started = Clock::now();
  core::Status st = up.Finish(DrainLimits{milliseconds(300), milliseconds(0)});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_GT(Clock::now() - started, milliseconds(300));
  EXPECT_EQ(Lines(server.log()).size(), 1000u);
}

TEST_F(LogUploaderSpoolTest, ABatchTheServerRefusesIsDroppedAndTheRestGoesOn) {
  std::atomic<int> logs_calls{0};
  FakeTransport t([&](const HttpRequest& r) -> core::Result<HttpReply> {
    if (r.path.find("/logs") != std::string::npos && logs_calls.fetch_add(1) == 0) {
      return FakeTransport::Reply(400, R"({"error":{"code":"invalid_type","message":"no"}})");
    }
    return FakeTransport::Reply(200, "{}");
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 3));
  std::vector<std::string> messages;
  LogUploaderOptions o = Options();
  o.log = [&](std::string_view m) { messages.emplace_back(m); };
  LogUploader up(client, 7, "L", o);
  up.OnLogLine(kJob, 0, "refused");
  ASSERT_TRUE(t.WaitFor([](const auto& rs) { return !rs.empty(); }));
  std::this_thread::sleep_for(milliseconds(50));
  up.OnLogLine(kJob, 0, "taken");
  core::Status st = up.Finish(milliseconds(5000));
  EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("bytes of log were not delivered"), std::string::npos);
  std::vector<HttpRequest> logs = t.RequestsTo("/logs");
  ASSERT_EQ(logs.size(), 2u);  // the refused batch was not sent again
  EXPECT_EQ(Body(logs[1])["chunks"][0]["seq"], 2);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("job 7: the server refused"), std::string::npos) << messages[0];
}

}  // namespace
}  // namespace gantry::executor
