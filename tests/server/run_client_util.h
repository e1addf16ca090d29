#pragma once

// Helpers of the `gantry run …` client tests: run the real binary against a server, dispatch
// workflows, wait, and drive a real terminal (tmux on a private socket).

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "server_fixture.h"

namespace gantry::testing {

struct CliResult {
  int code = -1;
  std::string out, err;
};

// Workflows the run-client and watch suites share: a live one printing a line every half
// second, one failing after a second, one sleeping a minute (for cancels and kills).
inline const char kLive[] = R"(name: Live
on: workflow_dispatch
jobs:
  count:
    runs-on: ubuntu-latest
    steps:
      - name: Count
        run: for i in 1 2 3 4 5 6 7 8 9 10; do echo "tick $i"; sleep 0.5; done
      - name: Done
        run: echo finished
)";

inline const char kFail[] = R"(name: Fail
on: workflow_dispatch
jobs:
  breaks:
    runs-on: ubuntu-latest
    steps:
      - name: Break
        run: sleep 1; echo bad; exit 1
)";

inline const char kLong[] = R"(name: Long
on: workflow_dispatch
jobs:
  wait:
    runs-on: ubuntu-latest
    steps:
      - name: Sleep
        run: echo sleeping; sleep 60
)";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The environment of a client command: the server, the token, no hosts.yml of the machine.
inline std::string ClientEnv(const User& u, const std::string& url) {
  static const std::string config = TempDir("runcli-config");
  return "GANTRY_URL=" + Quote(url) + " GANTRY_TOKEN=" + Quote(u.token) +
         " GANTRY_CONFIG_DIR=" + Quote(config);
}

inline CliResult Gantry(const User& u, const std::string& args, std::string url = "") {
  if (url.empty()) url = Url();
  static const std::string dir = TempDir("runcli-out");
  std::string cmd = "cd " + Quote(dir) + " && env NO_COLOR=1 " + ClientEnv(u, url) + " " +
                    GANTRY_BINARY + " " + args + " >" + dir + "/out 2>" + dir + "/err";
  int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ReadFile(dir + "/out"), ReadFile(dir + "/err")};
}

inline int64_t Dispatch(const User& u, const Project& p, const std::string& file,
                        const std::string& ref = "main", std::string url = "") {
  if (url.empty()) url = Url();
  HttpReply r =
      Http("POST", url + "/api/v1/projects/" + p.name + "/workflows/" + file + "/dispatches",
           json{{"ref", ref}}.dump(), u.Auth());
  EXPECT_EQ(r.status, 201) << r.body;
  json runs = r.Json()["runs"];
  return runs.is_array() && !runs.empty() ? runs[0].get<int64_t>() : 0;
}

// Waits until `done` holds (polling every 100 ms); false after `seconds`.
template <typename F>
inline bool Eventually(F done, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

/// A shell command run on a thread of its own, waited for at the latest when this goes away
/// (give the command a `timeout`).
class Background {
 public:
  explicit Background(std::string command)
      : thread_([command = std::move(command)] { (void)std::system(command.c_str()); }) {}
  ~Background() { Join(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

/// A temporary directory, removed at the end of the scope when the test passed (kept for a
/// look otherwise).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) : path_(TempDir(name)) {}
  ~ScratchDir() {
    if (::testing::Test::HasFailure()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A tmux server of its own with one 120x40 pane running a command. The socket name holds the
// process id: ctest runs this binary for SQLite and PostgreSQL at once, with equal counters.
class Tmux {
 public:
  explicit Tmux(const std::string& command)
      : socket_(Unique("gantry-runcli-" + std::to_string(::getpid()) + "-")) {
    Sh("tmux -L " + socket_ + " -f /dev/null new-session -d -x 120 -y 40 " + Quote(command));
  }
  ~Tmux() { (void)std::system(("tmux -L " + socket_ + " kill-server 2>/dev/null").c_str()); }
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;
  /// Types `keys` into the pane ("C-c").
  void Keys(const std::string& keys) const { Sh("tmux -L " + socket_ + " send-keys " + keys); }
  /// tmux's `display -p FORMAT` of the pane ("#{cursor_flag}": 1 while the cursor shows).
  std::string Display(const std::string& format) const {
    return Sh("tmux -L " + socket_ + " display -p " + Quote(format));
  }
  std::string Capture() const {
    std::string out;
    FILE* p = ::popen(("tmux -L " + socket_ + " capture-pane -p 2>/dev/null").c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
  }

 private:
  std::string socket_;
};

inline size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace gantry::testing
