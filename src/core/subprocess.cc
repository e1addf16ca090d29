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
#include <optional>
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

enum class ReadEnd { kEof, kTimedOut, kStopped };

// Reads `fd` to the end into `sink`. Past `deadline` (when it has one), or once `sink` returns
// false, kills the process group `pgid` once; its members closing their ends ends the read.
ReadEnd ReadOutput(int fd, const std::function<bool(std::string_view)>& sink, pid_t pgid,
                   std::optional<std::chrono::steady_clock::time_point> deadline) {
  ReadEnd end = ReadEnd::kEof;
  char buf[65536];
  for (;;) {
    if (deadline && end == ReadEnd::kEof) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        ::kill(-pgid, SIGKILL);
        end = ReadEnd::kTimedOut;
        continue;
      }
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      if (end == ReadEnd::kEof && !sink(std::string_view(buf, static_cast<size_t>(n)))) {
        ::kill(-pgid, SIGKILL);
        end = ReadEnd::kStopped;
      }
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return end;
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
  // Its own process group when RunProgram may have to kill what it started.
  const bool grouped = timed || options.on_output != nullptr;
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
  if (grouped) {
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
  ReadEnd read_end = ReadEnd::kEof;
  if (grouped) {
    auto collect = [&stdout_text](std::string_view chunk) {
      stdout_text.append(chunk);
      return true;
    };
    read_end = ReadOutput(out[0], options.on_output ? options.on_output : collect, pid,
                          timed ? std::optional(deadline) : std::nullopt);
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
  if (read_end == ReadEnd::kStopped) {
    return Status::Cancelled(args[0] + " was stopped: its output was not wanted any more");
  }
  if (read_end == ReadEnd::kTimedOut) {
    return Status::DeadlineExceeded(args[0] + " did not finish within " +
                                    std::to_string(options.timeout.count()) + " ms");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Unavailable(Tail(stderr_text.empty() ? stdout_text : stderr_text));
  }
  return stdout_text;
}

}  // namespace gantry::core
