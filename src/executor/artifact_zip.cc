#include "executor/artifact_zip.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "backend/archive_lib.h"
#include "core/dynamic_library.h"

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;

// The zip writer is not among backend::LibArchive's functions (tar only): it is bound from the
// very library backend loaded, found through the address of one of its functions.
using SetFormatZip = decltype(&archive_write_set_format_zip);

core::Result<SetFormatZip> ZipFormat() {
  static const core::Result<SetFormatZip> fn = []() -> core::Result<SetFormatZip> {
    GANTRY_RETURN_IF_ERROR(backend::LibArchive::Load());
    Dl_info info{};
    // NOLINTNEXTLINE(bugprone-casting-through-void): dladdr takes any address
    if (dladdr(reinterpret_cast<void*>(backend::LibArchive::Get().write_new), &info) == 0 ||
        info.dli_fname == nullptr) {
      return core::Status::Unavailable("cannot locate the loaded libarchive");
    }
    auto lib = core::DynamicLibrary::Open(info.dli_fname, "libarchive13");
    if (!lib.ok()) return lib.status();
    SetFormatZip f = nullptr;
    GANTRY_RETURN_IF_ERROR(lib->Bind("archive_write_set_format_zip", f));
    return f;
  }();
  return fn;
}

// The zip reader, bound the same way.
using ReadFormatZip = decltype(&archive_read_support_format_zip);

core::Result<ReadFormatZip> ZipReadFormat() {
  static const core::Result<ReadFormatZip> fn = []() -> core::Result<ReadFormatZip> {
    GANTRY_RETURN_IF_ERROR(backend::LibArchive::Load());
    Dl_info info{};
    // NOLINTNEXTLINE(bugprone-casting-through-void): dladdr takes any address
    if (dladdr(reinterpret_cast<void*>(backend::LibArchive::Get().read_new), &info) == 0 ||
        info.dli_fname == nullptr) {
      return core::Status::Unavailable("cannot locate the loaded libarchive");
    }
    auto lib = core::DynamicLibrary::Open(info.dli_fname, "libarchive13");
    if (!lib.ok()) return lib.status();
    ReadFormatZip f = nullptr;
    GANTRY_RETURN_IF_ERROR(lib->Bind("archive_read_support_format_zip", f));
    return f;
  }();
  return fn;
}

struct ReaderCloser {
  void operator()(archive* a) const { backend::LibArchive::Get().free(a); }
};

// Writes the data of the current entry of `a` to `path`.
core::Status ExtractEntry(archive* a, const fs::path& path, const std::string& rel) {
  const backend::LibArchive& ar = backend::LibArchive::Get();
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return core::Status::Internal("cannot create " + path.parent_path().string());
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return core::Status::Internal("cannot write " + path.string());
  core::Status st;
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  int r = ARCHIVE_OK;
  while ((r = ar.read_data_block(a, &block, &size, &offset)) == ARCHIVE_OK) {
    if (lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
      st = core::Status::Internal("cannot write " + path.string());
      break;
    }
    const char* p = static_cast<const char*>(block);
    while (size > 0) {
      ssize_t n = write(fd, p, size);
      if (n <= 0) {
        st = core::Status::Internal("cannot write " + path.string());
        break;
      }
      p += n;
      size -= static_cast<size_t>(n);
    }
    if (!st.ok()) break;
  }
  if (st.ok() && r != ARCHIVE_EOF) {
    st = core::Status::Internal("unzip " + rel + ": " + ar.error_string(a));
  }
  close(fd);
  return st;
}

struct ArchiveCloser {
  void operator()(archive* a) const { backend::LibArchive::Get().write_free(a); }
};
struct EntryFreer {
  void operator()(archive_entry* e) const { backend::LibArchive::Get().entry_free(e); }
};

core::Status AddFile(archive* a, archive_entry* entry, const fs::path& path,
                     const std::string& rel) {
  const backend::LibArchive& ar = backend::LibArchive::Get();
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return core::Status::Internal("cannot stat " + path.string());
  ar.entry_clear(entry);
  ar.entry_copy_stat(entry, &st);
  ar.entry_set_pathname(entry, rel.c_str());
  std::string target;
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    target = fs::read_symlink(path, ec).string();
    ar.entry_set_symlink(entry, target.c_str());
    ar.entry_set_size(entry, 0);
  }
  if (ar.write_header(a, entry) != ARCHIVE_OK) {
    return core::Status::Internal("zip " + rel + ": " + ar.error_string(a));
  }
  if (!S_ISREG(st.st_mode)) return core::Status::Ok();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return core::Status::Internal("cannot read " + path.string());
  char buf[65536];
  ssize_t n = 0;
  core::Status st_out;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    if (ar.write_data(a, buf, static_cast<size_t>(n)) < 0) {
      st_out = core::Status::Internal("zip " + rel + ": " + ar.error_string(a));
      break;
    }
  }
  if (n < 0) st_out = core::Status::Internal("cannot read " + path.string());
  close(fd);
  return st_out;
}

}  // namespace

std::vector<StoredArtifact> FindArtifacts(const std::string& artifact_dir) {
  std::vector<StoredArtifact> found;
  std::error_code ec;
  for (const auto& run : fs::directory_iterator(artifact_dir, ec)) {
    if (!run.is_directory(ec) || run.path().filename().string().front() == '.') continue;
    for (const auto& art : fs::directory_iterator(run.path(), ec)) {
      fs::path files = art.path() / "files";
      if (fs::is_directory(files, ec)) {
        found.push_back({art.path().filename().string(), files.string()});
      }
    }
  }
  std::sort(found.begin(), found.end(),
            [](const StoredArtifact& a, const StoredArtifact& b) { return a.name < b.name; });
  return found;
}

core::Status ZipDirectory(const std::string& dir, const std::string& zip_path) {
  auto set_zip = ZipFormat();
  if (!set_zip.ok()) return set_zip.status();
  const backend::LibArchive& ar = backend::LibArchive::Get();
  std::unique_ptr<archive, ArchiveCloser> a(ar.write_new());
  std::unique_ptr<archive_entry, EntryFreer> entry(ar.entry_new());
  if (!a || !entry || (*set_zip)(a.get()) != ARCHIVE_OK) {
    return core::Status::Internal("cannot set up a zip writer");
  }
  int fd = open(zip_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return core::Status::Internal("cannot create " + zip_path);
  core::Status st;
  if (ar.write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    st = core::Status::Internal("cannot write " + zip_path + ": " + ar.error_string(a.get()));
  }
  std::vector<fs::path> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); st.ok() && !ec && it != end(it);
       it.increment(ec)) {
    if (it->is_symlink(ec) || it->is_regular_file(ec)) paths.push_back(it->path());
  }
  if (ec) st = core::Status::Internal("cannot list " + dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  for (const fs::path& p : paths) {
    if (!st.ok()) break;
    st = AddFile(a.get(), entry.get(), p, p.lexically_relative(dir).generic_string());
  }
  if (st.ok() && ar.write_close(a.get()) != ARCHIVE_OK) {
    st = core::Status::Internal("cannot finish " + zip_path + ": " + ar.error_string(a.get()));
  }
  a.reset();
  close(fd);
  return st;
}

core::Result<std::string> ZipToMemory(const std::vector<ZipMember>& members) {
  auto set_zip = ZipFormat();
  if (!set_zip.ok()) return set_zip.status();
  const backend::LibArchive& ar = backend::LibArchive::Get();
  std::unique_ptr<archive, ArchiveCloser> a(ar.write_new());
  std::unique_ptr<archive_entry, EntryFreer> entry(ar.entry_new());
  if (!a || !entry || (*set_zip)(a.get()) != ARCHIVE_OK) {
    return core::Status::Internal("cannot set up a zip writer");
  }
  std::string out;
  // Unblocked: every write goes straight to `out`, with no padding after the last one.
  ar.write_set_bytes_per_block(a.get(), 0);
  auto append = [](archive*, void* data, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  if (ar.write_open2(a.get(), &out, nullptr, append, nullptr, nullptr) != ARCHIVE_OK) {
    return core::Status::Internal(std::string("cannot start a zip: ") + ar.error_string(a.get()));
  }
  for (const ZipMember& m : members) {
    ar.entry_clear(entry.get());
    ar.entry_set_pathname(entry.get(), m.name.c_str());
    ar.entry_set_mode(entry.get(), AE_IFREG | 0644);
    ar.entry_set_size(entry.get(), static_cast<la_int64_t>(m.content.size()));
    ar.entry_set_mtime(entry.get(), static_cast<time_t>(m.mtime_ms / 1000),
                       static_cast<long>(m.mtime_ms % 1000) * 1000000L);
    if (ar.write_header(a.get(), entry.get()) != ARCHIVE_OK ||
        (!m.content.empty() && ar.write_data(a.get(), m.content.data(), m.content.size()) < 0)) {
      return core::Status::Internal("zip " + m.name + ": " + ar.error_string(a.get()));
    }
  }
  if (ar.write_close(a.get()) != ARCHIVE_OK) {
    return core::Status::Internal(std::string("cannot finish a zip: ") + ar.error_string(a.get()));
  }
  a.reset();
  return out;
}

core::Status UnzipToDirectory(const std::string& zip_path, const std::string& dir) {
  auto support_zip = ZipReadFormat();
  if (!support_zip.ok()) return support_zip.status();
  const backend::LibArchive& ar = backend::LibArchive::Get();
  std::unique_ptr<archive, ReaderCloser> a(ar.read_new());
  if (!a || (*support_zip)(a.get()) != ARCHIVE_OK) {
    return core::Status::Internal("cannot set up a zip reader");
  }
  int fd = open(zip_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return core::Status::Internal("cannot read " + zip_path);
  core::Status st;
  if (ar.read_open_fd(a.get(), fd, 65536) != ARCHIVE_OK) {
    st = core::Status::Internal("cannot read " + zip_path + ": " + ar.error_string(a.get()));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  archive_entry* entry = nullptr;
  while (st.ok()) {
    int r = ar.read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      st = core::Status::Internal("cannot read " + zip_path + ": " + ar.error_string(a.get()));
      break;
    }
    const char* name = ar.entry_pathname(entry);
    std::string rel = name != nullptr ? name : "";
    fs::path normal = fs::path(rel).lexically_normal();
    if (rel.empty() || normal.is_absolute() || normal.empty() || *normal.begin() == "..") {
      st = core::Status::InvalidArgument("the zip " + zip_path + " holds the path '" + rel +
                                         "', outside its root");
      break;
    }
    if (ar.entry_filetype(entry) != AE_IFREG) continue;
    st = ExtractEntry(a.get(), fs::path(dir) / normal, rel);
  }
  a.reset();
  close(fd);
  return st;
}

}  // namespace gantry::executor
