#pragma once

// libarchive (tar only: the cache of actions/cache and Docker build contexts), opened on first
// use rather than linked: it drags in its compression and XML libraries, which every start of
// gantry would otherwise load (core/dynamic_library.h).

#include <archive.h>
#include <archive_entry.h>

#include "core/status.h"

namespace gantry::backend {

/// The libarchive functions Gantry calls, named without their `archive_` prefix.
struct LibArchive {
  decltype(&archive_entry_clear) entry_clear = nullptr;
  decltype(&archive_entry_copy_stat) entry_copy_stat = nullptr;
  decltype(&archive_entry_filetype) entry_filetype = nullptr;
  decltype(&archive_entry_free) entry_free = nullptr;
  decltype(&archive_entry_hardlink) entry_hardlink = nullptr;
  decltype(&archive_entry_mtime) entry_mtime = nullptr;
  decltype(&archive_entry_mtime_nsec) entry_mtime_nsec = nullptr;
  decltype(&archive_entry_new) entry_new = nullptr;
  decltype(&archive_entry_pathname) entry_pathname = nullptr;
  decltype(&archive_entry_perm) entry_perm = nullptr;
  decltype(&archive_entry_set_mode) entry_set_mode = nullptr;
  decltype(&archive_entry_set_mtime) entry_set_mtime = nullptr;
  decltype(&archive_entry_set_pathname) entry_set_pathname = nullptr;
  decltype(&archive_entry_set_size) entry_set_size = nullptr;
  decltype(&archive_entry_set_symlink) entry_set_symlink = nullptr;
  decltype(&archive_entry_symlink) entry_symlink = nullptr;
  decltype(&archive_error_string) error_string = nullptr;
  decltype(&archive_free) free = nullptr;
  decltype(&archive_read_data_block) read_data_block = nullptr;
  decltype(&archive_read_new) read_new = nullptr;
  decltype(&archive_read_next_header) read_next_header = nullptr;
  decltype(&archive_read_open_fd) read_open_fd = nullptr;
  decltype(&archive_read_support_format_tar) read_support_format_tar = nullptr;
  decltype(&archive_write_close) write_close = nullptr;
  decltype(&archive_write_data) write_data = nullptr;
  decltype(&archive_write_free) write_free = nullptr;
  decltype(&archive_write_header) write_header = nullptr;
  decltype(&archive_write_new) write_new = nullptr;
  decltype(&archive_write_open2) write_open2 = nullptr;
  decltype(&archive_write_open_fd) write_open_fd = nullptr;
  decltype(&archive_write_set_bytes_in_last_block) write_set_bytes_in_last_block = nullptr;
  decltype(&archive_write_set_bytes_per_block) write_set_bytes_per_block = nullptr;
  decltype(&archive_write_set_format_pax) write_set_format_pax = nullptr;
  decltype(&archive_write_set_format_pax_restricted) write_set_format_pax_restricted = nullptr;

  /// Opens libarchive on the first call; later calls return the same outcome. Unavailable when
  /// it cannot be loaded. Thread-safe.
  static core::Status Load();
  /// The functions, once Load() has returned OK; calling it before that is a bug (aborts).
  static const LibArchive& Get();
};

}  // namespace gantry::backend
