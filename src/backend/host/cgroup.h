#pragma once

// cgroup v2 containment for the host backend: every run gets an (empty, reused) leaf cgroup
// below the caller's own cgroup, so that a whole process tree — including processes that left
// the process group with setsid — can be listed and killed, and its end observed by poll().

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gantry::backend::host {

/// One leaf cgroup. Its descriptors are close-on-exec. Not thread-safe: one run uses it.
class Cgroup {
 public:
  Cgroup(std::string path, std::string relative, int dir_fd, int procs_fd, int events_fd,
         int kill_fd);
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  const std::string& path() const { return path_; }
  /// The path as /proc/<pid>/cgroup shows it ("/gantry-.../r0").
  const std::string& relative() const { return relative_; }
  /// Open for writing: a child writes "0" to move itself in.
  int procs_fd() const { return procs_fd_; }
  /// cgroup.events; poll() reports POLLPRI when "populated" may have changed.
  int events_fd() const { return events_fd_; }
  /// Whether any live process is in the cgroup (zombies do not count).
  bool Populated() const;
  /// The processes in the cgroup now.
  std::vector<pid_t> Pids() const;
  /// Sends `sig` to every process. SIGKILL uses cgroup.kill (kernel 5.14+) when present,
  /// which also catches processes forking concurrently.
  void Signal(int sig) const;

 private:
  std::string path_;
  std::string relative_;
  int dir_fd_;
  int procs_fd_;
  int events_fd_;
  int kill_fd_;  // -1 without cgroup.kill
};

/// The directory `gantry-<pid>-<n>` below this process's cgroup, holding reusable leaves.
/// Thread-safe.
class CgroupPool {
 public:
  /// Finds the cgroup v2 hierarchy (pure or hybrid, e.g. /sys/fs/cgroup/unified) and creates
  /// the pool's directory; nullptr when the machine does not allow it (no cgroup2 mount, no
  /// permission). Also removes pools left by dead processes, killing what they still hold,
  /// and makes this process a child subreaper (see ReapOrphans).
  static std::unique_ptr<CgroupPool> Create();
  ~CgroupPool();
  CgroupPool(const CgroupPool&) = delete;
  CgroupPool& operator=(const CgroupPool&) = delete;

  const std::string& path() const { return path_; }
  /// An empty leaf (a reused one or a new one); nullptr when one cannot be created.
  std::unique_ptr<Cgroup> Acquire();
  /// Returns an empty leaf for reuse.
  void Release(std::unique_ptr<Cgroup> cgroup);
  /// Reaps zombie children of this process that ran in this pool's cgroups and are not the
  /// main process of a tree (those are waited for by their tree): orphans of runs, finished or
  /// running, re-parented here because Create() made this process a child subreaper — also
  /// those of a gantry running inside a step, whose own steps die when it is killed. Cheap
  /// (one waitid) when this process has no zombie child. Also runs every 100 ms on a thread
  /// of the pool, so that an orphan that died is gone while its run goes on, as under init.
  void ReapOrphans();
  /// The lock a tree holds while it spawns its main process and registers it (AddMain), so
  /// that ReapOrphans never takes a main's exit status in between.
  std::unique_lock<std::mutex> LockMains() { return std::unique_lock<std::mutex>(mains_mu_); }
  /// Registers a tree's main process (with LockMains held) / forgets it once it was reaped.
  void AddMainLocked(pid_t pid) { mains_.insert(pid); }
  void RemoveMain(pid_t pid);

 private:
  CgroupPool(std::string path, std::string relative)
      : path_(std::move(path)), relative_(std::move(relative)) {}
  void ReapEvery100Ms();

  std::string path_;
  std::string relative_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Cgroup>> free_;  // guarded by mu_
  int next_ = 0;                               // guarded by mu_
  std::mutex mains_mu_;
  std::multiset<pid_t> mains_;  // guarded by mains_mu_: the trees' main processes not reaped
  std::mutex reaper_mu_;
  std::condition_variable reaper_cv_;
  bool stopping_ = false;  // guarded by reaper_mu_
  std::thread reaper_;
};

}  // namespace gantry::backend::host
