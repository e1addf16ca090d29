#include "backend/host/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string_view>

namespace gantry::backend::host {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// mountinfo escapes spaces and a few other characters as \ooo.
std::string UnescapeMountPath(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 4, v, 8);
      if (ec == std::errc() && p == s.data() + i + 4) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    if (end > pos) out.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// This process's own cgroup in the v2 hierarchy: its directory, and its path as
// /proc/<pid>/cgroup shows it ("" for the root). Empty `dir` when there is none.
struct OwnCgroup {
  std::string dir;
  std::string relative;
};
OwnCgroup FindOwnCgroup() {
  std::string self;
  std::istringstream cg(ReadFile("/proc/self/cgroup"));
  for (std::string line; std::getline(cg, line);) {
    if (line.rfind("0::", 0) == 0) self = line.substr(3);
  }
  if (self.empty()) return {};
  if (self == "/") self.clear();
  std::istringstream mounts(ReadFile("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string_view> right = Fields(std::string_view(line).substr(dash + 3));
    if (right.empty() || right[0] != "cgroup2") continue;
    std::vector<std::string_view> left = Fields(std::string_view(line).substr(0, dash));
    if (left.size() < 5) continue;
    std::string root = UnescapeMountPath(left[3]);
    std::string mount_point = UnescapeMountPath(left[4]);
    if (root == "/") return {mount_point + self, self};
    if (self.rfind(root, 0) == 0) return {mount_point + self.substr(root.size()), self};
  }
  return {};
}

// Identifies this pid namespace, so that pools of other namespaces are never taken as stale.
std::string PidNamespaceId() {
  std::array<char, 64> buf{};
  ssize_t n = readlink("/proc/self/ns/pid", buf.data(), buf.size() - 1);
  std::string_view link(buf.data(), n > 0 ? static_cast<size_t>(n) : 0);
  size_t open = link.find('[');
  size_t close = link.find(']');
  if (open == std::string_view::npos || close == std::string_view::npos) return "0";
  return std::string(link.substr(open + 1, close - open - 1));
}

std::unique_ptr<Cgroup> OpenCgroup(const std::string& path, const std::string& relative) {
  int dir = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return nullptr;
  int procs = openat(dir, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  int events = openat(dir, "cgroup.events", O_RDONLY | O_CLOEXEC);
  int kill_fd = openat(dir, "cgroup.kill", O_WRONLY | O_CLOEXEC);
  if (procs < 0 || events < 0) {
    for (int fd : {procs, events, kill_fd, dir}) {
      if (fd >= 0) close(fd);
    }
    return nullptr;
  }
  return std::make_unique<Cgroup>(path, relative, dir, procs, events, kill_fd);
}

// Kills what a cgroup holds and waits (bounded) until it is empty.
void KillAndWait(const Cgroup& cgroup, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (cgroup.Populated() && std::chrono::steady_clock::now() < deadline) {
    cgroup.Signal(SIGKILL);
    pollfd pfd{cgroup.events_fd(), POLLPRI, 0};
    poll(&pfd, 1, 20);
  }
}

// Removes pool directories whose creating process is gone (a crash), killing leftovers.
void RemoveStalePools(const std::string& base, const std::string& pidns) {
  DIR* dir = opendir(base.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    std::string prefix = "gantry-" + pidns + "-";
    if (name.rfind(prefix, 0) != 0) continue;
    std::string_view rest = name.substr(prefix.size());
    int pid = 0;
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (ec != std::errc() || pid <= 0 || (kill(pid, 0) == 0 || errno != ESRCH)) continue;
    stale.emplace_back(name);
  }
  closedir(dir);
  for (const std::string& name : stale) {
    std::string pool = base + "/" + name;
    if (DIR* leaves = opendir(pool.c_str())) {
      std::vector<std::string> subdirs;
      while (dirent* e = readdir(leaves)) {
        if (e->d_type == DT_DIR && e->d_name[0] != '.') subdirs.emplace_back(e->d_name);
      }
      closedir(leaves);
      for (const std::string& leaf : subdirs) {
        std::string path = pool + "/" + leaf;
        if (std::unique_ptr<Cgroup> cg = OpenCgroup(path, "")) {
          KillAndWait(*cg, std::chrono::milliseconds(1000));
        }
        rmdir(path.c_str());
      }
    }
    rmdir(pool.c_str());
  }
}

}  // namespace

Cgroup::Cgroup(std::string path, std::string relative, int dir_fd, int procs_fd, int events_fd,
               int kill_fd)
    : path_(std::move(path)),
      relative_(std::move(relative)),
      dir_fd_(dir_fd),
      procs_fd_(procs_fd),
      events_fd_(events_fd),
      kill_fd_(kill_fd) {}

Cgroup::~Cgroup() {
  for (int fd : {procs_fd_, events_fd_, kill_fd_, dir_fd_}) {
    if (fd >= 0) close(fd);
  }
}

bool Cgroup::Populated() const {
  std::array<char, 128> buf{};
  ssize_t n = pread(events_fd_, buf.data(), buf.size() - 1, 0);
  if (n <= 0) return false;
  return std::string_view(buf.data(), static_cast<size_t>(n)).find("populated 1") !=
         std::string_view::npos;
}

std::vector<pid_t> Cgroup::Pids() const {
  std::vector<pid_t> pids;
  int fd = openat(dir_fd_, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return pids;
  std::string text;
  std::array<char, 4096> buf{};
  for (ssize_t n; (n = read(fd, buf.data(), buf.size())) > 0;) {
    text.append(buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    pid_t pid = 0;
    auto [next, ec] = std::from_chars(p, end, pid);
    if (ec == std::errc() && pid > 0) pids.push_back(pid);
    p = next + 1;
  }
  return pids;
}

void Cgroup::Signal(int sig) const {
  if (sig == SIGKILL && kill_fd_ >= 0 && pwrite(kill_fd_, "1", 1, 0) == 1) return;
  for (pid_t pid : Pids()) kill(pid, sig);
}

std::unique_ptr<CgroupPool> CgroupPool::Create() {
  OwnCgroup own = FindOwnCgroup();
  if (own.dir.empty() || access((own.dir + "/cgroup.procs").c_str(), W_OK) != 0) return nullptr;
  std::string pidns = PidNamespaceId();
  RemoveStalePools(own.dir, pidns);
  static std::atomic<int> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = "/gantry-" + pidns + "-" + std::to_string(getpid()) + "-" +
                       std::to_string(counter.fetch_add(1));
    if (mkdir((own.dir + name).c_str(), 0755) == 0) {
      // Orphans of a run's tree then come to us, not to an init that may be slow to reap
      // them, so that ReapOrphans can leave no trace of a finished run.
      prctl(PR_SET_CHILD_SUBREAPER, 1);
      std::unique_ptr<CgroupPool> pool(new CgroupPool(own.dir + name, own.relative + name));
      CgroupPool* self = pool.get();
      pool->reaper_ = std::thread([self] { self->ReapEvery100Ms(); });
      return pool;
    }
    if (errno != EEXIST) return nullptr;
  }
  return nullptr;
}

void CgroupPool::ReapEvery100Ms() {
  std::unique_lock<std::mutex> lock(reaper_mu_);
  while (!reaper_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
    lock.unlock();
    ReapOrphans();
    lock.lock();
  }
}

void CgroupPool::RemoveMain(pid_t pid) {
  std::lock_guard<std::mutex> lock(mains_mu_);
  auto it = mains_.find(pid);
  if (it != mains_.end()) mains_.erase(it);
}

CgroupPool::~CgroupPool() {
  {
    std::lock_guard<std::mutex> lock(reaper_mu_);
    stopping_ = true;
  }
  reaper_cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (std::unique_ptr<Cgroup>& cg : free_) {
    std::string path = cg->path();
    cg.reset();
    rmdir(path.c_str());
  }
  free_.clear();
  rmdir(path_.c_str());
}

std::unique_ptr<Cgroup> CgroupPool::Acquire() {
  std::string leaf;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      std::unique_ptr<Cgroup> cg = std::move(free_.back());
      free_.pop_back();
      return cg;
    }
    leaf = "/r" + std::to_string(next_++);
  }
  std::string path = path_ + leaf;
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return nullptr;
  return OpenCgroup(path, relative_ + leaf);
}

void CgroupPool::Release(std::unique_ptr<Cgroup> cgroup) {
  if (cgroup == nullptr) return;
  if (cgroup->Populated()) KillAndWait(*cgroup, std::chrono::milliseconds(1000));
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(std::move(cgroup));
}

void CgroupPool::ReapOrphans() {
  siginfo_t info{};
  if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
  // Some child has exited; it may be anybody's (a tree's main process, a child that other
  // code of this process waits for): only zombies of this pool's cgroups that are no tree's
  // main are orphans.
  std::lock_guard<std::mutex> mains(mains_mu_);
  std::vector<pid_t> children;
  if (DIR* tasks = opendir("/proc/self/task")) {
    while (dirent* e = readdir(tasks)) {
      if (e->d_name[0] == '.') continue;
      std::istringstream list(ReadFile(std::string("/proc/self/task/") + e->d_name + "/children"));
      for (pid_t pid = 0; list >> pid;) children.push_back(pid);
    }
    closedir(tasks);
  }
  const std::string prefix = "0::" + relative_ + "/";
  for (pid_t pid : children) {
    std::string proc = "/proc/" + std::to_string(pid);
    std::string stat = ReadFile(proc + "/stat");
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z') continue;
    std::istringstream cgroups(ReadFile(proc + "/cgroup"));
    for (std::string line; std::getline(cgroups, line);) {
      if (line.rfind(prefix, 0) != 0 || mains_.count(pid) != 0) continue;
      int status = 0;
      waitpid(pid, &status, WNOHANG);
    }
  }
}

}  // namespace gantry::backend::host
