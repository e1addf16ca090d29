#include "cli/run_dir.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

namespace gantry::cli {

namespace fs = std::filesystem;

void RemoveTree(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(dir, ec)) entries.push_back(entry.path());
  // I/O latency, not CPU, bounds deletion: more threads than cores pay off.
  constexpr size_t kMaxThreads = 16;
  size_t threads = std::min(kMaxThreads, entries.size() / 4);
  if (threads > 1) {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      std::error_code wec;
      for (size_t i = next++; i < entries.size(); i = next++) fs::remove_all(entries[i], wec);
    };
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (size_t i = 0; i < threads; ++i) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  fs::remove_all(dir, ec);
}

RunDir::RunDir(bool keep, std::ostream& err) : keep_(keep), err_(err) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      (fs::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") / "gantry-exec-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

RunDir::~RunDir() {
  if (path_.empty()) return;
  if (keep_) {
    err_ << "gantry exec: run directory kept at " << path_ << '\n';
    return;
  }
  RemoveTree(path_);
}

}  // namespace gantry::cli
