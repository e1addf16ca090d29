#pragma once

// Turns the events of one running job into executor-protocol traffic: log lines, annotations
// and step transitions, batched and sent in order by a thread of its own.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/masker.h"
#include "core/status.h"
#include "engine/run_observer.h"
#include "executor/client.h"
#include "executor/log_spool.h"

namespace gantry::executor {

/// How a LogUploader batches, and where it keeps what the server has not taken yet.
struct LogUploaderOptions {
  /// A line is sent at most this long after it was written (while the server answers).
  std::chrono::milliseconds flush_after{250};
  /// A batch is sent as soon as this much log text is waiting; no batch carries much more.
  size_t batch_bytes = size_t{64} * 1024;
  /// Unsent log held in memory (waiting, plus the batch in flight; at least batch_bytes).
  /// Past it, what waits goes to the spool file; without one, writers block (back-pressure
  /// on a slow server). Exceeded only by a single item bigger than what is left of it.
  size_t max_memory_bytes = size_t{256} * 1024;
  /// The spool file: unsent log past max_memory_bytes, sent in order once the server answers
  /// (see LogSpool). "" = none. Removed once everything in it was delivered.
  std::string spool_path;
  /// Writers block while the spool holds more than this (back-pressure on a server that does
  /// not keep up).
  size_t max_spool_bytes = size_t{1} << 30;
  /// Masks what goes to the spool (may be nullptr; the engine masks lines before they come,
  /// this makes sure nothing secret reaches the disk even if a path forgot). Must outlive the
  /// uploader.
  const core::Masker* masker = nullptr;
  /// Pass ::debug:: messages on as "##[debug]" lines.
  bool debug = false;
  /// Wait after a send failed (the client's own retries used up), doubling up to max_retry_wait.
  std::chrono::milliseconds retry_wait{1000};
  std::chrono::milliseconds max_retry_wait{10000};
  /// The clock of the line timestamps.
  std::function<std::chrono::system_clock::time_point()> now = std::chrono::system_clock::now;
  /// Receives the uploader's own messages (a spool that could not be written, a batch the
  /// server refused); unset: dropped. Called from the writers' or the sender's thread.
  std::function<void(std::string_view)> log;
};

/// How long LogUploader::Finish waits for the server to take what is left.
struct DrainLimits {
  /// Gives up when no batch was acknowledged for this long (counted from the Finish call).
  std::chrono::milliseconds idle{60000};
  /// Gives up after this long in any case (0 = no bound but `idle`).
  std::chrono::milliseconds total{0};
};

/// What a LogUploader did, for tests and the executor's messages.
struct LogUploaderStats {
  size_t peak_memory_bytes = 0;  // the most unsent log held in memory at once
  size_t spooled_bytes = 0;      // log text written to the spool, in all
  size_t peak_spool_bytes = 0;   // the largest the spool file was
  size_t dropped_bytes = 0;      // dropped: refused by the server (a 4xx), or unreadable
  size_t reports_sent = 0;       // reports the server took
  size_t reports_dropped = 0;    // reports the server refused (a 4xx)
};

/// The RunObserver of one job: every line becomes "<RFC 3339 ms timestamp> <text>\n" in a
/// chunk with a sequence number (from 1); step starts also write "##[step] <index> <name>".
/// Thread-safe (several step threads write at once). A send that fails is retried, with
/// backoff, with the same chunks and seqs until the server takes it (the server ignores seqs
/// it has); meanwhile what is written waits in memory up to max_memory_bytes, then in the spool
/// file, and is sent in order, seqs unchanged, once the server answers. A batch the server
/// refuses (a 4xx) is dropped; a lease_lost answer drops everything and calls `on_lease_lost`
/// once.
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
  /// Queues a report for the server's `reports` call: sent by the sender thread, retried like
  /// log batches until the server takes it (or refuses it with a 4xx); Finish waits for it.
  void OnReport(const engine::JobKey& job, int step, std::string_view kind,
                std::string_view json) override;
  /// Keeps the reports of a called workflow's jobs ("call/hello"), which the server shows as
  /// jobs of their own; the job's own report is the engine's return value.
  void OnJobFinished(const engine::JobReport& job) override;
  /// The called workflows' job reports seen so far.
  std::vector<engine::JobReport> nested_jobs() const;

  /// Writes one line of the executor's own (set-up messages; step -1 for the job).
  void WriteLine(int step, std::string_view text);

  /// Sends everything written so far (the spool included) within `limits`, and stops the
  /// sender; later writes are dropped. The spool file is removed when all was delivered.
  /// NotFound (IsLeaseLost) when the lease was lost, Unavailable when something could not be
  /// delivered in time, InvalidArgument when the server refused some of it.
  core::Status Finish(DrainLimits limits);
  /// Finish with `timeout` as both limits.
  core::Status Finish(std::chrono::milliseconds timeout) { return Finish({timeout, timeout}); }

  /// Stops sending at once, dropping what is unsent (the job is being abandoned).
  void Abandon();

  bool lease_lost() const;
  LogUploaderStats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Item : LogItem {
    Clock::time_point queued;
    size_t bytes = 0;  // LogItemBytes, kept up to date as lines join a chunk
  };
  struct PendingReport {
    std::string kind;
    int step = 0;
    std::string json;
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
  /// Queues `item` (call MakeRoom first).
  void Enqueue(Item item);  // REQUIRES(mu_)
  /// Makes room for `more` bytes in memory: moves what waits to the spool, or blocks while
  /// the bounds are reached (and sending goes on). Check Dropping() after it.
  void MakeRoom(std::unique_lock<std::mutex>& lock, size_t more);
  /// Moves queue_ to the spool, its chunks getting their seqs; false when that failed.
  bool Spill();                                                       // REQUIRES(mu_)
  bool Dropping() const { return lost_ || abandoned_ || finished_; }  // REQUIRES(mu_)
  int64_t NowMs() const;
  void NotePeak();  // REQUIRES(mu_)
  void Log(const std::string& line) const;

  void SenderLoop();
  Batch TakeBatch();                     // REQUIRES(mu_): from queue_
  std::optional<Batch> TakeSpooled();    // REQUIRES(mu_): from the spool
  core::Status SendBatch(Batch& batch);  // without mu_
  /// Sends the first of reports_ (called with mu_ held, unlocks it around the call); false
  /// when the lease was lost.
  bool SendFirstReport(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds* wait);

  ProtocolClient& client_;
  const int64_t job_;
  const std::string lease_id_;
  const LogUploaderOptions options_;
  std::function<void()> on_lease_lost_;
  std::vector<engine::JobReport> nested_;  // GUARDED_BY(mu_)

  mutable std::mutex mu_;
  std::condition_variable work_cv_;    // the sender waits for items, time or stop
  std::condition_variable space_cv_;   // writers wait for room; Finish waits for the end
  std::deque<Item> queue_;             // GUARDED_BY(mu_)
  std::deque<PendingReport> reports_;  // GUARDED_BY(mu_): not yet taken by the server
  size_t queue_bytes_ = 0;             // GUARDED_BY(mu_): of queue_
  size_t queued_log_bytes_ = 0;        // GUARDED_BY(mu_): of queue_'s chunks
  size_t in_flight_bytes_ = 0;         // GUARDED_BY(mu_): of the batch being sent
  std::unique_ptr<LogSpool> spool_;    // GUARDED_BY(mu_): nullptr without spool_path
  bool spool_failed_ = false;          // GUARDED_BY(mu_): a write failed; writers block instead
  int64_t next_seq_ = 1;               // GUARDED_BY(mu_)
  int64_t next_annotation_seq_ = 1;    // GUARDED_BY(mu_)
  bool closing_ = false;               // GUARDED_BY(mu_): Finish was called
  bool finished_ = false;              // GUARDED_BY(mu_): the sender ended
  bool lost_ = false;                  // GUARDED_BY(mu_)
  bool abandoned_ = false;             // GUARDED_BY(mu_)
  core::Status last_error_;            // GUARDED_BY(mu_)
  Clock::time_point last_ack_;         // GUARDED_BY(mu_): the last batch the server took
  LogUploaderStats stats_;             // GUARDED_BY(mu_)
  // Pre stages are numbered from 0 like steps, and OnStepStarted has no stage: a start named
  // "Pre ..." with the next pre index, before any step ran, is taken as a pre stage.
  int next_pre_index_ = 0;                                  // GUARDED_BY(mu_)
  bool main_seen_ = false;                                  // GUARDED_BY(mu_)
  std::map<std::pair<int, std::string>, int64_t> started_;  // GUARDED_BY(mu_): start ms
  std::thread sender_;
};

}  // namespace gantry::executor
