#include "core/files.h"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <fstream>

namespace gantry::core {

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
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
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return Status::Unavailable("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Unavailable("cannot write " + path.string());
  }
  return Status::Ok();
}

}  // namespace gantry::core
