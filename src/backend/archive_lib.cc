#include "backend/archive_lib.h"

#include <cstdio>
#include <cstdlib>

#include "core/dynamic_library.h"

namespace gantry::backend {
namespace {

core::Status Bind(const core::DynamicLibrary& lib, LibArchive& api) {
  for (const core::Status& st : {
           lib.Bind("archive_entry_clear", api.entry_clear),
           lib.Bind("archive_entry_copy_stat", api.entry_copy_stat),
           lib.Bind("archive_entry_filetype", api.entry_filetype),
           lib.Bind("archive_entry_free", api.entry_free),
           lib.Bind("archive_entry_hardlink", api.entry_hardlink),
           lib.Bind("archive_entry_mtime", api.entry_mtime),
           lib.Bind("archive_entry_mtime_nsec", api.entry_mtime_nsec),
           lib.Bind("archive_entry_new", api.entry_new),
           lib.Bind("archive_entry_pathname", api.entry_pathname),
           lib.Bind("archive_entry_perm", api.entry_perm),
           lib.Bind("archive_entry_set_mode", api.entry_set_mode),
           lib.Bind("archive_entry_set_mtime", api.entry_set_mtime),
           lib.Bind("archive_entry_set_pathname", api.entry_set_pathname),
           lib.Bind("archive_entry_set_size", api.entry_set_size),
           lib.Bind("archive_entry_set_symlink", api.entry_set_symlink),
           lib.Bind("archive_entry_symlink", api.entry_symlink),
           lib.Bind("archive_error_string", api.error_string),
           lib.Bind("archive_free", api.free),
           lib.Bind("archive_read_data_block", api.read_data_block),
           lib.Bind("archive_read_new", api.read_new),
           lib.Bind("archive_read_next_header", api.read_next_header),
           lib.Bind("archive_read_open_fd", api.read_open_fd),
           lib.Bind("archive_read_support_format_tar", api.read_support_format_tar),
           lib.Bind("archive_write_close", api.write_close),
           lib.Bind("archive_write_data", api.write_data),
           lib.Bind("archive_write_free", api.write_free),
           lib.Bind("archive_write_header", api.write_header),
           lib.Bind("archive_write_new", api.write_new),
           lib.Bind("archive_write_open2", api.write_open2),
           lib.Bind("archive_write_open_fd", api.write_open_fd),
           lib.Bind("archive_write_set_bytes_in_last_block", api.write_set_bytes_in_last_block),
           lib.Bind("archive_write_set_bytes_per_block", api.write_set_bytes_per_block),
           lib.Bind("archive_write_set_format_pax", api.write_set_format_pax),
           lib.Bind("archive_write_set_format_pax_restricted", api.write_set_format_pax_restricted),
       }) {
    GANTRY_RETURN_IF_ERROR(st);
  }
  return core::Status::Ok();
}

struct Loaded {
  core::Status status;
  LibArchive api;
};

const Loaded& Load() {
  static const Loaded loaded = [] {
    Loaded l;
    core::Result<core::DynamicLibrary> lib =
        core::DynamicLibrary::Open(GANTRY_LIBARCHIVE_SONAME, "libarchive13");
    l.status = lib.ok() ? Bind(*lib, l.api) : lib.status();
    return l;
  }();
  return loaded;
}

}  // namespace

core::Status LibArchive::Load() { return backend::Load().status; }

const LibArchive& LibArchive::Get() {
  const Loaded& l = backend::Load();
  if (!l.status.ok()) {
    std::fprintf(stderr, "gantry: fatal: libarchive used before it was loaded: %s\n",
                 l.status.message().c_str());
    std::abort();
  }
  return l.api;
}

}  // namespace gantry::backend
