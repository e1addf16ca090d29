#include "backend/sandbox/sandbox_backend.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace gantry::backend {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const char* const kPath = "/usr/local/bin:/usr/bin:/bin";

struct TempDir {
  // Under `base`: the sandbox sees the host's /var/tmp, not its /tmp.
  explicit TempDir(const fs::path& base = fs::temp_directory_path()) {
    std::string templ = (base / "gantry-sandbox-XXXXXX").string();
    path = mkdtemp(templ.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Whether a process whose command line holds `marker` as an argument exists on the host.
bool ProcessWithArgExists(const std::string& marker) {
  bool found = false;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* e = readdir(proc)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      std::string cmdline = ReadFile(std::string("/proc/") + e->d_name + "/cmdline");
      if (cmdline.find(std::string(1, '\0') + marker + '\0') != std::string::npos) found = true;
    }
    closedir(proc);
  }
  return found;
}

struct Ran {
  ProcessResult result;
  std::string output;
};

class SandboxBackendTest : public ::testing::Test {
 protected:
  // A sandbox whose only writable dir is the test's workspace.
  std::unique_ptr<Backend> Make(SandboxOptions options = {},
                                std::vector<std::string>* notes = nullptr) {
    options.writable.push_back(ws_.path);
    auto made = MakeSandboxBackend(options, notes);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok()) return nullptr;
    return std::move(made).value();
  }

  ProcessSpec Spec(const std::string& script) const {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", script};
    spec.cwd = ws_.path;
    spec.env = {{"PATH", kPath}};
    return spec;
  }

  static Ran Run(Backend& backend, const ProcessSpec& spec) {
    CancelToken never;
    Ran ran;
    auto result = backend.Run(
        spec, [&](std::string_view chunk) { ran.output.append(chunk); }, never);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (result.ok()) ran.result = *result;
    return ran;
  }

  TempDir ws_;
};

TEST_F(SandboxBackendTest, WritingOutsideTheWritableDirsFails) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  for (std::string path : {"/etc/gantry-sandbox-probe", "/usr/gantry-sandbox-probe"}) {
    Ran ran = Run(*backend, Spec("touch " + path));
    EXPECT_NE(ran.result.exit_code, 0) << path;
    EXPECT_NE(ran.output.find("Read-only file system"), std::string::npos) << ran.output;
    EXPECT_FALSE(fs::exists(path));
  }
}

TEST_F(SandboxBackendTest, WritingInTheWorkspaceReachesTheHost) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  Ran ran = Run(*backend, Spec("mkdir sub && echo hello > sub/out.txt"));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ReadFile(ws_.path + "/sub/out.txt"), "hello\n");
}

TEST_F(SandboxBackendTest, TmpIsAPrivateWritableTmpfs) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  std::string name = "/tmp/" + fs::path(ws_.path).filename().string() + "-tmpfile";
  Ran ran = Run(*backend, Spec("echo x > " + name + " && cat " + name));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output, "x\n");
  EXPECT_FALSE(fs::exists(name));
}

TEST_F(SandboxBackendTest, RunsAsTheSandboxUidWithoutCapabilities) {
  SandboxOptions options;
  options.uid = 1234;
  options.gid = 2345;
  auto backend = Make(options);
  ASSERT_NE(backend, nullptr);
  Ran ran = Run(*backend, Spec("id -u; id -g; grep CapEff /proc/self/status"));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output, "1234\n2345\nCapEff:\t0000000000000000\n");
}

// The tests below check what a step may do on the host when gantry runs as root: without a
// user namespace mapping it back to root, the step is a real unprivileged uid.
class SandboxAsRootTest : public SandboxBackendTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "gantry runs as root only in these tests";
  }
};

TEST_F(SandboxAsRootTest, StepIsTheRealUidWithoutGroupsOrCapabilities) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  Ran ran = Run(*backend, Spec("id -u; id -G; grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|"
                               "CapBnd|CapAmb|NoNewPrivs):' /proc/self/status"));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output,
            "1000\n1000\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n"
            "Groups:\t \nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
            "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"
            "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\n");
  // Not a uid of a user namespace: the host sees it too.
  ran = Run(*backend, Spec("cat /proc/self/uid_map"));
  EXPECT_EQ(ran.output, "         0          0 4294967295\n");
}

TEST_F(SandboxAsRootTest, RootOnlyFilesAreUnreadable) {
  TempDir dir("/var/tmp");
  std::string secret = dir.path + "/secret";
  std::ofstream(secret) << "root only\n";
  ASSERT_EQ(chmod(secret.c_str(), 0600), 0);
  ASSERT_EQ(chmod(dir.path.c_str(), 0755), 0);
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  Ran ran = Run(*backend, Spec("cat " + secret));
  EXPECT_FALSE(ran.result.ok()) << ran.output;
  EXPECT_NE(ran.output.find("Permission denied"), std::string::npos) << ran.output;
  ran = Run(*backend, Spec("cat /etc/shadow"));
  EXPECT_FALSE(ran.result.ok()) << ran.output;
  EXPECT_NE(ran.output.find("Permission denied"), std::string::npos) << ran.output;
  // The same file readable by all is read: the failures above are the uid's.
  ASSERT_EQ(chmod(secret.c_str(), 0644), 0);
  ran = Run(*backend, Spec("cat " + secret));
  EXPECT_EQ(ran.output, "root only\n");
}

TEST_F(SandboxAsRootTest, RootsUnixSocketsRefuseTheStep) {
  TempDir dir("/var/tmp");
  ASSERT_EQ(chmod(dir.path.c_str(), 0755), 0);
  std::string path = dir.path + "/docker.sock";
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  path.copy(addr.sun_path, path.size());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  ASSERT_EQ(chmod(path.c_str(), 0660), 0);
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  const std::string connect =
      "perl -MSocket -e 'socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die; connect($s, "
      "pack_sockaddr_un($ARGV[0])) or die \"connect: $!\\n\"; print \"connected\\n\"' " +
      path;
  Ran ran = Run(*backend, Spec(connect));
  EXPECT_FALSE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output, "connect: Permission denied\n");
  // Open to all, the same socket accepts the step.
  ASSERT_EQ(chmod(path.c_str(), 0666), 0);
  ran = Run(*backend, Spec(connect));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output, "connected\n");
  close(fd);
}

TEST_F(SandboxAsRootTest, FilesGantryCreatesLaterAreTheStepsToWrite) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  // Made as root after the backend, as the engine makes file-command files and workspaces.
  fs::create_directories(ws_.path + "/job/ws");
  std::ofstream(ws_.path + "/job/output") << "";
  ASSERT_EQ(chmod((ws_.path + "/job/output").c_str(), 0644), 0);
  ProcessSpec spec =
      Spec("echo x=1 >> ../output && echo built > out && ls -n out | cut -d' ' -f3,4");
  spec.cwd = ws_.path + "/job/ws";
  Ran ran = Run(*backend, spec);
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output, "1000 1000\n");
  EXPECT_EQ(ReadFile(ws_.path + "/job/output"), "x=1\n");
  EXPECT_EQ(ReadFile(ws_.path + "/job/ws/out"), "built\n");
}

TEST_F(SandboxAsRootTest, WritableDirBelowTmpIsReachableByItsPath) {
  TempDir outer;
  ASSERT_EQ(chmod(outer.path.c_str(), 0755), 0);
  std::string nested = outer.path + "/a/ws";
  fs::create_directories(nested);
  SandboxOptions options;
  options.writable = {nested};
  auto backend = Make(options);
  ASSERT_NE(backend, nullptr);
  // The step reaches it from / by its path: bwrap made its parents in the private /tmp.
  ProcessSpec spec = Spec("cd / && echo in > " + nested + "/f && cat " + nested + "/f");
  spec.cwd = "/";
  Ran ran = Run(*backend, spec);
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output, "in\n");
}

TEST_F(SandboxAsRootTest, WritableDirsAreRootsAgainAfterTheBackend) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  Ran ran = Run(*backend, Spec("mkdir d && touch d/f && stat -c %u d/f"));
  EXPECT_EQ(ran.output, "1000\n");
  backend.reset();
  for (const std::string& path : {ws_.path, ws_.path + "/d", ws_.path + "/d/f"}) {
    struct stat st {};
    ASSERT_EQ(lstat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_uid, 0U) << path;
    EXPECT_EQ(st.st_gid, 0U) << path;
  }
}

TEST_F(SandboxAsRootTest, HandOverStaysInTheWritableDirs) {
  TempDir outside("/var/tmp");
  std::string target = outside.path + "/target";
  std::ofstream(target) << "root's\n";
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  // A symbolic link to a root file outside, and a root file with a second hard link (which
  // could be elsewhere): neither file may become the step's.
  fs::create_symlink(target, ws_.path + "/link");
  std::ofstream(ws_.path + "/own") << "";
  fs::create_hard_link(ws_.path + "/own", ws_.path + "/own2");
  Ran ran = Run(*backend, Spec("true"));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  struct stat st {};
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0U);
  ASSERT_EQ(lstat((ws_.path + "/own").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0U);
  ASSERT_EQ(lstat((ws_.path + "/link").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000U);
}

TEST_F(SandboxAsRootTest, UnreachableWritableDirIsInvalid) {
  TempDir closed;
  ASSERT_EQ(chmod(closed.path.c_str(), 0700), 0);
  fs::create_directories(closed.path + "/ws");
  SandboxOptions options;
  options.writable = {closed.path + "/ws"};
  auto made = MakeSandboxBackend(options);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(made.status().message().find(closed.path + " (mode 0700) does not let it in"),
            std::string::npos)
      << made.status().message();
}

TEST_F(SandboxAsRootTest, LoaderAndLocaleVariablesReachOnlyTheStep) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  // A preload library that does not exist: ld.so complains in any process it reaches.
  ProcessSpec spec = Spec("echo \"$LD_PRELOAD $LC_ALL\"");
  spec.env.emplace_back("LD_PRELOAD", "/nonexistent/gantry.so");
  spec.env.emplace_back("LC_ALL", "C");
  Ran ran = Run(*backend, spec);
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  // Only the step's own sh sees it (echo is a builtin): one complaint, from sh; bwrap or
  // setpriv (root, all capabilities) would add theirs.
  size_t first = ran.output.find("cannot be preloaded");
  ASSERT_NE(first, std::string::npos) << ran.output;
  EXPECT_EQ(ran.output.find("cannot be preloaded", first + 1), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("/nonexistent/gantry.so C\n"), std::string::npos) << ran.output;
}

TEST_F(SandboxBackendTest, EnvironmentIsPassedExactly) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  ProcessSpec spec = Spec("env | grep -v '^PWD=' | sort");
  spec.env.emplace_back("FOO", "bar baz");
  spec.env.emplace_back("LD_LIBRARY_PATH", "/nonexistent");
  Ran ran = Run(*backend, spec);
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output,
            "FOO=bar baz\nLD_LIBRARY_PATH=/nonexistent\nPATH=" + std::string(kPath) + "\n");
}

TEST_F(SandboxBackendTest, ExitCodesAndOutputComeBack) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  Ran ran = Run(*backend, Spec("echo out; echo err >&2; exit 7"));
  EXPECT_EQ(ran.result.exit_code, 7);
  EXPECT_FALSE(ran.result.ok());
  EXPECT_EQ(ran.output, "out\nerr\n");
}

TEST_F(SandboxBackendTest, MissingProgramIsNotFound) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  ProcessSpec spec = Spec("");
  spec.argv = {"gantry-no-such-program"};
  CancelToken never;
  auto result = backend->Run(
      spec, [](std::string_view) {}, never);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), core::StatusCode::kNotFound);
}

TEST_F(SandboxBackendTest, HomeOutsideTheWritableDirsIsWritable) {
  TempDir host_home;
  TempDir shared_home;
  // A fresh tmpfs per step: writable, and the host directory stays untouched.
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  ProcessSpec spec = Spec("touch \"$HOME/f\" && ls \"$HOME\"");
  spec.env.emplace_back("HOME", host_home.path);
  Ran ran = Run(*backend, spec);
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output, "f\n");
  EXPECT_FALSE(fs::exists(host_home.path + "/f"));
  // With `home`, that directory is bound at $HOME.
  SandboxOptions options;
  options.home = shared_home.path;
  backend = Make(options);
  ASSERT_NE(backend, nullptr);
  ran = Run(*backend, spec);
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_TRUE(fs::exists(shared_home.path + "/f"));
  EXPECT_FALSE(fs::exists(host_home.path + "/f"));
}

// A TCP listener on 127.0.0.1 of the host; port() is 0 when it could not be created.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 && listen(fd_, 8) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~Listener() { close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(SandboxBackendTest, NetworkIsolationLeavesOnlyLoopback) {
  Listener listener;
  ASSERT_NE(listener.port(), 0);
  const std::string connect =
      "exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(listener.port()) + "'";
  auto shared = Make();
  ASSERT_NE(shared, nullptr);
  Ran ran = Run(*shared, Spec(connect));
  EXPECT_TRUE(ran.result.ok()) << "with the host network: " << ran.output;

  SandboxOptions options;
  options.network = false;
  auto isolated = Make(options);
  ASSERT_NE(isolated, nullptr);
  ran = Run(*isolated, Spec(connect));
  EXPECT_FALSE(ran.result.ok()) << "connected to the host from an isolated sandbox";
  ran = Run(*isolated, Spec("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output, "lo\n");
}

TEST_F(SandboxBackendTest, PidsLimitStopsAForkLoop) {
  SandboxOptions options;
  options.pids_max = 20;
  std::vector<std::string> notes;
  auto backend = Make(options, &notes);
  ASSERT_NE(backend, nullptr);
  ASSERT_EQ(notes.size(), 1U);
  if (notes[0].find("NOT enforced") != std::string::npos) GTEST_SKIP() << notes[0];
  ProcessSpec spec = Spec("for i in $(seq 50); do sleep 5 & done; echo all-started");
  spec.timeout = std::chrono::seconds(60);
  spec.kill_grace = milliseconds(200);
  Ran ran = Run(*backend, spec);
  EXPECT_FALSE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.output.find("all-started"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("fork"), std::string::npos) << ran.output;
  // The limit is per run: the next run starts from zero.
  ran = Run(*backend, Spec("for i in $(seq 10); do sleep 0 & done; wait"));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
}

TEST_F(SandboxBackendTest, MemoryLimitKillsAnAllocation) {
  SandboxOptions options;
  options.memory_bytes = int64_t{64} << 20;
  std::vector<std::string> notes;
  auto backend = Make(options, &notes);
  ASSERT_NE(backend, nullptr);
  ASSERT_EQ(notes.size(), 1U);
  if (notes[0].find("NOT enforced") != std::string::npos) GTEST_SKIP() << notes[0];
  // dd fills a buffer of bs bytes: 256 MiB of touched memory.
  Ran ran = Run(*backend, Spec("dd if=/dev/zero of=/dev/null bs=256M count=1 2>/dev/null"));
  EXPECT_FALSE(ran.result.ok()) << ran.output;
  EXPECT_EQ(ran.result.exit_code, 128 + SIGKILL);
  ran = Run(*backend, Spec("dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null"));
  EXPECT_TRUE(ran.result.ok()) << ran.output;
}

TEST_F(SandboxBackendTest, TimeoutKillsTheWholeTree) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  // The background sleep left the process group (setsid) and must still be gone.
  ProcessSpec spec = Spec("setsid sleep 987651 & sleep 987652");
  spec.timeout = milliseconds(300);
  spec.kill_grace = milliseconds(200);
  Ran ran = Run(*backend, spec);
  EXPECT_TRUE(ran.result.timed_out);
  EXPECT_FALSE(ran.result.ok());
  EXPECT_FALSE(ProcessWithArgExists("987651"));
  EXPECT_FALSE(ProcessWithArgExists("987652"));
}

TEST_F(SandboxBackendTest, CancelKillsTheWholeTree) {
  auto backend = Make();
  ASSERT_NE(backend, nullptr);
  ProcessSpec spec = Spec("sleep 987653 & touch started; sleep 987654");
  spec.kill_grace = milliseconds(200);
  CancelToken cancel;
  std::thread canceller([&] {
    while (!fs::exists(ws_.path + "/started")) std::this_thread::sleep_for(milliseconds(5));
    cancel.Cancel();
  });
  auto result = backend->Run(
      spec, [](std::string_view) {}, cancel);
  canceller.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->cancelled);
  EXPECT_FALSE(ProcessWithArgExists("987653"));
  EXPECT_FALSE(ProcessWithArgExists("987654"));
}

TEST(SandboxBackendSetupTest, MissingBwrapSaysToInstallIt) {
  SandboxOptions options;
  options.bwrap = "/nonexistent/bwrap";
  auto made = MakeSandboxBackend(options);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(made.status().message().find("install the bubblewrap package"), std::string::npos);
}

TEST(SandboxBackendSetupTest, MissingWritableDirIsInvalid) {
  SandboxOptions options;
  options.writable = {"/nonexistent/gantry-sandbox-dir"};
  auto made = MakeSandboxBackend(options);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gantry::backend
