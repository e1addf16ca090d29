#include "executor/log_uploader.h"

#include <algorithm>

namespace gantry::executor {
LogUploader::LogUploader(ProtocolClient& client, int64_t job, std::string lease_id,
                         LogUploaderOptions options, std::function<void()> on_lease_lost)
    : client_(client),
      job_(job),
      lease_id_(std::move(lease_id)),
      options_(std::move(options)),
      on_lease_lost_(std::move(on_lease_lost)) {
  if (!options_.spool_path.empty()) spool_ = std::make_unique<LogSpool>(options_.spool_path);
  sender_ = std::thread([this] { SenderLoop(); });
}

LogUploader::~LogUploader() {
  Abandon();
  if (sender_.joinable()) sender_.join();
}

int64_t LogUploader::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(options_.now().time_since_epoch())
      .count();
}

void LogUploader::OnStepStarted(const engine::JobKey& /*job*/, int index, const std::string& name) {
  std::unique_lock lock(mu_);
  if (Dropping()) return;
  std::string stage;
  if (!main_seen_ && index == next_pre_index_ && name.rfind("Pre ", 0) == 0) {
    stage = "pre";
  } else {
    main_seen_ = true;
  }
  AppendLines(lock, index, "##[step] " + std::to_string(index) + " " + name);
  Item item;
  item.kind = Item::Kind::kStep;
  item.step.index = index;
  item.step.stage = stage;
  item.step.name = name;
  item.step.started_at_ms = NowMs();
  item.bytes = LogItemBytes(item);
  started_[{index, stage}] = item.step.started_at_ms;
  MakeRoom(lock, item.bytes);
  if (Dropping()) return;
  Enqueue(std::move(item));
}

void LogUploader::OnLogLine(const engine::JobKey& /*job*/, int step, std::string_view line) {
  std::unique_lock lock(mu_);
  AppendLines(lock, step, line);
}

void LogUploader::OnGroup(const engine::JobKey& /*job*/, int step, bool start,
                          std::string_view title) {
  std::unique_lock lock(mu_);
  AppendLines(lock, step, start ? "##[group]" + std::string(title) : std::string("##[endgroup]"));
}

void LogUploader::OnDebug(const engine::JobKey& /*job*/, int step, std::string_view message) {
  if (!options_.debug) return;
  std::unique_lock lock(mu_);
  AppendLines(lock, step, "##[debug]" + std::string(message));
}

void LogUploader::OnAnnotation(const engine::JobKey& /*job*/, int step,
                               const engine::Annotation& a) {
  std::unique_lock lock(mu_);
  if (Dropping()) return;
  AppendLines(lock, step, "##[" + a.level + "]" + a.message);
  Item item;
  item.kind = Item::Kind::kAnnotation;
  item.annotation.step = step;
  item.annotation.seq = next_annotation_seq_++;
  item.annotation.annotation = a;
  item.bytes = LogItemBytes(item);
  MakeRoom(lock, item.bytes);
  if (Dropping()) return;
  Enqueue(std::move(item));
}

void LogUploader::OnStepFinished(const engine::JobKey& /*job*/, const engine::StepReport& step) {
  std::unique_lock lock(mu_);
  if (Dropping()) return;
  if (step.stage == "pre") {
    next_pre_index_ = std::max(next_pre_index_, step.index + 1);
  } else {
    main_seen_ = true;
  }
  Item item;
  item.kind = Item::Kind::kStep;
  StepUpdate& u = item.step;
  u.index = step.index;
  u.stage = step.stage;
  u.name = step.name;
  u.completed = true;
  u.conclusion = step.conclusion;
  u.outcome = step.outcome;
  u.error = step.error;
  u.background = step.background;
  u.completed_at_ms = NowMs();
  auto it = started_.find({step.index, step.stage});
  // A step that never started (skipped) starts and ends at once.
  u.started_at_ms = it != started_.end() ? it->second : u.completed_at_ms - step.duration.count();
  if (it != started_.end()) started_.erase(it);
  item.bytes = LogItemBytes(item);
  MakeRoom(lock, item.bytes);
  if (Dropping()) return;
  Enqueue(std::move(item));
}

void LogUploader::OnReport(const engine::JobKey& /*job*/, int step, std::string_view kind,
                           std::string_view json) {
  std::lock_guard lock(mu_);
  if (Dropping()) return;
  reports_.push_back({std::string(kind), step, std::string(json)});
  work_cv_.notify_one();
}

void LogUploader::WriteLine(int step, std::string_view text) {
  std::unique_lock lock(mu_);
  AppendLines(lock, step, text);
}

void LogUploader::AppendLines(std::unique_lock<std::mutex>& lock, int step, std::string_view text) {
  if (Dropping()) return;
  const std::string stamp = Rfc3339Millis(options_.now()) + " ";
  std::string data;
  for (;;) {
    size_t nl = text.find('\n');
    data += stamp;
    data += text.substr(0, nl);
    data += '\n';
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  MakeRoom(lock, data.size());
  if (Dropping()) return;
  // Lines of the same step go into the last chunk until it is a batch's size; step and
  // annotation items queued after it do not split it (they are sent in calls of their own).
  auto last = std::find_if(queue_.rbegin(), queue_.rend(),
                           [](const Item& i) { return i.kind == Item::Kind::kChunk; });
  if (last != queue_.rend() && last->chunk.step == step &&
      last->chunk.data.size() + data.size() <= options_.batch_bytes) {
    last->chunk.data += data;
    last->bytes += data.size();
    queued_log_bytes_ += data.size();
    queue_bytes_ += data.size();
    NotePeak();
    if (queued_log_bytes_ >= options_.batch_bytes) work_cv_.notify_one();
    return;
  }
  Item item;
  item.kind = Item::Kind::kChunk;
  item.chunk.step = step;
  item.bytes = data.size();
  item.chunk.data = std::move(data);
  Enqueue(std::move(item));
}

void LogUploader::Enqueue(Item item) {
  item.queued = Clock::now();
  bool was_empty = queue_.empty();
  if (item.kind == Item::Kind::kChunk) queued_log_bytes_ += item.bytes;
  queue_bytes_ += item.bytes;
  queue_.push_back(std::move(item));
  NotePeak();
  if (was_empty || queued_log_bytes_ >= options_.batch_bytes) work_cv_.notify_one();
}

void LogUploader::MakeRoom(std::unique_lock<std::mutex>& lock, size_t more) {
  for (;;) {
    if (Dropping()) return;
    // Room is kept for a batch in flight, which may come from the spool (new in memory). One
    // item always fits when nothing waits, however big: the bound is then exceeded by it.
    size_t in_flight = std::max(in_flight_bytes_, options_.batch_bytes);
    if (queue_.empty() || queue_bytes_ + in_flight + more <= options_.max_memory_bytes) return;
    if (spool_ && !spool_failed_ &&
        spool_->unread_bytes() + queue_bytes_ <= options_.max_spool_bytes && Spill()) {
      continue;
    }
    space_cv_.wait(lock);
  }
}

bool LogUploader::Spill() {
  std::vector<const LogItem*> items;
  int64_t seq = next_seq_;
  for (Item& item : queue_) {
    if (item.kind == Item::Kind::kChunk) item.chunk.seq = seq++;
    items.push_back(&item);
  }
  core::Status st = spool_->Append(items, options_.masker);
  if (!st.ok()) {
    for (Item& item : queue_) item.chunk.seq = 0;
    spool_failed_ = true;
    Log("the log spool failed (" + st.message() +
        "); the job's output now waits for the server instead");
    return false;
  }
  next_seq_ = seq;
  stats_.spooled_bytes += queued_log_bytes_;
  stats_.peak_spool_bytes = spool_->peak_bytes();
  queue_.clear();
  queue_bytes_ = 0;
  queued_log_bytes_ = 0;
  work_cv_.notify_one();
  return true;
}

void LogUploader::NotePeak() {
  stats_.peak_memory_bytes = std::max(stats_.peak_memory_bytes, queue_bytes_ + in_flight_bytes_);
}

void LogUploader::Log(const std::string& line) const {
  if (options_.log) options_.log("job " + std::to_string(job_) + ": " + line);
}

LogUploader::Batch LogUploader::TakeBatch() {
  Batch b;
  size_t log_bytes = 0;
  while (!queue_.empty()) {
    Item& item = queue_.front();
    if (item.kind == Item::Kind::kChunk) {
      if (log_bytes > 0 && log_bytes + item.bytes > options_.batch_bytes) break;
      log_bytes += item.bytes;
      queued_log_bytes_ -= item.bytes;
      item.chunk.seq = next_seq_++;
      b.chunks.push_back(std::move(item.chunk));
    } else if (item.kind == Item::Kind::kStep) {
      b.steps.push_back(std::move(item.step));
    } else {
      b.annotations.push_back(std::move(item.annotation));
    }
    b.bytes += item.bytes;
    queue_bytes_ -= item.bytes;
    queue_.pop_front();
  }
  in_flight_bytes_ = b.bytes;
  return b;
}

std::optional<LogUploader::Batch> LogUploader::TakeSpooled() {
  const size_t unread = spool_->unread_bytes();
  auto items = spool_->Take(options_.batch_bytes);
  if (!items.ok()) {
    stats_.dropped_bytes += unread;
    // What was left in the spool cannot be read back: it is lost, the rest goes on.
    last_error_ = items.status();
    Log("lines of the log were lost: " + items.status().message());
    return std::nullopt;
  }
  Batch b;
  for (LogItem& item : *items) {
    b.bytes += LogItemBytes(item);
    if (item.kind == LogItem::Kind::kChunk) {
      b.chunks.push_back(std::move(item.chunk));
    } else if (item.kind == LogItem::Kind::kStep) {
      b.steps.push_back(std::move(item.step));
    } else {
      b.annotations.push_back(std::move(item.annotation));
    }
  }
  in_flight_bytes_ = b.bytes;
  NotePeak();
  return b;
}

core::Status LogUploader::SendBatch(Batch& batch) {
  if (!batch.logs_sent && (!batch.chunks.empty() || !batch.annotations.empty())) {
    GANTRY_RETURN_IF_ERROR(client_.SendLogs(job_, lease_id_, batch.chunks, batch.annotations));
  }
  // Logs and steps go in two calls; a retry after the steps call failed sends only the steps.
  batch.logs_sent = true;
  if (!batch.steps.empty()) GANTRY_RETURN_IF_ERROR(client_.SendSteps(job_, lease_id_, batch.steps));
  return core::Status::Ok();
}

bool LogUploader::SendFirstReport(std::unique_lock<std::mutex>& lock,
                                  std::chrono::milliseconds* wait) {
  PendingReport report = reports_.front();
  lock.unlock();
  core::Status st = client_.SendReport(job_, lease_id_, report.kind, report.step, report.json);
  lock.lock();
  if (IsLeaseLost(st)) {
    last_error_ = st;
    return false;
  }
  if (st.ok() || st.code() == core::StatusCode::kInvalidArgument ||
      st.code() == core::StatusCode::kPermissionDenied) {
    if (st.ok()) {
      ++stats_.reports_sent;
      last_ack_ = Clock::now();
    } else {
      // Refused for good (malformed): sending it again would hold up everything after it.
      ++stats_.reports_dropped;
      last_error_ = st;
      Log("the server refused the " + report.kind + " report: " + st.message());
    }
    reports_.pop_front();
    *wait = options_.retry_wait;
    space_cv_.notify_all();
    return true;
  }
  last_error_ = st;
  work_cv_.wait_for(lock, *wait, [this] { return abandoned_; });
  *wait = std::min(*wait * 2, std::max(options_.retry_wait, options_.max_retry_wait));
  return true;
}

void LogUploader::SenderLoop() {
  std::unique_lock lock(mu_);
  std::optional<Batch> in_flight;
  std::chrono::milliseconds wait = options_.retry_wait;
  bool call_lost = false;
  while (!abandoned_) {
    // Reports go between log batches; the server stores each once per step and kind.
    if (!in_flight && !reports_.empty()) {
      if (!SendFirstReport(lock, &wait)) {
        lost_ = true;
        call_lost = true;
        break;
      }
      continue;
    }
    if (!in_flight) {
      // The spool holds what is older than anything in queue_: it goes first.
      if (spool_ && !spool_->empty()) {
        in_flight = TakeSpooled();
        if (!in_flight) continue;
      } else if (queue_.empty()) {
        if (closing_) break;
        work_cv_.wait(lock);
        continue;
      } else {
        Clock::time_point due = queue_.front().queued + options_.flush_after;
        if (!closing_ && queued_log_bytes_ < options_.batch_bytes && Clock::now() < due) {
          work_cv_.wait_until(lock, due);
          continue;
        }
        in_flight = TakeBatch();
      }
    }
    lock.unlock();
    core::Status st = SendBatch(*in_flight);
    lock.lock();
    if (st.ok() || (!IsLeaseLost(st) && (st.code() == core::StatusCode::kInvalidArgument ||
                                         st.code() == core::StatusCode::kPermissionDenied))) {
      if (!st.ok()) {
        // The server will never take this batch (e.g. it is malformed): sending it again
        // would hold up every line after it.
        size_t bytes = 0;
        for (const LogChunk& c : in_flight->chunks) bytes += c.data.size();
        stats_.dropped_bytes += bytes;
        last_error_ = st;
        Log("the server refused " + std::to_string(bytes) + " bytes of log: " + st.message());
      } else {
        last_ack_ = Clock::now();
      }
      in_flight_bytes_ = 0;
      in_flight.reset();
      wait = options_.retry_wait;
      space_cv_.notify_all();
      continue;
    }
    last_error_ = st;
    if (IsLeaseLost(st)) {
      lost_ = true;
      call_lost = true;
      break;
    }
    // The same batch (same seqs) goes again after a pause: the server ignores seqs it has.
    work_cv_.wait_for(lock, wait, [this] { return abandoned_; });
    wait = std::min(wait * 2, std::max(options_.retry_wait, options_.max_retry_wait));
  }
  bool delivered = !in_flight && queue_.empty() && reports_.empty() && (!spool_ || spool_->empty());
  // The spool goes once all it held was delivered; otherwise it stays beside the job's
  // workspace, which the agent removes (or keeps, with --keep-failed) anyway.
  if (delivered && spool_) spool_->Remove();
  queue_.clear();
  reports_.clear();
  queue_bytes_ = 0;
  queued_log_bytes_ = 0;
  finished_ = true;
  space_cv_.notify_all();
  lock.unlock();
  if (call_lost && on_lease_lost_) on_lease_lost_();
}

core::Status LogUploader::Finish(DrainLimits limits) {
  std::unique_lock lock(mu_);
  closing_ = true;
  work_cv_.notify_all();
  const Clock::time_point start = Clock::now();
  const Clock::time_point hard =
      limits.total.count() > 0 ? start + limits.total : Clock::time_point::max();
  // The drain goes on as long as the server takes batches: a big spool may take a while.
  while (!finished_) {
    Clock::time_point end = std::min(std::max(start, last_ack_) + limits.idle, hard);
    if (Clock::now() >= end) break;
    space_cv_.wait_until(lock, end);
  }
  bool done = finished_;
  size_t left = queue_bytes_ + in_flight_bytes_ + (spool_ ? spool_->unread_bytes() : 0);
  if (!done) {
    abandoned_ = true;
    work_cv_.notify_all();
  }
  core::Status error = last_error_;
  bool lost = lost_;
  size_t dropped = stats_.dropped_bytes;
  size_t dropped_reports = stats_.reports_dropped;
  size_t unsent_reports = reports_.size();
  lock.unlock();
  if (sender_.joinable()) sender_.join();
  if (lost) return error;
  if (!done) {
    return core::Status::Unavailable("could not send " + std::to_string(left) +
                                     " bytes of log and " + std::to_string(unsent_reports) +
                                     " reports in time: " + error.message());
  }
  if (dropped_reports > 0) {
    return core::Status::InvalidArgument(std::to_string(dropped_reports) +
                                         " reports were refused: " + error.message());
  }
  if (dropped > 0) {
    return core::Status::InvalidArgument(std::to_string(dropped) +
                                         " bytes of log were not delivered: " + error.message());
  }
  return core::Status::Ok();
}

void LogUploader::Abandon() {
  std::lock_guard lock(mu_);
  abandoned_ = true;
  work_cv_.notify_all();
  space_cv_.notify_all();
}

bool LogUploader::lease_lost() const {
  std::lock_guard lock(mu_);
  return lost_;
}

void LogUploader::OnJobFinished(const engine::JobReport& job) {
  if (job.key.job_id.find('/') == std::string::npos) return;
  std::lock_guard lock(mu_);
  nested_.push_back(job);
}

LogUploaderStats LogUploader::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::vector<engine::JobReport> LogUploader::nested_jobs() const {
  std::lock_guard lock(mu_);
  return nested_;
}

}  // namespace gantry::executor
