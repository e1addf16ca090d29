#pragma once

// A minimal zip writer for answers built in memory (the run log archive `gh run view --log`
// reads): entries are stored uncompressed, which every unzip accepts.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::server {

/// Collects entries, then Finish() returns the archive. Not thread-safe. Entry names are used
/// as given ('/'-separated; a name ending in '/' is a folder).
class ZipWriter {
 public:
  /// Adds the file `name` with `content`, modified at `mtime_ms` (Unix ms, UTC).
  void Add(std::string_view name, std::string_view content, int64_t mtime_ms);
  /// The archive: the entries, the central directory and its end record. Call once.
  std::string Finish();

 private:
  struct Entry {
    std::string name;
    uint32_t crc = 0;
    uint32_t size = 0;
    uint32_t offset = 0;
    uint16_t time = 0, date = 0;
  };
  std::string out_;
  std::vector<Entry> entries_;
};

}  // namespace gantry::server
