#pragma once

// The part of a job's log stream that the server has not taken yet and that no longer fits in
// memory: an append-only file in the job's directory, read back in order once the server
// answers again.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/masker.h"
#include "core/status.h"
#include "executor/client.h"

namespace gantry::executor {

/// One item of a job's log stream: a chunk of lines, a step transition or an annotation.
struct LogItem {
  enum class Kind : uint8_t { kChunk, kStep, kAnnotation };
  Kind kind = Kind::kChunk;
  LogChunk chunk;  // seq is 0 until the chunk is frozen (taken into a batch or spooled)
  StepUpdate step;
  StepAnnotation annotation;
};

/// What an item counts against the memory bound: a chunk its text, the others a little more
/// than their strings.
size_t LogItemBytes(const LogItem& item);

/// An append-only spool file of log items, read back in the order they were appended. Records
/// are length-prefixed text: "c LEN SEQ STEP\n" + the chunk's bytes, "s LEN\n" + a step as
/// JSON, "a LEN\n" + an annotation as JSON, each followed by "\n", so `less` shows the lines.
///
/// Not thread-safe (the LogUploader holds it under its mutex). The file is never fsynced: it
/// outlives a server that stops or does not answer, which is what it is for; the executor's own
/// crash ends the job anyway (its lease expires and no one reads the file).
class LogSpool {
 public:
  /// The file is `path`, created (mode 0600, truncated) on the first Append.
  explicit LogSpool(std::string path);
  /// Closes the file; it stays on disk unless Remove() was called.
  ~LogSpool();
  LogSpool(const LogSpool&) = delete;
  LogSpool& operator=(const LogSpool&) = delete;

  /// Appends `items` in order, each chunk with its seq, masked with `masker` (may be nullptr)
  /// so that nothing secret reaches the disk. All or nothing: after an error (Internal, naming
  /// the file) the spool holds what it held before.
  core::Status Append(const std::vector<const LogItem*>& items, const core::Masker* masker);

  /// Takes the oldest items not taken yet: at least one when any is left, then more while
  /// their records' contents (a chunk's text, a step's or annotation's JSON) stay within
  /// `max_bytes`. The disk space of what was taken is
  /// given back: the file is emptied once every item was taken, and before that its taken
  /// part is punched out a MiB at a time (where the file system can). Internal on a read error
  /// or a damaged record (the spool is then empty: what was left in it is lost).
  core::Result<std::vector<LogItem>> Take(size_t max_bytes);

  /// Bytes of the file not taken yet.
  size_t unread_bytes() const { return end_ - read_; }
  bool empty() const { return end_ == read_; }
  /// The most bytes the file held untaken at once.
  size_t peak_bytes() const { return peak_; }
  const std::string& path() const { return path_; }

  /// Closes and deletes the file (what is in it is no longer needed).
  void Remove();

 private:
  struct Header {
    char kind = 0;  // 'c', 's' or 'a'
    size_t len = 0;
    int64_t seq = 0;
    int step = 0;
    size_t header_len = 0;
  };
  /// The header of the record at read_.
  core::Result<Header> ReadHeader() const;
  /// The record at read_ whose header is `h`; advances read_ past it.
  core::Result<LogItem> ReadPayload(const Header& h);
  core::Status Damaged() const;
  void Reset();  // empties the file

  const std::string path_;
  int fd_ = -1;
  size_t read_ = 0;     // offset of the first record not taken
  size_t end_ = 0;      // size of the file
  size_t punched_ = 0;  // the file's disk space before this offset was given back
  size_t peak_ = 0;
};

}  // namespace gantry::executor
