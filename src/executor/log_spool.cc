#include "executor/log_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace gantry::executor {
namespace {

using json = nlohmann::json;
using core::Status;

// A header is short ("c <len> <seq> <step>\n"); anything longer is a damaged record.
constexpr size_t kMaxHeader = 80;
// Disk space of records taken is given back in steps of this.
constexpr size_t kPunchBytes = size_t{1} << 20;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

json StepJson(const StepUpdate& u) {
  json j = {{"index", u.index},
            {"stage", u.stage},
            {"name", u.name},
            {"completed", u.completed},
            {"error", u.error},
            {"background", u.background},
            {"started_at", u.started_at_ms},
            {"completed_at", u.completed_at_ms}};
  if (u.conclusion) j["conclusion"] = static_cast<int>(*u.conclusion);
  if (u.outcome) j["outcome"] = static_cast<int>(*u.outcome);
  return j;
}

std::optional<engine::Conclusion> ConclusionAt(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number_integer()) return std::nullopt;
  int v = j[key].get<int>();
  if (v < 0 || v > static_cast<int>(engine::Conclusion::kSkipped)) return std::nullopt;
  return static_cast<engine::Conclusion>(v);
}

StepUpdate StepFrom(const json& j) {
  StepUpdate u;
  u.index = j.value("index", 0);
  u.stage = j.value("stage", "");
  u.name = j.value("name", "");
  u.completed = j.value("completed", false);
  u.error = j.value("error", "");
  u.background = j.value("background", false);
  u.started_at_ms = j.value("started_at", int64_t{0});
  u.completed_at_ms = j.value("completed_at", int64_t{0});
  u.conclusion = ConclusionAt(j, "conclusion");
  u.outcome = ConclusionAt(j, "outcome");
  return u;
}

json AnnotationJson(const StepAnnotation& sa) {
  const engine::Annotation& a = sa.annotation;
  return {{"step", sa.step},    {"seq", sa.seq},
          {"level", a.level},   {"message", a.message},
          {"title", a.title},   {"file", a.file},
          {"line", a.line},     {"end_line", a.end_line},
          {"column", a.column}, {"end_column", a.end_column}};
}

StepAnnotation AnnotationFrom(const json& j) {
  StepAnnotation sa;
  sa.step = j.value("step", -1);
  sa.seq = j.value("seq", int64_t{0});
  engine::Annotation& a = sa.annotation;
  a.level = j.value("level", "");
  a.message = j.value("message", "");
  a.title = j.value("title", "");
  a.file = j.value("file", "");
  a.line = j.value("line", 0);
  a.end_line = j.value("end_line", 0);
  a.column = j.value("column", 0);
  a.end_column = j.value("end_column", 0);
  return sa;
}

std::string Masked(const core::Masker* masker, const std::string& text) {
  return masker != nullptr ? masker->Mask(text) : text;
}

// One record, masked.
std::string Encode(const LogItem& item, const core::Masker* m) {
  std::string payload;
  std::string header;
  switch (item.kind) {
    case LogItem::Kind::kChunk:
      payload = Masked(m, item.chunk.data);
      header = "c " + std::to_string(payload.size()) + " " + std::to_string(item.chunk.seq) + " " +
               std::to_string(item.chunk.step) + "\n";
      break;
    case LogItem::Kind::kStep: {
      StepUpdate u = item.step;
      u.name = Masked(m, u.name);
      u.error = Masked(m, u.error);
      payload = StepJson(u).dump(-1, ' ', false, json::error_handler_t::replace);
      header = "s " + std::to_string(payload.size()) + "\n";
      break;
    }
    case LogItem::Kind::kAnnotation: {
      StepAnnotation a = item.annotation;
      a.annotation.message = Masked(m, a.annotation.message);
      a.annotation.title = Masked(m, a.annotation.title);
      a.annotation.file = Masked(m, a.annotation.file);
      payload = AnnotationJson(a).dump(-1, ' ', false, json::error_handler_t::replace);
      header = "a " + std::to_string(payload.size()) + "\n";
      break;
    }
  }
  return header + payload + "\n";
}

bool PreadAll(int fd, char* buf, size_t n, size_t offset) {
  while (n > 0) {
    ssize_t got = ::pread(fd, buf, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buf += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<size_t>(got);
  }
  return true;
}

}  // namespace

size_t LogItemBytes(const LogItem& item) {
  switch (item.kind) {
    case LogItem::Kind::kChunk:
      return item.chunk.data.size();
    case LogItem::Kind::kStep:
      return 64 + item.step.name.size() + item.step.error.size();
    case LogItem::Kind::kAnnotation:
      return 64 + item.annotation.annotation.message.size() +
             item.annotation.annotation.title.size() + item.annotation.annotation.file.size();
  }
  return 0;
}

LogSpool::LogSpool(std::string path) : path_(std::move(path)) {}

LogSpool::~LogSpool() {
  if (fd_ >= 0) ::close(fd_);
}

Status LogSpool::Append(const std::vector<const LogItem*>& items, const core::Masker* masker) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) return Status::Internal(Errno("cannot create", path_));
  }
  std::string data;
  for (const LogItem* item : items) data += Encode(*item, masker);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(end_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status error = Status::Internal(Errno("cannot write", path_));
      // All or nothing: a half-written record must not be read back.
      (void)::ftruncate(fd_, static_cast<off_t>(end_));
      return error;
    }
    done += static_cast<size_t>(n);
  }
  end_ += data.size();
  peak_ = std::max(peak_, end_ - read_);
  return Status::Ok();
}

core::Result<LogSpool::Header> LogSpool::ReadHeader() const {
  char buf[kMaxHeader + 1] = {};
  size_t want = std::min(kMaxHeader, end_ - read_);
  if (!PreadAll(fd_, buf, want, read_)) return Status::Internal(Errno("cannot read", path_));
  const char* nl = static_cast<const char*>(std::memchr(buf, '\n', want));
  Header h;
  long long seq = 0;
  int fields =
      nl == nullptr ? 0 : std::sscanf(buf, "%c %zu %lld %d", &h.kind, &h.len, &seq, &h.step);
  h.seq = seq;
  h.header_len = nl == nullptr ? 0 : static_cast<size_t>(nl - buf) + 1;
  bool known = (h.kind == 'c' && fields == 4) || ((h.kind == 's' || h.kind == 'a') && fields >= 2);
  if (!known || read_ + h.header_len + h.len + 1 > end_) return Damaged();
  return h;
}

core::Result<LogItem> LogSpool::ReadPayload(const Header& h) {
  std::string payload(h.len + 1, '\0');
  if (!PreadAll(fd_, payload.data(), h.len + 1, read_ + h.header_len)) {
    return Status::Internal(Errno("cannot read", path_));
  }
  if (payload.back() != '\n') return Damaged();
  payload.pop_back();
  LogItem item;
  if (h.kind == 'c') {
    item.kind = LogItem::Kind::kChunk;
    item.chunk.seq = h.seq;
    item.chunk.step = h.step;
    item.chunk.data = std::move(payload);
  } else {
    json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return Damaged();
    if (h.kind == 's') {
      item.kind = LogItem::Kind::kStep;
      item.step = StepFrom(j);
    } else {
      item.kind = LogItem::Kind::kAnnotation;
      item.annotation = AnnotationFrom(j);
    }
  }
  read_ += h.header_len + h.len + 1;
  return item;
}

Status LogSpool::Damaged() const {
  return Status::Internal("damaged record at byte " + std::to_string(read_) + " of " + path_);
}

core::Result<std::vector<LogItem>> LogSpool::Take(size_t max_bytes) {
  std::vector<LogItem> out;
  size_t bytes = 0;
  while (read_ < end_) {
    auto header = ReadHeader();
    // A record that would make the batch too big waits for the next Take, still on disk.
    if (header.ok() && bytes > 0 && bytes + header->len > max_bytes) break;
    auto item = header.ok() ? ReadPayload(*header) : core::Result<LogItem>(header.status());
    if (!item.ok()) {
      Reset();
      return item.status();
    }
    bytes += header->len;
    out.push_back(std::move(item).value());
  }
  // Give the disk space of what was taken back (it is in memory now): all of it when
  // everything was read, else the blocks before the read position, a MiB at a time, so that a
  // spool that a slow server drains while the job writes on does not grow without bound.
  if (read_ == end_) {
    Reset();
  } else if (read_ - punched_ >= kPunchBytes) {
    size_t upto = read_ / kPunchBytes * kPunchBytes;
    if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(punched_),
                    static_cast<off_t>(upto - punched_)) == 0) {
      punched_ = upto;
    } else {
      punched_ = read_;  // not on this file system: the space comes back when all is read
    }
  }
  return out;
}

void LogSpool::Reset() {
  if (fd_ >= 0) (void)::ftruncate(fd_, 0);
  read_ = end_ = punched_ = 0;
}

void LogSpool::Remove() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
  }
  read_ = end_ = punched_ = 0;
}

}  // namespace gantry::executor
