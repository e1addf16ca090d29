// What real repositories' CI needs of `gantry exec` on the host: GitHub's workspace layout and
// runner variables, upload-artifact's path rules, sudo, runs-on this machine cannot serve, and
// remote actions that cannot be fetched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>

#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The value printed as "NAME=<value>" on a line of `out`.
std::string Printed(const std::string& out, const std::string& name) {
  std::smatch m;
  std::regex re(name + "=([^\\n]*)");
  return std::regex_search(out, m, re) ? m[1].str() : "<missing>";
}

TEST(ExecHostTest, WorkspaceIsRepoInsideRepoAndRunnerWorkspaceItsParent) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - name: Show
        run: |
          echo "WS=$GITHUB_WORKSPACE"
          echo "RW=$RUNNER_WORKSPACE"
          echo "CTX=${{ runner.workspace }}"
          echo "PWD=$PWD"
          echo "RET=$GITHUB_RETENTION_DAYS"
          echo "TEMP=$RUNNER_TEMP"
          mkdir -p ../build && echo left > ../build/out.txt
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - name: Check
        run: test ! -e "$RUNNER_WORKSPACE/build" && echo "SECOND=clean"
)yaml");
  p.GitInit();
  Finished f = p.Run({"exec", "-p", "1"}, {"GITHUB_REPOSITORY=octo/widgets"});
  ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  std::string ws = Printed(f.out, "WS");
  std::string rw = Printed(f.out, "RW");
  EXPECT_THAT(ws, testing::EndsWith("/widgets/widgets"));
  EXPECT_EQ(rw, fs::path(ws).parent_path().string());
  EXPECT_EQ(Printed(f.out, "CTX"), rw);
  EXPECT_EQ(Printed(f.out, "PWD"), ws);
  EXPECT_EQ(Printed(f.out, "RET"), "90");
  EXPECT_THAT(Printed(f.out, "TEMP"), testing::EndsWith("/_temp"));
  // The next job in the same slot starts from an empty runner.workspace.
  EXPECT_EQ(Printed(f.out, "SECOND"), "clean");
}

TEST(ExecHostTest, ActorIsTheEventSendersLogin) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  who:
    runs-on: ubuntu-latest
    steps:
      - run: echo "ACTOR=$GITHUB_ACTOR TRIGGER=$GITHUB_TRIGGERING_ACTOR"
)yaml");
  p.Write("event.json", R"({"ref": "refs/heads/main", "sender": {"login": "octocat"}})");
  p.GitInit();
  Finished f = p.Run({"exec", "-e", (p.root() / "event.json").string()});
  ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("ACTOR=octocat TRIGGER=octocat"));
  // Without a payload it is a login too, never git's user.name ("Tester").
  Finished plain = p.Run({"exec"});
  EXPECT_THAT(plain.out, Not(HasSubstr("ACTOR=Tester")));
}

TEST(ExecHostTest, UploadArtifactTakesRunnerWorkspaceAndHomePathsAndRejectsDotDot) {
  Project p;
  // A folder of its own below $HOME for the `~/` pattern (removed at the end).
  const std::string name = "gantry-upload-test-" + p.base().filename().string();
  const std::string home_dir = std::string(getenv("HOME")) + "/" + name;
  std::string yaml = R"yaml(on: push
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - name: Make files
        run: |
          mkdir -p ../build && echo configure > ../build/configure.log
          mkdir -p "$HOME/HOMEDIR/new/deep" && echo home > "$HOME/HOMEDIR/new/deep/h.txt"
      - uses: actions/upload-artifact@v4
        with:
          name: abs
          path: ${{ runner.workspace }}/build/configure.log
      - uses: actions/upload-artifact@v4
        with:
          name: home
          path: ~/HOMEDIR/new/**/*
      - id: dotdot
        continue-on-error: true
        uses: actions/upload-artifact@v4
        with:
          name: rel
          path: ../build/configure.log
      - name: Show
        run: echo "DOTDOT=${{ steps.dotdot.outcome }}"
)yaml";
  p.Workflow("ci.yml", std::regex_replace(yaml, std::regex("HOMEDIR"), name));
  p.GitInit();
  fs::path artifacts = p.base() / "artifacts";
  Finished f = p.Run({"exec", "--artifact-dir", artifacts.string()});
  fs::remove_all(home_dir);
  ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("Invalid pattern '../build/configure.log'. Relative pathing '.' "
                               "and '..' is not allowed."));
  EXPECT_EQ(Printed(f.out, "DOTDOT"), "failure");
  bool abs = false, home = false;
  for (const auto& e : fs::recursive_directory_iterator(artifacts)) {
    abs |= e.path().filename() == "configure.log" && ReadFile(e.path()) == "configure\n";
    home |= e.path().filename() == "h.txt" && e.path().parent_path().filename() == "deep";
  }
  EXPECT_TRUE(abs);
  EXPECT_TRUE(home);
}

TEST(ExecHostTest, AsRootWithoutSudoStepsGetASudoThatRunsTheCommand) {
  if (geteuid() != 0 || std::system("command -v sudo >/dev/null 2>&1") == 0) {
    GTEST_SKIP() << "needs root on a machine without sudo";
  }
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  s:
    runs-on: ubuntu-latest
    steps:
      - name: As root
        run: sudo -E -n -- sh -c 'echo "SUDO=$(id -u)"'
      - name: Again
        run: sudo apt-get --version >/dev/null && echo "APT=ok"
      - name: Another user
        run: sudo -u nobody true
)yaml");
  p.GitInit();
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_EQ(Printed(f.out, "SUDO"), "0");
  EXPECT_EQ(Printed(f.out, "APT"), "ok");
  EXPECT_THAT(f.out, HasSubstr("runs commands as root only, not as 'nobody'"));
  // Said once per job.
  size_t first = f.out.find("'sudo' is gantry's shim");
  ASSERT_NE(first, std::string::npos) << f.out;
  EXPECT_EQ(f.out.find("'sudo' is gantry's shim", first + 1), std::string::npos);

  Finished off = p.Run({"exec", "--no-sudo-shim"});
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_THAT(off.out, Not(HasSubstr("SUDO=0")));
  EXPECT_THAT(off.out, HasSubstr("exit code 127"));
}

const char kMatrixOs[] = R"yaml(on: push
jobs:
  build:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest, macos-latest]
    steps:
      - run: echo "RAN on ${{ matrix.os }} as $RUNNER_OS"
  after:
    needs: build
    runs-on: [self-hosted, linux]
    steps:
      - run: echo "AFTER ran"
)yaml";

TEST(ExecHostTest, RunsOnThisMachineCannotServeIsSkippedWithAReason) {
  Project p;
  p.Workflow("ci.yml", kMatrixOs);
  p.GitInit();
  Finished list = p.Run({"exec", "--list"});
  ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
  EXPECT_THAT(list.out, HasSubstr("runs-on: windows-latest  (not run here)"));
  EXPECT_THAT(list.out, HasSubstr("after  needs: build  runs-on: [self-hosted, linux]"));
  EXPECT_THAT(list.out, HasSubstr("not run here: runs-on windows-latest: 'windows-latest' is a "
                                  "Windows runner"));

  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("RAN on ubuntu-latest as Linux"));
  EXPECT_THAT(f.out, Not(HasSubstr("RAN on windows-latest")));
  EXPECT_THAT(f.out, Not(HasSubstr("RAN on macos-latest")));
  EXPECT_THAT(f.out, HasSubstr("AFTER ran"));
  EXPECT_THAT(f.out, HasSubstr("not run here: runs-on macos-latest"));
  EXPECT_THAT(f.out, HasSubstr("2 skipped (2 for runs-on)"));

  // Mapped on purpose, a label runs here; --matrix still filters.
  Finished mapped = p.Run(
      {"exec", "--runs-on", "macos-latest=host", "--matrix", "os:macos-latest", "-j", "build"});
  EXPECT_EQ(mapped.exit_code, 0) << mapped.out << mapped.err;
  EXPECT_THAT(mapped.out, HasSubstr("RAN on macos-latest"));
  EXPECT_THAT(mapped.out, Not(HasSubstr("RAN on ubuntu-latest")));
}

TEST(ExecHostTest, WhenNoJobCanRunHereTheExitStatusIsThree) {
  Project p;
  p.Workflow("ci.yml", kMatrixOs);
  p.GitInit();
  Finished f = p.Run({"exec", "--matrix", "os:windows-latest", "-j", "build"});
  EXPECT_EQ(f.exit_code, 3) << f.out << f.err;
  Finished bad = p.Run({"exec", "--runs-on", "macos-latest"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--runs-on expects LABEL=host"));
}

TEST(ExecHostTest, AnActionThatCannotBeFetchedFailsSetUpNamingUrlAndFlags) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "FIRST step ran"
      - uses: acme/greet@v1
)yaml");
  p.GitInit();
  Finished f = p.Run({"exec", "--actions-url", "http://127.0.0.1:9", "--action-cache",
                      (p.base() / "cache").string()});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("acme/greet@v1"));
  EXPECT_THAT(f.out, HasSubstr("tried http://127.0.0.1:9/acme/greet"));
  EXPECT_THAT(f.out, HasSubstr("--local-action acme/greet@v1=DIR"));
  EXPECT_THAT(f.out, HasSubstr("--actions-url-for acme=URL"));
  EXPECT_THAT(f.out, HasSubstr("--offline"));
  EXPECT_THAT(f.out, Not(HasSubstr("FIRST step ran")));
}

// zlib's cmake.yml Linux legs, in a fixture of the same shape: in-source, `-S ../<repo>
// -B ../build`, and a build under runner.workspace; the Windows and macOS legs are skipped.
TEST(ExecHostTest, ZlibShapedCmakeWorkflowBuildsOutOfSourceAndUploadsItsLogs) {
  if (std::system("command -v cmake >/dev/null 2>&1 && command -v cc >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs cmake and a C compiler";
  }
  Project p;
  fs::copy(GANTRY_EXEC_FIXTURES "/tinyz", p.root(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  p.GitInit();
  fs::path artifacts = p.base() / "artifacts";
  Finished f = p.Run({"exec", "-p", "2", "--artifact-dir", artifacts.string()},
                     {"GITHUB_REPOSITORY=madler/tinyz"});
  ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("3 success, 2 skipped (2 for runs-on)"));
  EXPECT_THAT(f.out, HasSubstr("100% tests passed"));
  std::vector<std::string> uploaded;
  for (const auto& run : fs::directory_iterator(artifacts)) {
    if (!fs::is_directory(run.path()) || run.path().filename().string().starts_with(".")) continue;
    for (const auto& a : fs::directory_iterator(run.path())) {
      if (fs::exists(a.path() / "files" / "LastTest.log")) {
        uploaded.push_back(a.path().filename().string());
      }
    }
  }
  std::sort(uploaded.begin(), uploaded.end());
  EXPECT_EQ(uploaded, (std::vector<std::string>{"Ubuntu GCC (ctest)", "Ubuntu GCC OSB (ctest)",
                                                "Ubuntu GCC runner.workspace (ctest)"}));
}

}  // namespace
}  // namespace gantry::exec_test
