#include "core/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <string_view>
#include <thread>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace gantry::core {
namespace {

std::string Tail(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  size_t cut = t.size() > 400 ? t.size() - 400 : 0;
  return t.substr(cut);
}

// Reads `fd` to the end on a thread of its own (stderr), so neither pipe can fill up.
void ReadAll(int fd, std::string* out) {
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
}

// Writes all of `text` to `fd` (a pipe; a reader that went away ends it early).
void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      break;
    }
  }
}

// Reads `fd` to the end like ReadAll; past `deadline` kills the process group `pgid` once
// (its members closing their ends ends the read) and returns true.
bool ReadAllUntil(int fd, std::string* out, pid_t pgid,
                  std::chrono::steady_clock::time_point deadline) {
  bool killed = false;
  char buf[8192];
  for (;;) {
    if (!killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        ::kill(-pgid, SIGKILL);
        killed = true;
        continue;
      }
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return killed;
}

// This process's environment with `extra` set on top, as "NAME=value" strings.
std::vector<std::string> EnvironmentWith(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string, std::less<>> set;  // the last value of each name
  for (const auto& [name, value] : extra) set[name] = value;
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!set.contains(entry.substr(0, entry.find('=')))) env.emplace_back(entry);
  }
  for (const auto& [name, value] : set) env.push_back(name + "=" + value);
  return env;
}

}  // namespace

Result<std::string> RunProgram(const std::vector<std::string>& args, const std::string& cwd,
                               const std::string* input) {
  ProgramOptions options;
  options.cwd = cwd;
  options.input = input;
  return RunProgram(args, options);
}

Result<std::string> RunProgram(const std::vector<std::string>& args,
                               const ProgramOptions& options) {
  const std::string& cwd = options.cwd;
  const std::string* input = options.input;
  const bool timed = options.timeout.count() > 0;
  int out[2], err[2];
  int in[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::Unavailable("pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return Status::Unavailable("pipe failed");
  }
  if (input != nullptr && ::pipe2(in, O_CLOEXEC) != 0) {
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    return Status::Unavailable("pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (input != nullptr) {
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  std::vector<char*> envp;
  if (!options.env.empty()) {
    env_text = EnvironmentWith(options.env);
    for (std::string& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (timed) {
    // A process group of its own, so that a timeout kills what the program started too.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  pid_t pid = 0;
  int rc =
      posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  ::close(err[1]);
  if (in[0] >= 0) ::close(in[0]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    if (in[1] >= 0) ::close(in[1]);
    return Status::NotFound("cannot run " + args[0] + ": " + std::strerror(rc));
  }
  std::string stdout_text, stderr_text;
  std::thread reader(ReadAll, err[0], &stderr_text);
  std::thread writer;
  if (input != nullptr) {
    writer = std::thread([fd = in[1], input] {
      WriteAll(fd, *input);
      ::close(fd);
    });
  }
  bool timed_out = false;
  if (timed) {
    timed_out = ReadAllUntil(out[0], &stdout_text, pid, deadline);
  } else {
    ReadAll(out[0], &stdout_text);
  }
  reader.join();
  if (writer.joinable()) writer.join();
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Status::DeadlineExceeded(args[0] + " did not finish within " +
                                    std::to_string(options.timeout.count()) + " ms");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Unavailable(Tail(stderr_text.empty() ? stdout_text : stderr_text));
  }
  return stdout_text;
}

}  // namespace gantry::core
