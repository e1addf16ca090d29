#pragma once

// The artifacts a job stored with the built-in upload-artifact (actions/artifacts.h) and the
// zip of one of them, as the protocol's artifact upload sends it.

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace gantry::executor {

/// An artifact found under an artifact directory.
struct StoredArtifact {
  std::string name;
  std::string files_dir;  // <artifact_dir>/<run_id>/<name>/files
};

/// Every artifact under `artifact_dir` (<run_id>/<name>/files/), sorted by name; none when the
/// directory does not exist.
std::vector<StoredArtifact> FindArtifacts(const std::string& artifact_dir);

/// Writes a zip (deflate, libarchive) of the regular files and symlinks under `dir`, paths
/// relative to it, to `zip_path`. Unavailable when libarchive cannot be loaded; Internal when a
/// file cannot be read or the zip written (naming it).
core::Status ZipDirectory(const std::string& dir, const std::string& zip_path);

/// Extracts the regular files of the zip `zip_path` into `dir` (created as needed), the inverse
/// of ZipDirectory. Entries whose path is absolute or climbs out with `..` are refused
/// (InvalidArgument); symlinks and other special entries are skipped. Unavailable when
/// libarchive cannot be loaded; Internal when the zip cannot be read or a file written.
core::Status UnzipToDirectory(const std::string& zip_path, const std::string& dir);

/// One regular file of a zip built in memory.
struct ZipMember {
  std::string name;  // '/'-separated path inside the zip
  std::string content;
  int64_t mtime_ms = 0;  // Unix milliseconds
};

/// A zip (deflate, libarchive) of `members`, in that order, built in memory (answers such as
/// a run's log archive). Unavailable when libarchive cannot be loaded; Internal when libarchive
/// refuses an entry (naming it).
core::Result<std::string> ZipToMemory(const std::vector<ZipMember>& members);

}  // namespace gantry::executor
