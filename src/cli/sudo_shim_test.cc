#include "cli/sudo_shim.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

class SudoShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gantry-sudo-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(WriteSudoShim(dir_ + "/bin").ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `sudo ARGS` through sh with RUNNER_TEMP set; returns exit code and combined output.
  std::pair<int, std::string> Sudo(const std::string& args) {
    std::string cmd = "RUNNER_TEMP='" + dir_ + "' '" + dir_ + "/bin/sudo' " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 256> buf{};
    while (fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
    int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  std::string dir_;
};

TEST_F(SudoShimTest, RunsTheCommandAfterCommonFlagsAndAssignments) {
  auto [code, out] = Sudo("-E -n -H -u root -- sh -c 'echo ran $FOO' && " + dir_ +
                          "/bin/sudo -EH FOO=bar sh -c 'echo again $FOO'");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("ran\n"), std::string::npos) << out;
  EXPECT_NE(out.find("again bar"), std::string::npos) << out;
}

TEST_F(SudoShimTest, SaysWhatItIsOncePerJobTemp) {
  auto first = Sudo("true");
  auto second = Sudo("true");
  EXPECT_NE(first.second.find("gantry's shim"), std::string::npos) << first.second;
  EXPECT_EQ(second.second, "");
}

TEST_F(SudoShimTest, AnotherUserFailsClearly) {
  auto [code, out] = Sudo("-u postgres psql");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("runs commands as root only, not as 'postgres'"), std::string::npos) << out;
}

TEST_F(SudoShimTest, MissingCommandIs127AndNoCommandIsAnError) {
  EXPECT_EQ(Sudo("gantry-no-such-program").first, 127);
  EXPECT_EQ(Sudo("").first, 1);
}

TEST(SudoPathTest, FindsExecutablesOnPath) {
  EXPECT_TRUE(HasProgramOnPath("/nonexistent:/bin:/usr/bin", "sh"));
  EXPECT_FALSE(HasProgramOnPath("/nonexistent", "sh"));
}

}  // namespace
}  // namespace gantry::cli
