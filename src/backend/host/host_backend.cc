#include "backend/host/host_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "backend/host/cgroup.h"
#include "backend/host/process.h"
#include "backend/host/process_tree.h"

namespace gantry::backend {
namespace {

using Clock = std::chrono::steady_clock;

// How long output may stay silent, once the whole tree has ended, before Run stops reading.
constexpr int kDrainMillis = 100;

// Closes a descriptor on every way out of Run.
struct FdCloser {
  explicit FdCloser(int f) : fd(f) {}
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
};

// Milliseconds until `t` for poll(), rounded up so that the deadline has passed on wake-up.
int MillisUntil(Clock::time_point t, Clock::time_point now) {
  if (t <= now) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

class HostBackend final : public Backend {
 public:
  HostBackend(std::unique_ptr<host::CgroupPool> pool, bool may_fall_back, int devnull)
      : pool_(std::move(pool)), may_fall_back_(may_fall_back), devnull_(devnull) {}
  ~HostBackend() override { close(devnull_); }
  HostBackend(const HostBackend&) = delete;
  HostBackend& operator=(const HostBackend&) = delete;

  core::Result<ProcessResult> Run(const ProcessSpec& spec, const OutputSink& output,
                                  const CancelToken& cancel) override;

 private:
  core::Result<std::unique_ptr<host::ProcessTree>> Start(const host::ExecImage& image,
                                                         const host::ChildIo& io) {
    if (pool_ != nullptr && cgroup_usable_.load(std::memory_order_relaxed)) {
      bool unusable = false;
      auto tree = host::StartCgroupTree(image, io, *pool_, &unusable);
      if (!unusable || !may_fall_back_) return tree;
      // Seen once, it stays so (e.g. a kernel without pidfd_open): stop trying.
      cgroup_usable_.store(false, std::memory_order_relaxed);
    }
    return host::StartReaperTree(image, io);
  }

  std::unique_ptr<host::CgroupPool> pool_;  // null in reaper mode
  const bool may_fall_back_;                // kAuto: reaper mode when cgroups fail
  std::atomic<bool> cgroup_usable_{true};
  int devnull_;
};

core::Result<ProcessResult> HostBackend::Run(const ProcessSpec& spec, const OutputSink& output,
                                             const CancelToken& cancel) {
  const Clock::time_point start = Clock::now();
  ProcessResult result;
  if (cancel.cancelled()) {  // nothing started, nothing to kill
    result.cancelled = true;
    return result;
  }
  core::Result<host::ExecImage> image = host::PrepareExec(spec);
  if (!image.ok()) return image.status();

  std::array<int, 2> pipe_fds{};
  if (pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return core::Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  const int out_fd = host::MoveAboveStdio(pipe_fds[0]);
  FdCloser out_closer{out_fd};
  const int write_fd = host::MoveAboveStdio(pipe_fds[1]);
  host::ChildIo io;
  io.stdin_fd = devnull_;
  io.output_fd = write_fd;
  core::Result<std::unique_ptr<host::ProcessTree>> started = Start(*image, io);
  close(write_fd);  // from now on only the tree holds the write end
  if (!started.ok()) return started.status();
  std::unique_ptr<host::ProcessTree> tree = std::move(started).value();

  enum class Phase { kRunning, kTerminating, kKilling };
  Phase phase = Phase::kRunning;
  const bool has_timeout = spec.timeout.count() > 0;
  const Clock::time_point deadline = start + spec.timeout;
  Clock::time_point kill_at{};
  bool main_done = false;
  bool tree_empty = false;
  bool out_eof = false;
  int wait_status = 0;
  std::array<char, 65536> buf{};

  auto terminate = [&](Clock::time_point now) {
    phase = Phase::kTerminating;
    kill_at = now + spec.kill_grace;
    tree->Signal(false);
  };

  while (!(main_done && tree_empty && out_eof)) {
    std::array<pollfd, 3> fds{};
    size_t n = 0;
    int out_i = -1;
    int proc_i = -1;
    int cancel_i = -1;
    if (!out_eof) {
      out_i = static_cast<int>(n);
      fds[n++] = {out_fd, POLLIN, 0};
    }
    if (!main_done || !tree_empty) {
      proc_i = static_cast<int>(n);
      fds[n++] = main_done ? tree->TreeWatch() : tree->MainWatch();
    }
    if (phase == Phase::kRunning && !main_done) {
      cancel_i = static_cast<int>(n);
      fds[n++] = {cancel.wait_fd(), POLLIN, 0};
    }
    Clock::time_point now = Clock::now();
    int timeout_ms = -1;
    if (phase == Phase::kRunning && has_timeout && !main_done) {
      timeout_ms = MillisUntil(deadline, now);
    } else if (phase == Phase::kTerminating) {
      timeout_ms = MillisUntil(kill_at, now);
    } else if (phase == Phase::kKilling && !tree_empty) {
      timeout_ms = 20;  // re-kill: without cgroup.kill, forks can race the kill
    }
    if (main_done && tree_empty) {
      // Whatever the tree wrote is buffered by now; only a process outside the tree (one
      // that was handed the descriptor) could keep the pipe open: do not wait for it.
      timeout_ms = kDrainMillis;
    }
    int ready = poll(fds.data(), n, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      return core::Status::Internal(std::string("poll: ") + std::strerror(errno));
    }
    if (ready == 0 && main_done && tree_empty) break;
    now = Clock::now();
    if (ready > 0 && out_i >= 0 && fds[out_i].revents != 0) {
      ssize_t got = read(out_fd, buf.data(), buf.size());
      if (got > 0) {
        output(std::string_view(buf.data(), static_cast<size_t>(got)));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        out_eof = true;
      }
    }
    if (ready > 0 && proc_i >= 0 && fds[proc_i].revents != 0) {
      if (!main_done) {
        main_done = tree->CollectMain(&wait_status);
        // Background processes outliving the main one (`sleep 1000 &`) may hold the output
        // pipe open forever: they are ended like a timed-out tree.
        if (main_done && !(tree_empty = tree->Empty()) && phase == Phase::kRunning) {
          terminate(now);
        }
      } else {
        tree_empty = tree->Empty();
      }
    }
    if (ready > 0 && cancel_i >= 0 && fds[cancel_i].revents != 0 && phase == Phase::kRunning) {
      result.cancelled = true;
      terminate(now);
    }
    if (phase == Phase::kRunning && has_timeout && !main_done && now >= deadline) {
      result.timed_out = true;
      terminate(now);
    }
    if (phase == Phase::kTerminating && now >= kill_at && !(main_done && tree_empty)) {
      phase = Phase::kKilling;
      tree->Signal(true);
    } else if (phase == Phase::kKilling && ready == 0 && !tree_empty) {
      tree->Signal(true);
    }
  }
  tree.reset();
  if (WIFSIGNALED(wait_status)) {
    result.signal = WTERMSIG(wait_status);
    result.exit_code = 128 + result.signal;  // as a shell reports it
  } else if (WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

}  // namespace

std::string_view HostIsolationName(HostIsolation isolation) {
  switch (isolation) {
    case HostIsolation::kAuto:
      return "auto";
    case HostIsolation::kCgroup:
      return "cgroup";
    case HostIsolation::kReaper:
      return "reaper";
  }
  return "unknown";
}

core::Result<std::unique_ptr<Backend>> MakeHostBackend(const HostBackendOptions& options,
                                                       HostIsolation* chosen) {
  std::unique_ptr<host::CgroupPool> pool;
  if (options.isolation != HostIsolation::kReaper) pool = host::CgroupPool::Create();
  if (pool == nullptr && options.isolation == HostIsolation::kCgroup) {
    return core::Status::Unavailable(
        "no usable cgroup v2 hierarchy: cgroup2 must be mounted and this process allowed to "
        "create cgroups below its own");
  }
  int devnull = host::MoveAboveStdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull < 0) {
    return core::Status::Unavailable(std::string("/dev/null: ") + std::strerror(errno));
  }
  if (chosen != nullptr) *chosen = pool ? HostIsolation::kCgroup : HostIsolation::kReaper;
  bool may_fall_back = options.isolation == HostIsolation::kAuto;
  return std::unique_ptr<Backend>(
      std::make_unique<HostBackend>(std::move(pool), may_fall_back, devnull));
}

std::unique_ptr<Backend> MakeHostBackend() {
  core::Result<std::unique_ptr<Backend>> backend = MakeHostBackend(HostBackendOptions{});
  if (!backend.ok()) {
    std::fprintf(stderr, "gantry: fatal: %s\n", backend.status().ToString().c_str());
    std::abort();
  }
  return std::move(backend).value();
}

}  // namespace gantry::backend
