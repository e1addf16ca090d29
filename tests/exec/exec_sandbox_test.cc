// `gantry exec --sandbox`: host steps under bubblewrap (docs/exec.md, "Sandboxed host steps").
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char kWrites[] = R"yaml(name: Sandbox
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Workspace
        run: echo built > out.txt && echo "who=$(id -u)" >> "$GITHUB_OUTPUT"
      - name: Usr
        run: touch /usr/gantry-probe
      - run: echo never
)yaml";

TEST(ExecSandboxTest, WorkspaceIsWritableAndTheHostIsNot) {
  Project p;
  p.Workflow("sandbox.yml", kWrites);
  // As root the step's uid must be able to reach --workspace.
  fs::permissions(p.base(), fs::perms::others_exec, fs::perm_options::add);
  Finished f = p.Run({"exec", "--sandbox", "--workspace", p.root().string()});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_EQ(ReadFile(p.root() / "out.txt"), "built\n");
  EXPECT_THAT(f.out, HasSubstr("Read-only file system"));
  EXPECT_THAT(f.out, Not(HasSubstr("never")));
  EXPECT_FALSE(fs::exists("/usr/gantry-probe"));
}

TEST(ExecSandboxTest, StepsRunAsTheSandboxUid) {
  Project p;
  p.Workflow("id.yml", R"yaml(on: push
jobs:
  id:
    runs-on: ubuntu-latest
    steps:
      - run: echo "uid=$(id -u)"
)yaml");
  Finished sandboxed = p.Run({"exec", "--sandbox"});
  EXPECT_EQ(sandboxed.exit_code, 0) << sandboxed.out << sandboxed.err;
  EXPECT_THAT(sandboxed.out, HasSubstr("uid=1000"));
  Finished host = p.Run({"exec"});
  EXPECT_EQ(host.exit_code, 0) << host.out << host.err;
  EXPECT_THAT(host.out, HasSubstr("uid=" + std::to_string(getuid())));
}

TEST(ExecSandboxTest, AsRootStepsAreAnUnprivilegedUid) {
  if (geteuid() != 0) GTEST_SKIP() << "gantry runs as root only in this test";
  Project p;
  p.Workflow("root.yml", R"yaml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo made > made.txt
          echo "FROM_STEP=yes" >> "$GITHUB_ENV"
          echo "n=1" >> "$GITHUB_OUTPUT"
          echo cached > "$HOME/cache" && echo temp > "$RUNNER_TEMP/t"
      - run: |
          echo "env=$FROM_STEP home=$(cat "$HOME/cache") temp=$(cat "$RUNNER_TEMP/t")"
          echo "owner=$(stat -c %u "$GITHUB_WORKSPACE/made.txt") $(git rev-parse --is-inside-work-tree)"
      - run: cat /etc/shadow
)yaml");
  p.GitInit();
  fs::permissions(p.base(), fs::perms::others_exec, fs::perm_options::add);
  Finished f = p.Run({"exec", "--sandbox", "--workspace", p.root().string()});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("env=yes home=cached temp=temp"));
  EXPECT_THAT(f.out, HasSubstr("owner=1000 true"));
  EXPECT_THAT(f.out, HasSubstr("/etc/shadow: Permission denied"));
  // After the run the checkout is root's again: git as root still works in it.
  struct stat st {};
  ASSERT_EQ(stat((p.root() / "made.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0U);
  EXPECT_EQ(ReadFile(p.root() / "made.txt"), "made\n");
  EXPECT_NO_THROW(p.Sh("git status"));
}

TEST(ExecSandboxTest, AsRootAWorkspaceOutOfReachIsAnError) {
  if (geteuid() != 0) GTEST_SKIP() << "gantry runs as root only in this test";
  Project p;
  p.Workflow("ok.yml",
             "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
             "      - run: echo ok\n");
  fs::permissions(p.base(), fs::perms::owner_all, fs::perm_options::replace);
  Finished f = p.Run({"exec", "--sandbox", "--workspace", p.root().string()});
  EXPECT_NE(f.exit_code, 0);
  EXPECT_THAT(f.err, HasSubstr(p.base().string() + " (mode 0700) does not let it in"));
}

TEST(ExecSandboxTest, IsolatedNetworkHasOnlyLoopback) {
  Project p;
  p.Workflow("net.yml", R"yaml(on: push
jobs:
  net:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ,)"
)yaml");
  Finished f = p.Run({"exec", "--sandbox", "--sandbox-network=false"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("ifaces=lo,"));
}

TEST(ExecSandboxTest, LimitsAreReported) {
  Project p;
  p.Workflow("ok.yml",
             "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
             "      - run: echo ok\n");
  Finished f = p.Run({"exec", "--sandbox", "--sandbox-memory", "256m", "--sandbox-pids", "64"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.err, HasSubstr("sandbox: memory limit (256 MiB) is"));
  EXPECT_THAT(f.err, HasSubstr("sandbox: pids limit (64 processes) is"));
}

TEST(ExecSandboxTest, BadSandboxFlagsAreUsageErrors) {
  Project p;
  p.Workflow("ok.yml",
             "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
             "      - run: echo ok\n");
  Finished size = p.Run({"exec", "--sandbox", "--sandbox-memory", "12x"});
  EXPECT_EQ(size.exit_code, 2);
  EXPECT_THAT(size.err, HasSubstr("--sandbox-memory expects a size such as 512m or 2g, got '12x'"));
  Finished alone = p.Run({"exec", "--sandbox-pids", "10"});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_THAT(alone.err, HasSubstr("need --sandbox"));
}

}  // namespace
}  // namespace gantry::exec_test
