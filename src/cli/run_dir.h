#pragma once

// The per-run directory of `gantry exec` under $TMPDIR, and its removal.

#include <filesystem>
#include <ostream>
#include <string>

namespace gantry::cli {

/// Removes `dir` and everything below it. Its entries are removed by several threads at
/// once: on file systems that discard freed blocks synchronously (ext4 mounted with
/// `discard`), deleting thousands of job directories one by one is bound by I/O latency, not
/// CPU. Errors are ignored (best effort, like `rm -rf`).
void RemoveTree(const std::filesystem::path& dir);

/// Creates `$TMPDIR/gantry-exec-XXXXXX` (default /tmp) and removes it when destroyed, unless
/// kept (then its path is reported to `err`).
class RunDir {
 public:
  RunDir(bool keep, std::ostream& err);
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  /// Empty when the directory could not be created.
  const std::string& path() const { return path_; }

 private:
  bool keep_;
  std::ostream& err_;
  std::string path_;
};

}  // namespace gantry::cli
