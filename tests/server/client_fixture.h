#pragma once

// The fixture of the client-command tests: runs the real `gantry` binary against the shared
// test server with its own HOME and GANTRY_CONFIG_DIR in a temp directory, with a pipe or a
// pseudo-terminal as its stdin/stdout.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server_fixture.h"

namespace gantry::testing {

/// What a command printed and its exit code.
struct Cli {
  int code = -1;
  std::string out, err;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline const char* kDispatchWorkflow = R"(name: Greet
on:
  workflow_dispatch:
    inputs:
      greeting:
        description: what to say
        default: hi
jobs:
  say:
    runs-on: ubuntu-latest
    steps:
      - run: echo "greeting=${{ inputs.greeting }}"
)";

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempDir("client");
    fs::create_directories(home_ + "/cwd");
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(home_, ec);
  }

  /// Runs `gantry ARGS` in HOME_/cwd (or `dir`) with a clean environment: HOME and
  /// GANTRY_CONFIG_DIR in the temp dir, GANTRY_URL of the shared server, `env` added
  /// ("NAME=value ..."), `input` on stdin.
  Cli Gantry(const std::string& args, const std::string& input = "", const std::string& env = "",
             const std::string& dir = "") {
    std::string in = home_ + "/stdin", out = home_ + "/stdout", err = home_ + "/stderr";
    std::ofstream(in) << input;
    std::string command = "cd " + Quote(dir.empty() ? home_ + "/cwd" : dir) +
                          " && env -i PATH=\"$PATH\" HOME=" + Quote(home_) +
                          " GANTRY_CONFIG_DIR=" + Quote(home_ + "/conf") +
                          " GANTRY_URL=" + Quote(Url()) + " " + env + " " + GANTRY_BINARY + " " +
                          args + " <" + Quote(in) + " >" + Quote(out) + " 2>" + Quote(err);
    int status = std::system(command.c_str());
    Cli r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
  }

  /// The shell command of `gantry ARGS` as Gantry() runs it, without redirections.
  std::string CommandLine(const std::string& args, const std::string& env = "") {
    return "cd " + Quote(home_ + "/cwd") + " && exec env -i PATH=\"$PATH\" HOME=" + Quote(home_) +
           " GANTRY_CONFIG_DIR=" + Quote(home_ + "/conf") + " GANTRY_URL=" + Quote(Url()) + " " +
           env + " " + GANTRY_BINARY + " " + args;
  }

  /// Signs a new user up through `gantry auth signup` (password on stdin); their name.
  std::string SignUpCli(const std::string& base) {
    std::string name = Unique(base);
    Cli r = Gantry("auth signup -u " + name + " --email " + name + "@x.org", "correct horse\n");
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "✓ Signed up and logged in to " + Url() + " as " + name + "\n");
    return name;
  }

  std::string HostsYml() { return ReadAll(home_ + "/conf/hosts.yml"); }

  /// The token stored in hosts.yml for the shared server.
  std::string StoredToken() {
    std::string yml = HostsYml();
    size_t at = yml.find("token: ");
    if (at == std::string::npos) return "";
    return yml.substr(at + 7, yml.find('\n', at) - at - 7);
  }

  std::string home_;
};

/// A command under a pseudo-terminal: `Expect` reads its output until a text appears,
/// `Send` types into it, `Finish` reads the rest and returns the exit code.
class PtySession {
 public:
  /// Starts `/bin/sh -c command` on a new terminal of 80 columns.
  explicit PtySession(const std::string& command) {
    winsize ws{};
    ws.ws_col = 80;
    ws.ws_row = 24;
    pid_ = ::forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~PtySession() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  /// Reads until the output holds `text` (true) or 20 s passed / the terminal closed (false).
  bool Expect(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (output_.find(text, seen_) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !ReadSome(100)) return false;
    }
    seen_ = output_.find(text, seen_) + text.size();
    return true;
  }
  void Send(const std::string& text) { (void)!::write(master_, text.data(), text.size()); }
  /// Reads until the terminal closes; the exit code.
  int Finish() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && ReadSome(100)) {
    }
    int status = 0;
    for (int i = 0; i < 500 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (::waitpid(pid_, &status, WNOHANG) == 0) {  // still waiting for input: a failure
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  /// Everything the terminal showed so far.
  const std::string& output() const { return output_; }

 private:
  // False at the end of the output (EIO once the child closed the terminal).
  bool ReadSome(int timeout_ms) {
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    char buf[4096];
    ssize_t n = ::read(master_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int master_ = -1;
  pid_t pid_ = -1;
  std::string output_;
  size_t seen_ = 0;
};

}  // namespace gantry::testing
