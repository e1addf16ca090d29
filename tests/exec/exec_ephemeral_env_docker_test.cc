// examples/ephemeral-env/local.yml under `gantry exec` against the Docker engine at
// $DOCKER_HOST (scripts/docker-up.sh): the environment (a container serving Gantry) comes up,
// passes its health and smoke tests, and the `if: always()` teardown removes it — also when a
// smoke test fails. Skipped without an engine holding debian:bookworm.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "docker_test_util.h"

namespace gantry::exec_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Ran {
  int code = -1;
  std::string out;
};

Ran Shell(const std::string& command, const fs::path& dir) {
  fs::path out = dir / "out.txt";
  int status = std::system(
      ("cd '" + dir.string() + "' && " + command + " >'" + out.string() + "' 2>&1").c_str());
  std::ifstream in(out);
  Ran r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
}

class EphemeralEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!ConnectWithImages({"debian:bookworm"}, why)) GTEST_SKIP() << why;
    if (!fs::exists("/usr/bin/docker")) GTEST_SKIP() << "no docker client";
    dir_ = fs::temp_directory_path() / ("gantry-ephemeral-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    fs::copy_file(fs::path(GANTRY_SOURCE_DIR) / "examples/ephemeral-env/local.yml",
                  dir_ / "local.yml", fs::copy_options::overwrite_existing);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  fs::path dir_;
};

// The container named in the teardown line, when it still exists.
std::string Leftover(const std::string& out, const fs::path& dir) {
  size_t at = out.find("torn down gantry-preview-");
  if (at == std::string::npos) return "(no teardown line)";
  std::string name = out.substr(at + 10, out.find(' ', at + 10) - at - 10);
  return Shell("/usr/bin/docker ps -aq --filter name=^/" + name + "$", dir).out;
}

TEST_F(EphemeralEnvTest, SmokeTestsPassAndTeardownRemovesTheContainer) {
  Ran r = Shell(std::string("PATH=/usr/bin:/bin ") + GANTRY_BINARY +
                    " exec workflow_dispatch -W local.yml --input gantry_bin=" + GANTRY_BINARY,
                dir_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"status\":\"ok\""));       // health
  EXPECT_THAT(r.out, HasSubstr("\"username\":\"smoke\""));  // signup
  EXPECT_THAT(r.out, HasSubstr("(deploy: success, smoke: success)"));
  EXPECT_EQ(Leftover(r.out, dir_), "") << r.out;
}

TEST_F(EphemeralEnvTest, FailedSmokeTestStillTearsDown) {
  Ran r = Shell(std::string("PATH=/usr/bin:/bin ") + GANTRY_BINARY +
                    " exec workflow_dispatch -W local.yml --input gantry_bin=" + GANTRY_BINARY +
                    " --input break_smoke=true",
                dir_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("smoke test failed on purpose"));
  EXPECT_THAT(r.out, HasSubstr("(deploy: success, smoke: failure)"));
  EXPECT_EQ(Leftover(r.out, dir_), "") << r.out;
}

}  // namespace
}  // namespace gantry::exec_test
