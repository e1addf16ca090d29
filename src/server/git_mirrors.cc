#include "server/git_mirrors.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <thread>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace gantry::server {
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

}  // namespace

core::Result<std::string> RunProgram(const std::vector<std::string>& args, const std::string& cwd) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return core::Status::Unavailable("pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return core::Status::Unavailable("pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    return core::Status::Unavailable("cannot run " + args[0] + ": " + std::strerror(rc));
  }
  std::string stdout_text, stderr_text;
  std::thread reader(ReadAll, err[0], &stderr_text);
  ReadAll(out[0], &stdout_text);
  reader.join();
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return core::Status::Unavailable(Tail(stderr_text.empty() ? stdout_text : stderr_text));
  }
  return stdout_text;
}

GitMirrors::GitMirrors(std::string root) : root_(std::move(root)) {}

std::string GitMirrors::PathFor(const std::string& owner, const std::string& name) const {
  return root_ + "/" + owner + "/" + name + ".git";
}

std::mutex& GitMirrors::LockFor(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& m = locks_[path];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

core::Status GitMirrors::Create(const std::string& owner, const std::string& name,
                                const std::string& url) {
  std::string path = PathFor(owner, name);
  std::lock_guard<std::mutex> lock(LockFor(path));
  std::error_code ec;
  std::filesystem::create_directories(root_ + "/" + owner, ec);
  std::string tmp = path + ".new";
  std::filesystem::remove_all(tmp, ec);
  auto r = RunProgram({"git", "clone", "--quiet", "--mirror", "--", url, tmp}, "");
  if (!r.ok()) {
    std::filesystem::remove_all(tmp, ec);
    return core::Status::InvalidArgument("cannot clone '" + url + "': " + r.status().message());
  }
  std::filesystem::remove_all(path, ec);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return core::Status::Internal("cannot move the mirror into place: " + ec.message());
  return core::Status::Ok();
}

core::Status GitMirrors::Fetch(const std::string& owner, const std::string& name) {
  std::string path = PathFor(owner, name);
  std::lock_guard<std::mutex> lock(LockFor(path));
  auto r = RunProgram({"git", "fetch", "--quiet", "--prune", "origin"}, path);
  if (!r.ok()) return core::Status::Unavailable("git fetch failed: " + r.status().message());
  return core::Status::Ok();
}

core::Result<std::string> GitMirrors::Resolve(const std::string& owner, const std::string& name,
                                              const std::string& ref) {
  auto r = RunProgram({"git", "rev-parse", "--verify", "--quiet", ref + "^{commit}"},
                      PathFor(owner, name));
  if (!r.ok() || r.value().size() < 40) {
    return core::Status::NotFound("no commit '" + ref + "' in the repository");
  }
  return r.value().substr(0, 40);
}

core::Result<std::map<std::string, std::string>> GitMirrors::Refs(const std::string& owner,
                                                                  const std::string& name) {
  auto r = RunProgram(
      {"git", "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"},
      PathFor(owner, name));
  if (!r.ok()) return r.status();
  std::map<std::string, std::string> refs;
  size_t pos = 0;
  const std::string& text = r.value();
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (line.size() > 41) refs[line.substr(41)] = line.substr(0, 40);
    pos = end + 1;
  }
  return refs;
}

core::Result<std::vector<std::string>> GitMirrors::Workflows(const std::string& owner,
                                                             const std::string& name,
                                                             const std::string& sha) {
  auto r = RunProgram({"git", "ls-tree", "--name-only", sha, ".github/workflows/"},
                      PathFor(owner, name));
  if (!r.ok()) return r.status();
  std::vector<std::string> files;
  size_t pos = 0;
  const std::string& text = r.value();
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string f = text.substr(pos, end - pos);
    auto ends = [&f](std::string_view s) {
      return f.size() >= s.size() && f.compare(f.size() - s.size(), s.size(), s) == 0;
    };
    if (ends(".yml") || ends(".yaml")) files.push_back(f);
    pos = end + 1;
  }
  std::sort(files.begin(), files.end());
  return files;
}

core::Result<std::string> GitMirrors::ReadFile(const std::string& owner, const std::string& name,
                                               const std::string& sha, const std::string& path) {
  auto r = RunProgram({"git", "cat-file", "blob", sha + ":" + path}, PathFor(owner, name));
  if (!r.ok()) return core::Status::NotFound("no file '" + path + "' at " + sha.substr(0, 12));
  return r;
}

core::Result<std::vector<std::string>> GitMirrors::ChangedFiles(const std::string& owner,
                                                                const std::string& name,
                                                                const std::string& before,
                                                                const std::string& after) {
  auto r = RunProgram({"git", "diff", "--name-only", before, after}, PathFor(owner, name));
  if (!r.ok()) return r.status();
  std::vector<std::string> files;
  size_t pos = 0;
  const std::string& text = r.value();
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) files.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return files;
}

core::Result<std::pair<std::string, std::string>> GitMirrors::CommitInfo(const std::string& owner,
                                                                         const std::string& name,
                                                                         const std::string& sha) {
  auto r = RunProgram({"git", "log", "-1", "--format=%an%n%s", sha}, PathFor(owner, name));
  if (!r.ok()) return r.status();
  const std::string& text = r.value();
  size_t nl = text.find('\n');
  std::string author = text.substr(0, nl);
  std::string subject = nl == std::string::npos ? "" : text.substr(nl + 1);
  while (!subject.empty() && subject.back() == '\n') subject.pop_back();
  return std::make_pair(subject, author);
}

}  // namespace gantry::server
