#include "core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace gantry::core {
namespace {

// Writes all of `content` to `fd`; false on an error (errno says which).
bool WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    content.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                           FileMode mode) {
  // Unique among the threads of this process; the pid makes it unique among processes.
  static std::atomic<uint64_t> counter{0};
  const uint64_t unique = counter++;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return Status::Unavailable("cannot create " + path.parent_path().string() + ": " +
                               ec.message());
  const std::filesystem::path tmp =
      path.string() + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(unique);
  // A private file is created 0600, so that its content is never readable by others, not even
  // between the creation and a chmod; fchmod then makes the umask irrelevant.
  const mode_t bits = mode == FileMode::kPrivate ? 0600 : 0666;
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, bits);
  if (fd < 0) return Status::Unavailable("cannot write " + tmp.string() + ": " + strerror(errno));
  bool ok = (mode != FileMode::kPrivate || fchmod(fd, bits) == 0) && WriteAll(fd, content);
  int saved = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    return Status::Unavailable("cannot write " + tmp.string() + ": " + strerror(saved));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Unavailable("cannot write " + path.string() + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace gantry::core
