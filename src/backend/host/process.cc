#include "backend/host/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace gantry::backend::host {
namespace {

constexpr std::string_view kDefaultPath = "/usr/bin:/bin";

std::string Join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

// `path` (relative to `cwd`, where the child will run) as seen from this process.
std::string FromCwd(const std::string& cwd, std::string_view path) {
  if (path.front() == '/' || cwd.empty()) return std::string(path);
  return Join(cwd, path);
}

// 0 when `path` is an executable regular file, else the errno execve would report.
int CheckExecutable(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EACCES;
  if (access(path.c_str(), X_OK) != 0) return errno;
  return 0;
}

}  // namespace

core::Result<ExecImage> PrepareExec(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return core::Status::InvalidArgument("no program to run (empty argv)");
  }
  ExecImage image;
  image.cwd = spec.cwd;
  if (!spec.cwd.empty()) {
    struct stat st {};
    if (stat(spec.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return core::Status::InvalidArgument("working directory '" + spec.cwd +
                                           "' does not exist or is not a directory");
    }
  }
  const std::string& program = spec.argv[0];
  if (program.find('/') != std::string::npos) {
    // Checked from here, but exec'd as written after the child's chdir, as execvp would.
    image.path = program;
    if (int err = CheckExecutable(FromCwd(spec.cwd, program)); err != 0) {
      return SpawnError(image, err);
    }
  } else {
    std::string_view path_var = kDefaultPath;
    for (const auto& [name, value] : spec.env) {
      if (name == "PATH") path_var = value;
    }
    int first_error = ENOENT;
    size_t start = 0;
    while (start <= path_var.size() && image.path.empty()) {
      size_t end = path_var.find(':', start);
      if (end == std::string_view::npos) end = path_var.size();
      std::string_view dir = path_var.substr(start, end - start);
      std::string candidate = dir.empty() ? program : Join(dir, program);
      int err = CheckExecutable(FromCwd(spec.cwd, candidate));
      if (err == 0) {
        image.path = std::move(candidate);
      } else if (err == EACCES) {
        first_error = EACCES;
      }
      start = end + 1;
    }
    if (image.path.empty()) {
      if (first_error == EACCES) {
        return core::Status::PermissionDenied("program '" + program +
                                              "' was found in PATH but is not executable");
      }
      return core::Status::NotFound("program '" + program + "' not found in PATH (" +
                                    std::string(path_var) + ")");
    }
  }
  image.storage.reserve(spec.argv.size() + spec.env.size());
  for (const std::string& arg : spec.argv) image.storage.push_back(arg);
  for (const auto& [name, value] : spec.env) image.storage.push_back(name + "=" + value);
  for (size_t i = 0; i < image.storage.size(); ++i) {
    (i < spec.argv.size() ? image.argv : image.envp).push_back(image.storage[i].data());
  }
  image.argv.push_back(nullptr);
  image.envp.push_back(nullptr);
  return image;
}

pid_t SpawnChild(const ExecImage& image, const ChildIo& io, SpawnFailure* failure) {
  // With every signal blocked, no handler of this process can run in the child, which
  // shares our memory until it execs.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const char* path = image.path.c_str();
  const char* cwd = image.cwd.empty() ? nullptr : image.cwd.c_str();
  char* const* argv = image.argv.data();
  char* const* envp = image.envp.data();
  volatile int child_error = 0;
  volatile bool child_in_cgroup_step = false;
  pid_t pid = vfork();
  if (pid == 0) {
    // The child: only system calls from here on (it shares the parent's memory).
    if (setpgid(0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      child_error = errno;
      _exit(127);
    }
    if (io.cgroup_procs_fd >= 0 && write(io.cgroup_procs_fd, "0", 1) != 1) {
      child_error = errno;
      child_in_cgroup_step = true;
      _exit(127);
    }
    if (dup2(io.stdin_fd, 0) < 0 || dup2(io.output_fd, 1) < 0 || dup2(io.output_fd, 2) < 0 ||
        (cwd != nullptr && chdir(cwd) != 0)) {
      child_error = errno;
      _exit(127);
    }
    // Descriptors this process inherited without close-on-exec (a jobserver, a tool's pipe)
    // are not the step's business; ours are all close-on-exec anyway.
    syscall(SYS_close_range, 3U, ~0U, 0U);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      struct sigaction current {};
      if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, nullptr, &current) != 0) continue;
      if (current.sa_handler != SIG_DFL) sigaction(sig, &dfl, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(path, argv, envp);
    child_error = errno;
    _exit(127);
  }
  int vfork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    failure->error = vfork_errno;
    return -1;
  }
  if (child_error != 0) {
    failure->error = child_error;
    failure->joining_cgroup = child_in_cgroup_step;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return -1;
  }
  return pid;
}

core::Status SpawnError(const ExecImage& image, int error) {
  std::string what = "cannot run '" + image.path + "': " + std::strerror(error);
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return core::Status::NotFound(what);
    case EACCES:
    case EPERM:
      return core::Status::PermissionDenied(what);
    case ENOEXEC:
    case E2BIG:
    case ENAMETOOLONG:
      return core::Status::InvalidArgument(what);
    case EAGAIN:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
      return core::Status::Unavailable(what);
    default:
      return core::Status::Internal(what);
  }
}

int MoveAboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

}  // namespace gantry::backend::host
