// ProcessTree without cgroups: a helper forked from this process becomes a child subreaper,
// spawns the main process and then only waits, reaps and relays signals. Orphans of the tree
// are re-parented to the helper (not to init), so "the helper has no children left" means
// "nothing of the tree is left", and the helper's exit — EOF on its status pipe — says so.
//
// The helper is a fork of a possibly multi-threaded process: it only makes system calls and
// uses memory prepared before the fork.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "backend/host/process_tree.h"

namespace gantry::backend::host {
namespace {

struct Message {
  int32_t kind;   // kStarted or kExited
  int32_t value;  // the main pid (negative: failed to start), or its wait status
  int32_t error;  // errno of a failed start
};
constexpr int32_t kStarted = 1;
constexpr int32_t kExited = 2;

bool WriteMessage(int fd, const Message& m) {
  ssize_t n;
  do {
    n = write(fd, &m, sizeof m);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof m);  // atomic: smaller than PIPE_BUF
}

// Closes every descriptor except the three the helper needs.
void CloseAllExcept(int a, int b, int c) {
  std::array<int, 3> keep = {a, b, c};
  std::sort(keep.begin(), keep.end());
  unsigned first = 0;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > first) {
      if (syscall(SYS_close_range, first, static_cast<unsigned>(fd) - 1, 0) != 0) {
        for (unsigned i = first; i < static_cast<unsigned>(fd); ++i) close(static_cast<int>(i));
      }
    }
    first = static_cast<unsigned>(fd) + 1;
  }
  if (syscall(SYS_close_range, first, ~0U, 0) != 0) {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    for (rlim_t i = first; i < lim.rlim_cur && i < 65536; ++i) close(static_cast<int>(i));
  }
}

// A path built in a fixed buffer (the helper must not allocate).
class PathBuf {
 public:
  PathBuf& Add(const char* s) {
    while (*s != '\0' && len_ + 1 < data_.size()) data_[len_++] = *s++;
    data_[len_] = '\0';
    return *this;
  }
  PathBuf& Add(pid_t v) {
    std::array<char, 16> digits{};
    size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0 && n < digits.size());
    while (n > 0 && len_ + 1 < data_.size()) data_[len_++] = digits[--n];
    data_[len_] = '\0';
    return *this;
  }
  const char* c_str() const { return data_.data(); }

 private:
  std::array<char, 64> data_{};
  size_t len_ = 0;
};

// Parses a decimal pid at the start of `s`; 0 when there is none.
pid_t ParsePid(const char* s) {
  pid_t v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + (*s - '0');
  return *s == '\0' ? v : 0;
}

// The parent of `pid` from /proc/<pid>/stat ("pid (comm) state ppid ..."); -1 if unknown.
pid_t ParentOf(pid_t pid) {
  int fd = open(PathBuf().Add("/proc/").Add(pid).Add("/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::array<char, 1024> buf{};
  ssize_t n = read(fd, buf.data(), buf.size() - 1);
  close(fd);
  ssize_t i = n - 1;
  while (i >= 0 && buf[static_cast<size_t>(i)] != ')') --i;
  if (i < 0 || i + 4 >= n) return -1;
  pid_t ppid = 0;
  for (size_t j = static_cast<size_t>(i) + 4; buf[j] >= '0' && buf[j] <= '9'; ++j) {
    ppid = ppid * 10 + (buf[j] - '0');
  }
  return ppid;
}

// Calls fn(pid) for every child of the calling (single-threaded) process: from
// /proc/<pid>/task/<pid>/children, or by scanning /proc where the kernel lacks that file.
template <typename Fn>
void ForEachChild(pid_t self, Fn fn) {
  int fd = open(PathBuf().Add("/proc/").Add(self).Add("/task/").Add(self).Add("/children").c_str(),
                O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    std::array<char, 4096> buf{};
    pid_t current = 0;
    for (ssize_t n; (n = read(fd, buf.data(), buf.size())) > 0;) {
      for (ssize_t i = 0; i < n; ++i) {
        char ch = buf[static_cast<size_t>(i)];
        if (ch >= '0' && ch <= '9') {
          current = current * 10 + (ch - '0');
        } else if (current > 0) {
          fn(current);
          current = 0;
        }
      }
    }
    if (current > 0) fn(current);
    close(fd);
    return;
  }
  int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  alignas(dirent64) std::array<char, 8192> entries{};
  for (long n; (n = syscall(SYS_getdents64, dir, entries.data(), entries.size())) > 0;) {
    for (long off = 0; off < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(entries.data() + off);
      off += entry->d_reclen;
      pid_t pid = ParsePid(entry->d_name);
      if (pid > 0 && ParentOf(pid) == self) fn(pid);
    }
  }
  close(dir);
}

// Remembers which children already got SIGTERM, so that each gets it once.
struct Signaled {
  std::array<pid_t, 512> pids{};
  size_t count = 0;
  bool Insert(pid_t pid) {
    for (size_t i = 0; i < count; ++i) {
      if (pids[i] == pid) return false;
    }
    if (count < pids.size()) pids[count++] = pid;
    return true;
  }
};

// Signals the main process group (when `send_group`) and every child of the helper, except
// members of the main group when `skip_group` (they got it as a group) and, with `once`,
// children that got it before.
void SignalTree(pid_t self, pid_t main, bool send_group, bool skip_group, int sig, Signaled* once) {
  if (send_group) killpg(main, sig);
  ForEachChild(self, [&](pid_t child) {
    if (skip_group && getpgid(child) == main) return;
    if (once != nullptr && !once->Insert(child)) return;
    kill(child, sig);
    kill(-child, sig);  // the group a setsid/setpgid child leads, if any
  });
}

[[noreturn]] void RunHelper(const ExecImage& image, const ChildIo& io, int status_fd,
                            pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &dfl, nullptr);  // an ignored SIGCHLD would reap children for us
  CloseAllExcept(io.stdin_fd, io.output_fd, status_fd);
  SpawnFailure failure;
  pid_t main = SpawnChild(image, io, &failure);
  close(io.output_fd);
  close(io.stdin_fd);
  WriteMessage(status_fd, {kStarted, main, failure.error});
  if (main < 0) _exit(0);
  pid_t self = getpid();
  sigset_t wait_set;
  sigemptyset(&wait_set);
  sigaddset(&wait_set, SIGCHLD);
  sigaddset(&wait_set, SIGTERM);
  sigaddset(&wait_set, SIGUSR1);
  bool main_reaped = false;
  bool terminating = false;
  bool group_terminated = false;
  bool killing = false;
  Signaled terminated;
  for (;;) {
    for (;;) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        if (pid == main) {
          main_reaped = true;
          WriteMessage(status_fd, {kExited, status, 0});
        }
        continue;
      }
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0) _exit(0);  // ECHILD: nothing of the tree is left
      break;
    }
    // Orphans re-parented to us since the last signal get it too.
    if (killing) {
      SignalTree(self, main, !main_reaped, false, SIGKILL, nullptr);
    } else if (terminating) {
      SignalTree(self, main, false, group_terminated, SIGTERM, &terminated);
    }
    int sig = sigwaitinfo(&wait_set, nullptr);
    if (sig == SIGTERM && !terminating && !killing) {
      terminating = true;
      group_terminated = !main_reaped;
      SignalTree(self, main, group_terminated, group_terminated, SIGTERM, &terminated);
    } else if (sig == SIGUSR1) {
      killing = true;
    }
  }
}

class ReaperTree final : public ProcessTree {
 public:
  ReaperTree(pid_t helper, int status_fd) : helper_(helper), status_fd_(status_fd) {}

  ~ReaperTree() override {
    if (!helper_done_) {
      kill(helper_, SIGUSR1);
      int flags = fcntl(status_fd_, F_GETFL);
      fcntl(status_fd_, F_SETFL, flags & ~O_NONBLOCK);
      while (!helper_done_) Drain();
    }
    close(status_fd_);
  }

  pollfd MainWatch() const override { return {status_fd_, POLLIN, 0}; }

  bool CollectMain(int* wait_status) override {
    Drain();
    if (main_exited_) *wait_status = main_status_;
    return main_exited_;
  }

  pollfd TreeWatch() const override { return {status_fd_, POLLIN, 0}; }

  bool Empty() override {
    Drain();
    return helper_done_;
  }

  void Signal(bool kill_all) override {
    if (!helper_done_) kill(helper_, kill_all ? SIGUSR1 : SIGTERM);
  }

 private:
  // Reads what the helper sent; at EOF the helper has exited: reap it.
  void Drain() {
    while (!helper_done_) {
      Message m{};
      ssize_t n = read(status_fd_, &m, sizeof m);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;  // EAGAIN: nothing more now
      if (n == 0) {
        int status = 0;
        while (waitpid(helper_, &status, 0) < 0 && errno == EINTR) {
        }
        helper_done_ = true;
        if (!main_exited_) {  // the helper died before reporting: count it as killed
          main_exited_ = true;
          main_status_ = SIGKILL;
        }
        return;
      }
      if (m.kind == kExited) {
        main_exited_ = true;
        main_status_ = m.value;
      }
    }
  }

  pid_t helper_;
  int status_fd_;
  bool main_exited_ = false;
  int main_status_ = 0;
  bool helper_done_ = false;
};

}  // namespace

core::Result<std::unique_ptr<ProcessTree>> StartReaperTree(const ExecImage& image,
                                                           const ChildIo& io) {
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0) {
    return core::Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  int read_fd = MoveAboveStdio(fds[0]);
  int write_fd = MoveAboveStdio(fds[1]);
  pid_t parent = getpid();
  // No handler of ours may run in the helper before it has settled its signal state.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t helper = fork();
  if (helper == 0) RunHelper(image, io, write_fd, parent);
  int fork_error = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(write_fd);
  if (helper < 0) {
    close(read_fd);
    return core::Status::Unavailable(std::string("fork: ") + std::strerror(fork_error));
  }
  Message started{};
  ssize_t n;
  do {
    n = read(read_fd, &started, sizeof started);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof started) || started.kind != kStarted || started.value < 0) {
    int status = 0;
    while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {
    }
    close(read_fd);
    if (n == static_cast<ssize_t>(sizeof started) && started.value < 0) {
      return SpawnError(image, started.error);
    }
    return core::Status::Internal("the process helper ended before starting the program");
  }
  fcntl(read_fd, F_SETFL, fcntl(read_fd, F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<ProcessTree>(std::make_unique<ReaperTree>(helper, read_fd));
}

}  // namespace gantry::backend::host
