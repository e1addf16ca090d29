#include "backend/docker/build_context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

#include "backend/archive_lib.h"

namespace gantry::backend::docker {
namespace {

namespace fs = std::filesystem;

// libarchive's functions: TarDirectory loads it before any use.
const LibArchive& Ar() { return LibArchive::Get(); }

struct ArchiveDeleter {
  void operator()(archive* a) const { Ar().write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { Ar().entry_free(e); }
};

la_ssize_t AppendToString(archive* /*a*/, void* user, const void* buf, size_t n) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

}  // namespace

core::Result<std::string> TarDirectory(const std::string& dir) {
  GANTRY_RETURN_IF_ERROR(LibArchive::Load());
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return core::Status::NotFound("build context '" + dir + "' is not a directory");
  }
  std::string out;
  std::unique_ptr<archive, ArchiveDeleter> a(Ar().write_new());
  Ar().write_set_format_pax_restricted(a.get());
  Ar().write_set_bytes_in_last_block(a.get(), 1);
  if (Ar().write_open2(a.get(), &out, nullptr, &AppendToString, nullptr, nullptr) != ARCHIVE_OK) {
    return core::Status::Internal(std::string("cannot start the build context tar: ") +
                                  Ar().error_string(a.get()));
  }
  auto fail = [&](const std::string& path, const std::string& why) {
    return core::Status::Internal("cannot add '" + path + "' to the build context: " + why);
  };
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string full = it->path().string();
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    struct stat st {};
    if (lstat(full.c_str(), &st) != 0) return fail(full, std::strerror(errno));
    std::unique_ptr<archive_entry, EntryDeleter> e(Ar().entry_new());
    Ar().entry_copy_stat(e.get(), &st);
    Ar().entry_set_pathname(e.get(), rel.c_str());
    if (S_ISLNK(st.st_mode)) {
      std::string target = fs::read_symlink(it->path(), ec).string();
      if (ec) return fail(full, ec.message());
      Ar().entry_set_symlink(e.get(), target.c_str());
      Ar().entry_set_size(e.get(), 0);
    } else if (!S_ISREG(st.st_mode)) {
      Ar().entry_set_size(e.get(), 0);
    }
    if (Ar().write_header(a.get(), e.get()) != ARCHIVE_OK) {
      return fail(full, Ar().error_string(a.get()));
    }
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(full, std::ios::binary);
      if (!in) return fail(full, "cannot open it");
      std::vector<char> buf(size_t{64} * 1024);
      while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
        if (Ar().write_data(a.get(), buf.data(), static_cast<size_t>(in.gcount())) < 0) {
          return fail(full, Ar().error_string(a.get()));
        }
      }
    }
  }
  if (ec) return core::Status::Internal("cannot read build context '" + dir + "': " + ec.message());
  if (Ar().write_close(a.get()) != ARCHIVE_OK) {
    return core::Status::Internal(std::string("cannot finish the build context tar: ") +
                                  Ar().error_string(a.get()));
  }
  return out;
}

}  // namespace gantry::backend::docker
