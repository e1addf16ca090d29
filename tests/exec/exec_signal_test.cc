// Integration tests of `gantry exec`: interruption and secret masking on the real binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;

// A process that exists and is not a zombie (an exited process whose parent, after gantry
// exited, is an init that does not reap, still answers kill(pid, 0)).
bool Alive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

TEST(ExecSignalTest, CtrlCExits130AndKillsEveryStepProcess) {
  Project p;
  fs::path pids = p.base() / "pids";
  p.Workflow("slow.yml", R"(on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: |
          sleep 300 &
          echo $! >> ")" + pids.string() +
                             R"("
          echo $$ >> ")" + pids.string() +
                             R"("
          sleep 300
  other:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 300
)");
  Process gantry({"exec", "-p", "2"}, p.root(), p.base());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ReadFile(pids).size() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(kill(gantry.pid(), SIGINT), 0);
  Finished f = gantry.Wait(std::chrono::seconds(30));
  EXPECT_EQ(f.exit_code, 130) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("Interrupted"));
  std::istringstream in(ReadFile(pids));
  int pid = 0;
  int checked = 0;
  while (in >> pid) {
    EXPECT_FALSE(Alive(pid)) << "process " << pid << " outlived the run";
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(ExecSignalTest, SecretsAreMaskedInLogsAndSummary) {
  Project p;
  p.Write(".secrets", "FILE_SECRET=\"multi\\nline-value\"\n");
  p.Workflow("s.yml", R"(on: push
jobs:
  leak:
    runs-on: ubuntu-latest
    steps:
      - run: echo "cli ${{ secrets.CLI_SECRET }} env ${{ secrets.ENV_SECRET }}"
      - run: printf 'file %s\n' "${{ secrets.FILE_SECRET }}"
      - run: |
          v=runtime-value
          echo "::add-mask::$v-42"
          echo "now runtime-value-42"
      - name: Fails with ${{ secrets.CLI_SECRET }}
        run: exit 1
)");
  Finished f = p.Run({"exec", "--secret", "CLI_SECRET=hunter2-cli", "--secret", "ENV_SECRET",
                      "--secret-file", ".secrets"},
                     {"ENV_SECRET=from-env-xyz"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  for (const char* secret : {"hunter2-cli", "from-env-xyz", "line-value", "runtime-value-42"}) {
    EXPECT_EQ(f.out.find(secret), std::string::npos) << secret << " leaked:\n" << f.out;
    EXPECT_EQ(f.err.find(secret), std::string::npos) << secret << " leaked:\n" << f.err;
  }
  EXPECT_THAT(f.out, HasSubstr("cli *** env ***"));
  size_t summary = f.out.find("Summary:");
  ASSERT_NE(summary, std::string::npos);
  EXPECT_THAT(f.out.substr(summary), HasSubstr("Fails with ***"));
}

TEST(ExecSignalTest, StepTimeoutKillsBackgroundChildren) {
  Project p;
  fs::path pidfile = p.base() / "child.pid";
  p.Workflow("t.yml", R"(on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - timeout-minutes: 0.02
        run: |
          sleep 300 &
          echo $! > ")" + pidfile.string() +
                          R"("
          sleep 300
)");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  int pid = 0;
  std::istringstream(ReadFile(pidfile)) >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(Alive(pid));
}

}  // namespace
}  // namespace gantry::exec_test
