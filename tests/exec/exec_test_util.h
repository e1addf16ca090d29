#pragma once

// Helpers of the `gantry exec` integration tests: a temporary project folder and a way to run
// the real gantry binary in it.

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace gantry::exec_test {

namespace fs = std::filesystem;

/// What a finished gantry process left.
struct Finished {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// A gantry process started in the background (stdout/stderr go to files in `dir`).
class Process {
 public:
  Process(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& dir,
          const std::vector<std::string>& env_extra = {})
      : out_(dir / "stdout.txt"), err_(dir / "stderr.txt") {
    std::vector<std::string> argv = {GANTRY_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    env.insert(env.end(), env_extra.begin(), env_extra.end());
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    if (posix_spawn(&pid_, argv[0].c_str(), &fa, nullptr, cargv.data(), envp.data()) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&fa);
  }
  pid_t pid() const { return pid_; }
  /// Waits at most `limit`; kills the process when it is still running then.
  Finished Wait(std::chrono::seconds limit = std::chrono::seconds(60)) {
    Finished f;
    if (pid_ < 0) return f;
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (WIFEXITED(status)) f.exit_code = WEXITSTATUS(status);
    f.out = ReadFile(out_);
    f.err = ReadFile(err_);
    return f;
  }

 private:
  pid_t pid_ = -1;
  fs::path out_, err_;
};

/// A temporary project: `root` holds the workflows under .github/workflows/ and is the
/// current directory of every run. Optionally a git repository.
class Project {
 public:
  Project() {
    std::string pattern = (fs::temp_directory_path() / "gantry-exec-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) base_ = pattern;
    root_ = base_ / "project";
    fs::create_directories(root_ / ".github" / "workflows");
  }
  ~Project() {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }
  Project(const Project&) = delete;
  Project& operator=(const Project&) = delete;

  const fs::path& root() const { return root_; }
  const fs::path& base() const { return base_; }
  void Write(const fs::path& rel, const std::string& content) const {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << content;
  }
  void Workflow(const std::string& name, const std::string& yaml) const {
    Write(fs::path(".github") / "workflows" / name, yaml);
  }
  /// `git init` with one commit of everything written so far on branch `branch`.
  void GitInit(const std::string& branch = "main") const {
    Sh("git init -q -b " + branch +
       " && git config user.name Tester && "
       "git config user.email t@example.com && git add -A && git commit -q -m init");
  }
  void Sh(const std::string& command) const {
    std::string full = "cd '" + root_.string() + "' && " + command + " >/dev/null 2>&1";
    if (std::system(full.c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
  /// Runs gantry with `args` in root and waits for it.
  Finished Run(const std::vector<std::string>& args,
               const std::vector<std::string>& env = {}) const {
    Process p(args, root_, base_, env);
    return p.Wait();
  }

 private:
  fs::path base_;
  fs::path root_;
};

}  // namespace gantry::exec_test
