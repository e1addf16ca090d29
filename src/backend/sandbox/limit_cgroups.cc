#include "backend/sandbox/limit_cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

namespace gantry::backend::sandbox {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool Contains(const std::vector<std::string_view>& items, std::string_view item) {
  for (std::string_view i : items) {
    if (i == item) return true;
  }
  return false;
}

// This process's cgroup directory in the v1 hierarchy of `controller`; "" when there is none.
std::string FindV1Dir(std::string_view controller) {
  std::string self;
  bool found = false;
  std::istringstream cg(ReadFile("/proc/self/cgroup"));
  for (std::string line; std::getline(cg, line);) {
    std::vector<std::string_view> parts = Split(line, ':');
    // "4:memory:/path"; the root path "/" splits into three parts too.
    if (parts.size() != 3 || !Contains(Split(parts[1], ','), controller)) continue;
    self = std::string(parts[2]);
    found = true;
  }
  if (!found) return "";
  std::istringstream mounts(ReadFile("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string_view> right = Split(std::string_view(line).substr(dash + 3), ' ');
    if (right.size() < 3 || right[0] != "cgroup" || !Contains(Split(right[2], ','), controller)) {
      continue;
    }
    std::vector<std::string_view> left = Split(std::string_view(line).substr(0, dash), ' ');
    if (left.size() < 5) continue;
    std::string root(left[3]);
    std::string mount_point(left[4]);
    if (root == "/") return mount_point + (self == "/" ? "" : self);
    if (self.rfind(root, 0) == 0) return mount_point + self.substr(root.size());
  }
  return "";
}

std::string PidNamespaceId() {
  std::array<char, 64> buf{};
  ssize_t n = readlink("/proc/self/ns/pid", buf.data(), buf.size() - 1);
  std::string_view link(buf.data(), n > 0 ? static_cast<size_t>(n) : 0);
  size_t open = link.find('[');
  size_t close = link.find(']');
  if (open == std::string_view::npos || close == std::string_view::npos) return "0";
  return std::string(link.substr(open + 1, close - open - 1));
}

// Writes `value` to a control file; the error names the file.
core::Status WriteControl(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return core::Status::Unavailable(path + ": " + std::strerror(errno));
  ssize_t n = write(fd, value.data(), value.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return core::Status::Unavailable("cannot write " + value + " to " + path + ": " +
                                     std::strerror(err));
  }
  return core::Status::Ok();
}

std::vector<pid_t> Procs(const std::string& leaf) {
  std::vector<pid_t> pids;
  std::istringstream list(ReadFile(leaf + "/cgroup.procs"));
  for (pid_t pid = 0; list >> pid;) pids.push_back(pid);
  return pids;
}

// Kills whatever is left in a v1 leaf (there is no cgroup.kill in v1) and removes it.
void RemoveLeaf(const std::string& leaf) {
  for (int attempt = 0; attempt < 50 && rmdir(leaf.c_str()) != 0 && errno == EBUSY; ++attempt) {
    for (pid_t pid : Procs(leaf)) kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<std::string> Subdirs(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_type == DT_DIR && e->d_name[0] != '.') out.emplace_back(e->d_name);
    }
    closedir(d);
  }
  return out;
}

// Removes pools whose gantry process is gone (a crash), with what they still hold.
void RemoveStalePools(const std::string& base, const std::string& prefix) {
  for (const std::string& name : Subdirs(base)) {
    if (name.rfind(prefix, 0) != 0) continue;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    int pid = 0;
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (ec != std::errc() || pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::string pool = base + "/" + name;
    for (const std::string& leaf : Subdirs(pool)) RemoveLeaf(pool + "/" + leaf);
    rmdir(pool.c_str());
  }
}

}  // namespace

std::string FormatBytes(int64_t bytes) {
  constexpr int64_t kMi = int64_t{1} << 20;
  constexpr int64_t kGi = int64_t{1} << 30;
  if (bytes >= kGi && bytes % kGi == 0) return std::to_string(bytes / kGi) + " GiB";
  if (bytes >= kMi && bytes % kMi == 0) return std::to_string(bytes / kMi) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::unique_ptr<LimitCgroups> LimitCgroups::Create(const Limits& limits,
                                                   std::vector<std::string>* notes) {
  struct Wanted {
    const char* controller;
    const char* what;
    int64_t value;
  };
  const std::array<Wanted, 2> wanted = {
      {{"memory", "memory limit", limits.memory_bytes}, {"pids", "pids limit", limits.pids_max}}};
  auto note = [&](std::string line) {
    if (notes != nullptr) notes->push_back(std::move(line));
  };
  static std::atomic<int> counter{0};
  const std::string pidns = PidNamespaceId();
  std::vector<Controller> controllers;
  for (const Wanted& w : wanted) {
    if (w.value <= 0) continue;
    const std::string shown =
        std::string(w.what) + " (" +
        (std::string_view(w.controller) == "memory" ? FormatBytes(w.value)
                                                    : std::to_string(w.value) + " processes") +
        ")";
    std::string base = FindV1Dir(w.controller);
    if (base.empty()) {
      note(shown + " is NOT enforced: this machine has no cgroup v1 " + w.controller +
           " hierarchy (limits through cgroup v2 are not implemented)");
      continue;
    }
    const std::string prefix = "gantry-sandbox-" + pidns + "-";
    RemoveStalePools(base, prefix);
    std::string pool =
        base + "/" + prefix + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
    if (mkdir(pool.c_str(), 0755) != 0) {
      note(shown + " is NOT enforced: cannot create " + pool + ": " + std::strerror(errno));
      continue;
    }
    Controller c;
    c.pool = pool;
    c.value = std::to_string(w.value);
    if (std::string_view(w.controller) == "memory") {
      c.limit_file.emplace_back("memory.limit_in_bytes");
      // Without a swap limit the step would swap instead of being stopped.
      if (access((pool + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0) {
        c.limit_file.emplace_back("memory.memsw.limit_in_bytes");
      }
    } else {
      c.limit_file.emplace_back("pids.max");
    }
    // A trial leaf proves the limit can be set here; it becomes the first free leaf set.
    std::string leaf = pool + "/probe";
    core::Status st =
        mkdir(leaf.c_str(), 0755) == 0
            ? core::Status::Ok()
            : core::Status::Unavailable("cannot create " + leaf + ": " + std::strerror(errno));
    for (const std::string& file : c.limit_file) {
      if (st.ok()) st = WriteControl(leaf + "/" + file, c.value);
    }
    rmdir(leaf.c_str());
    if (!st.ok()) {
      rmdir(pool.c_str());
      note(shown + " is NOT enforced: " + st.message());
      continue;
    }
    note(shown + " is enforced through the cgroup v1 " + w.controller + " controller");
    controllers.push_back(std::move(c));
  }
  if (controllers.empty()) return nullptr;
  return std::unique_ptr<LimitCgroups>(new LimitCgroups(std::move(controllers)));
}

LimitCgroups::~LimitCgroups() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::vector<std::string>& set : free_) {
    for (const std::string& procs : set) {
      RemoveLeaf(procs.substr(0, procs.rfind('/')));
    }
  }
  for (const Controller& c : controllers_) rmdir(c.pool.c_str());
}

core::Result<std::vector<std::string>> LimitCgroups::Acquire() {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      std::vector<std::string> set = std::move(free_.back());
      free_.pop_back();
      return set;
    }
    name = "/r" + std::to_string(next_++);
  }
  std::vector<std::string> set;
  for (const Controller& c : controllers_) {
    std::string leaf = c.pool + name;
    if (mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
      core::Status st =
          core::Status::Unavailable("cannot create " + leaf + ": " + std::strerror(errno));
      for (const std::string& done : set) RemoveLeaf(done.substr(0, done.rfind('/')));
      return st;
    }
    for (const std::string& file : c.limit_file) {
      if (core::Status st = WriteControl(leaf + "/" + file, c.value); !st.ok()) {
        rmdir(leaf.c_str());
        for (const std::string& done : set) RemoveLeaf(done.substr(0, done.rfind('/')));
        return st;
      }
    }
    set.push_back(leaf + "/cgroup.procs");
  }
  return set;
}

void LimitCgroups::Release(std::vector<std::string> procs_files) {
  if (procs_files.empty()) return;
  for (const std::string& procs : procs_files) {
    // The host backend leaves no process of a run behind; this only guards the reuse.
    std::string leaf = procs.substr(0, procs.rfind('/'));
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::vector<pid_t> pids = Procs(leaf);
      if (pids.empty()) break;
      for (pid_t pid : pids) kill(pid, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(std::move(procs_files));
}

}  // namespace gantry::backend::sandbox
