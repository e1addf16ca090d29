// ProcessTree on a cgroup v2 leaf: the cgroup holds every descendant whatever its process
// group or session, cgroup.kill ends them all at once, and cgroup.events says when none is
// left. The main process is watched through a pidfd.

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "backend/host/process_tree.h"

namespace gantry::backend::host {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

class CgroupTree final : public ProcessTree {
 public:
  CgroupTree(CgroupPool& pool, std::unique_ptr<Cgroup> cgroup, pid_t main, int pidfd)
      : pool_(pool), cgroup_(std::move(cgroup)), main_(main), pidfd_(pidfd) {}

  ~CgroupTree() override {
    if (!main_reaped_ || cgroup_->Populated()) {
      Signal(true);
      int status = 0;
      if (!main_reaped_) {
        while (waitpid(main_, &status, 0) < 0 && errno == EINTR) {
        }
        pool_.RemoveMain(main_);
      }
      main_reaped_ = true;
      while (cgroup_->Populated()) {
        cgroup_->Signal(SIGKILL);
        pollfd pfd = TreeWatch();
        poll(&pfd, 1, 20);
      }
    }
    close(pidfd_);
    pool_.Release(std::move(cgroup_));
    pool_.ReapOrphans();
  }

  pollfd MainWatch() const override { return {pidfd_, POLLIN, 0}; }

  bool CollectMain(int* wait_status) override {
    if (main_reaped_) return true;
    pid_t r;
    do {
      r = waitpid(main_, wait_status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == main_ || (r < 0 && errno == ECHILD)) {
      main_reaped_ = true;
      pool_.RemoveMain(main_);
    }
    return main_reaped_;
  }

  pollfd TreeWatch() const override { return {cgroup_->events_fd(), POLLPRI, 0}; }

  bool Empty() override { return !cgroup_->Populated(); }

  void Signal(bool kill_all) override {
    int sig = kill_all ? SIGKILL : SIGTERM;
    // The process group first (one atomic signal), while its id is surely still ours.
    if (!main_reaped_) killpg(main_, sig);
    if (kill_all) {
      cgroup_->Signal(SIGKILL);
      return;
    }
    for (pid_t pid : cgroup_->Pids()) {
      if (main_reaped_ || getpgid(pid) != main_) kill(pid, sig);
    }
  }

 private:
  CgroupPool& pool_;
  std::unique_ptr<Cgroup> cgroup_;
  pid_t main_;
  int pidfd_;
  bool main_reaped_ = false;
};

}  // namespace

core::Result<std::unique_ptr<ProcessTree>> StartCgroupTree(const ExecImage& image,
                                                           const ChildIo& io, CgroupPool& pool,
                                                           bool* unusable) {
  *unusable = true;  // until the process runs in its cgroup
  std::unique_ptr<Cgroup> cgroup = pool.Acquire();
  if (cgroup == nullptr) {
    return core::Status::Unavailable("cannot create a cgroup below " + pool.path());
  }
  ChildIo child_io = io;
  child_io.cgroup_procs_fd = cgroup->procs_fd();
  SpawnFailure failure;
  pid_t pid = -1;
  {
    // Registered before ReapOrphans can see it exit: its status is its tree's.
    std::unique_lock<std::mutex> mains = pool.LockMains();
    pid = SpawnChild(image, child_io, &failure);
    if (pid > 0) pool.AddMainLocked(pid);
  }
  if (pid < 0) {
    pool.Release(std::move(cgroup));
    if (failure.joining_cgroup) {
      return core::Status::Unavailable("cannot move a process into " + pool.path() + ": " +
                                       std::strerror(failure.error));
    }
    *unusable = false;
    return SpawnError(image, failure.error);
  }
  int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    int err = errno;
    killpg(pid, SIGKILL);
    cgroup->Signal(SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    pool.RemoveMain(pid);
    pool.Release(std::move(cgroup));
    return core::Status::Unavailable(std::string("pidfd_open failed: ") + std::strerror(err));
  }
  *unusable = false;
  return std::unique_ptr<ProcessTree>(
      std::make_unique<CgroupTree>(pool, std::move(cgroup), pid, pidfd));
}

}  // namespace gantry::backend::host
