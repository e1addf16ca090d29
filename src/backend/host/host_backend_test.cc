#include "backend/host/host_backend.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gantry::backend {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const char* const kPath = "/usr/local/bin:/usr/bin:/bin";

// A temporary directory removed at the end of the test.
struct TempDir {
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "gantry-host-XXXXXX").string();
    path = mkdtemp(templ.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Whether anything of `pid` is left, a zombie included: Run reaps what it started.
bool IsAlive(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

pid_t ReadPid(const std::string& path) { return static_cast<pid_t>(std::stol(ReadFile(path))); }

class HostBackendTest : public ::testing::TestWithParam<HostIsolation> {
 protected:
  void SetUp() override {
    HostIsolation chosen = HostIsolation::kAuto;
    auto made = MakeHostBackend(HostBackendOptions{GetParam()}, &chosen);
    if (!made.ok()) GTEST_SKIP() << made.status().ToString();
    backend_ = std::move(made).value();
    ASSERT_EQ(chosen, GetParam());
  }

  ProcessSpec Spec(std::vector<std::string> argv) const {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.cwd = dir_.path;
    spec.env = {{"PATH", kPath}};
    return spec;
  }

  // Runs `spec`, collecting the output.
  core::Result<ProcessResult> Run(const ProcessSpec& spec, std::string* out) {
    CancelToken never;
    return backend_->Run(
        spec, [out](std::string_view chunk) { out->append(chunk); }, never);
  }

  ProcessResult MustRun(const ProcessSpec& spec, std::string* out) {
    auto r = Run(spec, out);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ProcessResult{};
  }

  ProcessResult Bash(const std::string& script, std::string* out) {
    return MustRun(Spec({"bash", "-c", script}), out);
  }

  TempDir dir_;
  std::unique_ptr<Backend> backend_;
};

TEST_P(HostBackendTest, ReportsExitCode) {
  std::string out;
  ProcessResult ok = Bash("exit 0", &out);
  EXPECT_TRUE(ok.ok());
  ProcessResult r = Bash("exit 3", &out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
}

TEST_P(HostBackendTest, ReportsTerminatingSignal) {
  std::string out;
  ProcessResult r = Bash("kill -KILL $$", &out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_FALSE(r.ok());
}

TEST_P(HostBackendTest, MergesStdoutAndStderrInArrivalOrder) {
  std::string out;
  Bash("echo one; echo two >&2; echo three; echo four >&2", &out);
  EXPECT_EQ(out, "one\ntwo\nthree\nfour\n");
}

TEST_P(HostBackendTest, StreamsOutputWhileTheProcessRuns) {
  // The process waits for a file that the sink creates when it sees the first line: the
  // run only finishes if the first chunk was delivered before the process ended.
  std::string go = dir_.path + "/go";
  std::string out;
  CancelToken never;
  ProcessSpec spec = Spec({"bash", "-c",
                           "echo first; for i in $(seq 500); do [ -e go ] && break; sleep 0.01;"
                           " done; [ -e go ] && echo second"});
  auto r = backend_->Run(
      spec,
      [&](std::string_view chunk) {
        out.append(chunk);
        if (out.find("first\n") != std::string::npos) std::ofstream(go).put('x');
      },
      never);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(out, "first\nsecond\n");
}

TEST_P(HostBackendTest, DeliversLargeOutputCompletely) {
  std::string out;
  ProcessResult r = Bash("head -c 3000000 /dev/zero | tr '\\0' x", &out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(out.size(), 3000000u);
  EXPECT_EQ(out.find_first_not_of('x'), std::string::npos);
}

TEST_P(HostBackendTest, EnvironmentIsExactlyTheSpecEnvironment) {
  ProcessSpec spec = Spec({"/usr/bin/env"});
  spec.env = {{"A", "1"}, {"B", "two words"}, {"EMPTY", ""}};
  std::string out;
  MustRun(spec, &out);
  EXPECT_EQ(out, "A=1\nB=two words\nEMPTY=\n");
}

TEST_P(HostBackendTest, RunsInTheWorkingDirectory) {
  std::string out;
  MustRun(Spec({"pwd"}), &out);
  EXPECT_EQ(out, dir_.path + "\n");
}

TEST_P(HostBackendTest, ResolvesProgramsAgainstSpecPathAndWorkingDirectory) {
  fs::create_directories(dir_.path + "/bin");
  std::ofstream(dir_.path + "/bin/hello") << "#!/bin/sh\necho hello from $0\n";
  fs::permissions(dir_.path + "/bin/hello", fs::perms::owner_all);
  std::string out;
  ProcessSpec spec = Spec({"hello"});
  spec.env = {{"PATH", "/nonexistent:" + dir_.path + "/bin"}};
  MustRun(spec, &out);  // a script sees the path it was found at, as with execvp
  EXPECT_EQ(out, "hello from " + dir_.path + "/bin/hello\n");
  out.clear();
  MustRun(Spec({"./bin/hello"}), &out);  // relative to the working directory
  EXPECT_EQ(out, "hello from ./bin/hello\n");
  out.clear();
  spec.env = {{"PATH", "bin"}};  // a relative PATH entry, also against the working directory
  MustRun(spec, &out);
  EXPECT_EQ(out, "hello from bin/hello\n");
}

TEST_P(HostBackendTest, MissingProgramIsNotFound) {
  std::string out;
  auto r = Run(Spec({"gantry-no-such-program"}), &out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("gantry-no-such-program"), std::string::npos);
  auto abs = Run(Spec({"/nonexistent/prog"}), &out);
  EXPECT_EQ(abs.status().code(), core::StatusCode::kNotFound);
  ProcessSpec no_path = Spec({"gantry-no-such-program"});
  no_path.env.clear();
  EXPECT_EQ(Run(no_path, &out).status().code(), core::StatusCode::kNotFound);
}

TEST_P(HostBackendTest, NonExecutableProgramIsPermissionDenied) {
  std::ofstream(dir_.path + "/data.txt") << "not a program\n";
  std::string out;
  auto r = Run(Spec({"./data.txt"}), &out);
  EXPECT_EQ(r.status().code(), core::StatusCode::kPermissionDenied);
}

TEST_P(HostBackendTest, MissingWorkingDirectoryIsInvalidArgument) {
  ProcessSpec spec = Spec({"true"});
  spec.cwd = dir_.path + "/missing";
  std::string out;
  auto r = Run(spec, &out);
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run(Spec({}), &out).status().code(), core::StatusCode::kInvalidArgument);
}

TEST_P(HostBackendTest, ChildHasEmptyStdinOnlyStdioAndItsOwnProcessGroup) {
  std::string out;
  Bash(
      "cat; read -r _ _ _ _ pgrp _ < /proc/$$/stat; [ \"$pgrp\" = $$ ] && echo own-group;"
      " exec ls /proc/self/fd",
      &out);
  EXPECT_EQ(out, "own-group\n0\n1\n2\n3\n");  // 3: the directory ls reads
}

TEST_P(HostBackendTest, ChildStartsWithDefaultSignalDispositions) {
  struct sigaction ignore {};
  struct sigaction old_pipe {};
  struct sigaction old_hup {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);
  sigaction(SIGHUP, &ignore, &old_hup);
  std::string out;
  MustRun(Spec({"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"}), &out);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  // glibc reserves signals 32 and 33 for itself and refuses to change their disposition,
  // so an ignored 32/33 inherited from whoever started the test survives exec; every other
  // signal must be back at its default.
  const std::string ign_prefix = "SigIgn:\t";
  size_t at = out.find(ign_prefix);
  ASSERT_NE(at, std::string::npos) << out;
  unsigned long long ignored = std::stoull(out.substr(at + ign_prefix.size(), 16), nullptr, 16);
  constexpr unsigned long long kGlibcReserved = (1ULL << 31) | (1ULL << 32);
  EXPECT_EQ(ignored & ~kGlibcReserved, 0ULL) << out;
  EXPECT_EQ(out.substr(0, at), "SigBlk:\t0000000000000000\n");
}

TEST_P(HostBackendTest, TimeoutKillsTheWholeTreeIncludingEscapedChildren) {
  ProcessSpec spec = Spec({"bash", "-c",
                           "sleep 1000 & echo $! > bg; setsid sleep 1000 & echo $! > sid;"
                           " echo started; sleep 1000"});
  spec.timeout = milliseconds(400);
  spec.kill_grace = milliseconds(2000);
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = MustRun(spec, &out);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_EQ(out, "started\n");
  EXPECT_LT(took, milliseconds(1500)) << "SIGTERM should have ended the tree before SIGKILL";
  EXPECT_FALSE(IsAlive(ReadPid(dir_.path + "/bg")));
  EXPECT_FALSE(IsAlive(ReadPid(dir_.path + "/sid")));
}

TEST_P(HostBackendTest, BackgroundChildrenDoNotHoldTheRunOpenAfterTheMainProcessExits) {
  ProcessSpec spec = Spec({"bash", "-c",
                           "sleep 1000 & echo $! > bg; setsid sleep 1000 & echo $! > sid;"
                           " echo done"});
  spec.kill_grace = milliseconds(3000);
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = MustRun(spec, &out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(out, "done\n");
  EXPECT_FALSE(IsAlive(ReadPid(dir_.path + "/bg")));
  EXPECT_FALSE(IsAlive(ReadPid(dir_.path + "/sid")));
}

// An orphan of the tree that dies while the main process still runs is reaped at once (as
// init would), not left a zombie until the run ends: in cgroup mode this process is the
// orphans' subreaper (e.g. of a gantry run inside a step, whose own steps die with it).
TEST_P(HostBackendTest, AnOrphanThatDiesMidRunIsReapedWhileTheRunGoesOn) {
  std::string out;
  ProcessResult r = Bash(
      "(sh -c 'echo $$ > orphan; exec sleep 0.2' &); sleep 1;"
      " if kill -0 $(cat orphan) 2>/dev/null; then echo left; else echo reaped; fi",
      &out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(out, "reaped\n");
}

TEST_P(HostBackendTest, ProcessIgnoringSigtermGetsSigkillAfterTheGrace) {
  ProcessSpec spec = Spec({"bash", "-c",
                           "trap 'echo got-term' TERM; echo started;"
                           " while :; do sleep 0.05; done"});
  spec.timeout = milliseconds(300);
  spec.kill_grace = milliseconds(300);
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = MustRun(spec, &out);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_NE(out.find("got-term"), std::string::npos) << out;
  EXPECT_GE(took, milliseconds(600));
  EXPECT_LT(took, milliseconds(3000));
}

TEST_P(HostBackendTest, CancelFromAnotherThreadEndsTheRun) {
  ProcessSpec spec = Spec({"bash", "-c",
                           "sleep 1000 & echo $! > bg; (setsid sleep 1000 & echo $! > sid);"
                           " echo started; wait"});
  CancelToken cancel;
  std::atomic<bool> started{false};
  std::thread canceller([&] {
    while (!started.load()) std::this_thread::sleep_for(milliseconds(1));
    cancel.Cancel();
  });
  std::string out;
  auto r = backend_->Run(
      spec,
      [&](std::string_view chunk) {
        out.append(chunk);
        if (out.find("started") != std::string::npos) started = true;
      },
      cancel);
  canceller.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->cancelled);
  EXPECT_FALSE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_FALSE(IsAlive(ReadPid(dir_.path + "/bg")));
  EXPECT_FALSE(IsAlive(ReadPid(dir_.path + "/sid")));
}

TEST_P(HostBackendTest, AlreadyCancelledTokenStartsNothing) {
  CancelToken cancel;
  cancel.Cancel();
  cancel.Cancel();  // idempotent
  std::string out;
  auto r = backend_->Run(
      Spec({"bash", "-c", "touch ran"}), [&](std::string_view c) { out.append(c); }, cancel);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->cancelled);
  EXPECT_FALSE(fs::exists(dir_.path + "/ran"));
}

TEST_P(HostBackendTest, FiftyConcurrentRunsAreIndependent) {
  constexpr int kRuns = 50;
  std::vector<std::thread> threads;
  threads.reserve(kRuns);
  std::vector<std::string> outputs(kRuns);
  std::vector<ProcessResult> results(kRuns);
  std::atomic<int> failures{0};
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] {
      ProcessSpec spec = Spec({"sh", "-c", "echo run-$N; ls /proc/self/fd; exit $((N % 7))"});
      spec.env.emplace_back("N", std::to_string(i));
      auto r = Run(spec, &outputs[i]);
      if (!r.ok()) {
        ++failures;
      } else {
        results[i] = *r;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < kRuns; ++i) {
    EXPECT_EQ(outputs[i], "run-" + std::to_string(i) + "\n0\n1\n2\n3\n") << i;
    EXPECT_EQ(results[i].exit_code, i % 7) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Isolation, HostBackendTest,
                         ::testing::Values(HostIsolation::kCgroup, HostIsolation::kReaper),
                         [](const auto& info) {
                           return std::string(HostIsolationName(info.param));
                         });

TEST(HostBackendCgroupTest, EachRunGetsItsOwnCgroup) {
  auto made = MakeHostBackend(HostBackendOptions{HostIsolation::kCgroup});
  if (!made.ok()) GTEST_SKIP() << made.status().ToString();
  std::string out;
  CancelToken never;
  ProcessSpec spec;
  spec.argv = {"/bin/cat", "/proc/self/cgroup"};
  auto r = (*made)->Run(
      spec, [&](std::string_view c) { out.append(c); }, never);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(out.find("0::/"), std::string::npos) << out;
  EXPECT_NE(out.find("/gantry-"), std::string::npos) << out;
}

TEST(HostBackendCgroupTest, DefaultBackendWorks) {
  std::unique_ptr<Backend> backend = MakeHostBackend();
  std::string out;
  CancelToken never;
  ProcessSpec spec;
  spec.argv = {"/bin/echo", "hi"};
  auto r = backend->Run(
      spec, [&](std::string_view c) { out.append(c); }, never);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(out, "hi\n");
  EXPECT_GE(r->duration.count(), 0);
}

}  // namespace
}  // namespace gantry::backend
