#pragma once

// Turns the events of one running job into executor-protocol traffic: log lines, annotations
// and step transitions, batched and sent in order by a thread of its own.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/run_observer.h"
#include "executor/client.h"

namespace gantry::executor {

/// How a LogUploader batches.
struct LogUploaderOptions {
  /// A line is sent at most this long after it was written (while the server answers).
  std::chrono::milliseconds flush_after{250};
  /// A batch is sent as soon as this much log text is waiting; no batch carries much more.
  size_t batch_bytes = size_t{64} * 1024;
  /// Writers block while more than this is unsent (back-pressure on a slow server).
  size_t max_unsent_bytes = 4u << 20;
  /// Pass ::debug:: messages on as "##[debug]" lines.
  bool debug = false;
  /// Wait after a send failed (the client's own retries used up), doubling up to 30 s.
  std::chrono::milliseconds retry_wait{1000};
  /// The clock of the line timestamps.
  std::function<std::chrono::system_clock::time_point()> now = std::chrono::system_clock::now;
};

/// The RunObserver of one job: every line becomes "<RFC 3339 ms timestamp> <text>\n" in a
/// chunk with a sequence number (from 1); step starts also write "##[step] <index> <name>".
/// Thread-safe (several step threads write at once). A send that fails is retried with the
/// same chunks and seqs; a lease_lost answer drops everything and calls `on_lease_lost` once.
class LogUploader : public engine::RunObserver {
 public:
  /// `client` must outlive the uploader. `on_lease_lost` runs on the sender thread.
  LogUploader(ProtocolClient& client, int64_t job, std::string lease_id,
              LogUploaderOptions options = {}, std::function<void()> on_lease_lost = nullptr);
  /// Abandons what is unsent (call Finish first to deliver it) and joins the sender.
  ~LogUploader() override;
  LogUploader(const LogUploader&) = delete;
  LogUploader& operator=(const LogUploader&) = delete;

  void OnStepStarted(const engine::JobKey& job, int index, const std::string& name) override;
  void OnLogLine(const engine::JobKey& job, int step, std::string_view line) override;
  void OnGroup(const engine::JobKey& job, int step, bool start, std::string_view title) override;
  void OnDebug(const engine::JobKey& job, int step, std::string_view message) override;
  void OnAnnotation(const engine::JobKey& job, int step, const engine::Annotation& a) override;
  void OnStepFinished(const engine::JobKey& job, const engine::StepReport& step) override;
  /// Keeps the reports of a called workflow's jobs ("call/hello"), which the server shows as
  /// jobs of their own; the job's own report is the engine's return value.
  void OnJobFinished(const engine::JobReport& job) override;
  /// The called workflows' job reports seen so far.
  std::vector<engine::JobReport> nested_jobs() const;

  /// Writes one line of the executor's own (set-up messages; step -1 for the job).
  void WriteLine(int step, std::string_view text);

  /// Sends everything written so far, waiting at most `timeout`, and stops the sender; later
  /// writes are dropped. NotFound (IsLeaseLost) when the lease was lost, Unavailable when
  /// something could not be delivered in time.
  core::Status Finish(std::chrono::milliseconds timeout);

  /// Stops sending at once, dropping what is unsent (the job is being abandoned).
  void Abandon();

  bool lease_lost() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Item {
    enum class Kind { kChunk, kStep, kAnnotation } kind = Kind::kChunk;
    Clock::time_point queued;
    LogChunk chunk;  // seq assigned when the item joins a batch
    StepUpdate step;
    StepAnnotation annotation;
    size_t bytes = 0;
  };
  struct Batch {
    std::vector<LogChunk> chunks;
    std::vector<StepAnnotation> annotations;
    std::vector<StepUpdate> steps;
    size_t bytes = 0;
    bool logs_sent = false;
  };

  /// Appends timestamped lines (one per '\n'-separated part of `text`) to step's chunk.
  void AppendLines(std::unique_lock<std::mutex>& lock, int step, std::string_view text);
  void Enqueue(std::unique_lock<std::mutex>& lock, Item item);
  /// Blocks while the unsent bytes are over the bound (and sending goes on).
  void WaitForRoom(std::unique_lock<std::mutex>& lock, size_t more);
  bool Dropping() const { return lost_ || abandoned_ || finished_; }  // REQUIRES(mu_)
  int64_t NowMs() const;

  void SenderLoop();
  Batch TakeBatch();                     // REQUIRES(mu_)
  core::Status SendBatch(Batch& batch);  // without mu_

  ProtocolClient& client_;
  const int64_t job_;
  const std::string lease_id_;
  const LogUploaderOptions options_;
  std::function<void()> on_lease_lost_;
  std::vector<engine::JobReport> nested_;  // GUARDED_BY(mu_)

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // the sender waits for items, time or stop
  std::condition_variable space_cv_;  // writers wait for room; Finish waits for the end
  std::deque<Item> queue_;            // GUARDED_BY(mu_)
  size_t queued_log_bytes_ = 0;       // GUARDED_BY(mu_)
  size_t unsent_bytes_ = 0;           // GUARDED_BY(mu_): queued + in flight
  int64_t next_seq_ = 1;              // GUARDED_BY(mu_)
  bool closing_ = false;              // GUARDED_BY(mu_): Finish was called
  bool finished_ = false;             // GUARDED_BY(mu_): the sender ended
  bool lost_ = false;                 // GUARDED_BY(mu_)
  bool abandoned_ = false;            // GUARDED_BY(mu_)
  core::Status last_error_;           // GUARDED_BY(mu_)
  // Pre stages are numbered from 0 like steps, and OnStepStarted has no stage: a start named
  // "Pre ..." with the next pre index, before any step ran, is taken as a pre stage.
  int next_pre_index_ = 0;                                  // GUARDED_BY(mu_)
  bool main_seen_ = false;                                  // GUARDED_BY(mu_)
  std::map<std::pair<int, std::string>, int64_t> started_;  // GUARDED_BY(mu_): start ms
  std::thread sender_;
};

}  // namespace gantry::executor
