#include "executor/log_uploader.h"

#include <algorithm>

namespace gantry::executor {
namespace {

constexpr std::chrono::milliseconds kMaxRetryWait{30000};

}  // namespace

LogUploader::LogUploader(ProtocolClient& client, int64_t job, std::string lease_id,
                         LogUploaderOptions options, std::function<void()> on_lease_lost)
    : client_(client),
      job_(job),
      lease_id_(std::move(lease_id)),
      options_(std::move(options)),
      on_lease_lost_(std::move(on_lease_lost)) {
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
  item.bytes = 64 + name.size();
  started_[{index, stage}] = item.step.started_at_ms;
  Enqueue(lock, std::move(item));
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
  item.annotation.annotation = a;
  item.bytes = 64 + a.message.size() + a.title.size() + a.file.size();
  Enqueue(lock, std::move(item));
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
  item.bytes = 64 + step.name.size() + step.error.size();
  Enqueue(lock, std::move(item));
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
  WaitForRoom(lock, data.size());
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
    unsent_bytes_ += data.size();
    if (queued_log_bytes_ >= options_.batch_bytes) work_cv_.notify_one();
    return;
  }
  Item item;
  item.kind = Item::Kind::kChunk;
  item.chunk.step = step;
  item.bytes = data.size();
  item.chunk.data = std::move(data);
  Enqueue(lock, std::move(item));
}

void LogUploader::Enqueue(std::unique_lock<std::mutex>& /*lock*/, Item item) {
  item.queued = Clock::now();
  bool was_empty = queue_.empty();
  if (item.kind == Item::Kind::kChunk) queued_log_bytes_ += item.bytes;
  unsent_bytes_ += item.bytes;
  queue_.push_back(std::move(item));
  if (was_empty || queued_log_bytes_ >= options_.batch_bytes) work_cv_.notify_one();
}

void LogUploader::WaitForRoom(std::unique_lock<std::mutex>& lock, size_t more) {
  space_cv_.wait(lock, [&] {
    return Dropping() || unsent_bytes_ == 0 || unsent_bytes_ + more <= options_.max_unsent_bytes;
  });
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
    queue_.pop_front();
  }
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

void LogUploader::SenderLoop() {
  std::unique_lock lock(mu_);
  std::optional<Batch> in_flight;
  std::chrono::milliseconds wait = options_.retry_wait;
  bool call_lost = false;
  while (!abandoned_) {
    if (!in_flight) {
      if (queue_.empty()) {
        if (closing_) break;
        work_cv_.wait(lock);
        continue;
      }
      Clock::time_point due = queue_.front().queued + options_.flush_after;
      if (!closing_ && queued_log_bytes_ < options_.batch_bytes && Clock::now() < due) {
        work_cv_.wait_until(lock, due);
        continue;
      }
      in_flight = TakeBatch();
    }
    lock.unlock();
    core::Status st = SendBatch(*in_flight);
    lock.lock();
    if (st.ok()) {
      unsent_bytes_ -= in_flight->bytes;
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
    wait = std::min(wait * 2, kMaxRetryWait);
  }
  queue_.clear();
  queued_log_bytes_ = 0;
  finished_ = true;
  space_cv_.notify_all();
  lock.unlock();
  if (call_lost && on_lease_lost_) on_lease_lost_();
}

core::Status LogUploader::Finish(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  closing_ = true;
  work_cv_.notify_all();
  bool done = space_cv_.wait_for(lock, timeout, [this] { return finished_; });
  if (!done) {
    abandoned_ = true;
    work_cv_.notify_all();
  }
  size_t left = unsent_bytes_;
  core::Status error = last_error_;
  bool lost = lost_;
  lock.unlock();
  if (sender_.joinable()) sender_.join();
  if (lost) return error;
  if (!done) {
    return core::Status::Unavailable("could not send " + std::to_string(left) +
                                     " bytes of log in time: " + error.message());
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

std::vector<engine::JobReport> LogUploader::nested_jobs() const {
  std::lock_guard lock(mu_);
  return nested_;
}

}  // namespace gantry::executor
