#include "cli/executor_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

class ExecutorConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-executor-config-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

// Sets an environment variable for the scope (unset: nullptr).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ExecutorDefaultsTest, TheConfigPathFollowsTheEnvironmentThenXdgThenHome) {
  ScopedEnv home("HOME", "/home/ann");
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
    ScopedEnv cfg("GANTRY_EXECUTOR_CONFIG", nullptr);
    EXPECT_EQ(DefaultExecutorConfigPath(), "/home/ann/.config/gantry/executor.yml");
  }
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "/cfg");
    ScopedEnv cfg("GANTRY_EXECUTOR_CONFIG", nullptr);
    EXPECT_EQ(DefaultExecutorConfigPath(), "/cfg/gantry/executor.yml");
  }
  ScopedEnv xdg("XDG_CONFIG_HOME", "/cfg");
  ScopedEnv cfg("GANTRY_EXECUTOR_CONFIG", "/etc/gantry/executor.yml");
  EXPECT_EQ(DefaultExecutorConfigPath(), "/etc/gantry/executor.yml");
}

TEST(ExecutorDefaultsTest, TheWorkDirFollowsXdgDataHomeThenHome) {
  ScopedEnv home("HOME", "/home/ann");
  {
    ScopedEnv xdg("XDG_DATA_HOME", nullptr);
    EXPECT_EQ(DefaultExecutorWorkDir(), "/home/ann/.local/share/gantry/executor");
  }
  ScopedEnv xdg("XDG_DATA_HOME", "/data");
  EXPECT_EQ(DefaultExecutorWorkDir(), "/data/gantry/executor");
}

TEST(ExecutorDefaultsTest, ArchitecturesAreSpelledAsGitHubsRunnerLabels) {
  EXPECT_EQ(ArchitectureLabel("x86_64"), "x64");
  EXPECT_EQ(ArchitectureLabel("aarch64"), "arm64");
  EXPECT_EQ(ArchitectureLabel("armv7l"), "arm");
  EXPECT_EQ(ArchitectureLabel("i686"), "x86");
  EXPECT_EQ(ArchitectureLabel("riscv64"), "riscv64");
  EXPECT_FALSE(HostArchitectureLabel().empty());
}

TEST(ExecutorDefaultsTest, LabelsStartWithTheDefaultsAndDropRepeatsAndBlanks) {
  EXPECT_EQ(ExecutorLabels("x64", {}), (std::vector<std::string>{"self-hosted", "linux", "x64"}));
  EXPECT_EQ(ExecutorLabels("arm64", {" gpu ", "", "Linux", "GPU", "big-disk"}),
            (std::vector<std::string>{"self-hosted", "linux", "arm64", "gpu", "big-disk"}));
}

TEST_F(ExecutorConfigTest, AWrittenConfigIsPrivateAndReadsBack) {
  ExecutorConfig config;
  config.url = "https://ci.example.org";
  config.name = "box: one";  // YAML syntax in a value is quoted
  config.token = "gne_abc#def";
  config.labels = {"self-hosted", "linux", "x64", "gpu"};
  config.capacity = 3;
  const std::string path = dir_ + "/sub/dir/executor.yml";
  mode_t old = umask(0);  // even a permissive umask gives 0600
  core::Status st = WriteExecutorConfig(path, config);
  umask(old);
  ASSERT_TRUE(st.ok()) << st.ToString();
  struct stat s {};
  ASSERT_EQ(stat(path.c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0600u);
  auto read = ReadExecutorConfig(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->url, config.url);
  EXPECT_EQ(read->name, config.name);
  EXPECT_EQ(read->token, config.token);
  EXPECT_EQ(read->labels, config.labels);
  EXPECT_EQ(read->capacity, 3);
}

TEST_F(ExecutorConfigTest, AMissingFileSaysToRegisterFirst) {
  auto read = ReadExecutorConfig(dir_ + "/none.yml");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(read.status().message().rfind(dir_ + "/none.yml: ", 0), 0u);
  EXPECT_NE(read.status().message().find("gantry executor register"), std::string::npos);
}

TEST_F(ExecutorConfigTest, BadYamlNamesTheFileAndLine) {
  auto read = ReadExecutorConfig(Write("bad.yml", "url: http://x\ntoken: [unclosed\n"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(read.status().message().rfind(dir_ + "/bad.yml:", 0), 0u) << read.status().message();
}

TEST_F(ExecutorConfigTest, AMissingUrlOrTokenIsAnError) {
  auto no_token = ReadExecutorConfig(Write("a.yml", "url: http://x\n"));
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.status().message().rfind(dir_ + "/a.yml: token is missing", 0), 0u)
      << no_token.status().message();
  auto no_url = ReadExecutorConfig(Write("b.yml", "token: gne_x\n"));
  ASSERT_FALSE(no_url.ok());
  EXPECT_NE(no_url.status().message().find("url is missing"), std::string::npos);
}

TEST_F(ExecutorConfigTest, UnknownKeysAndBadValuesNameTheirLine) {
  auto unknown = ReadExecutorConfig(Write("u.yml", "url: http://x\ntoken: t\nlables: [a]\n"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message().rfind(dir_ + "/u.yml:3: unknown key 'lables'", 0), 0u)
      << unknown.status().message();
  auto capacity = ReadExecutorConfig(Write("c.yml", "url: http://x\ntoken: t\ncapacity: 0\n"));
  ASSERT_FALSE(capacity.ok());
  EXPECT_NE(capacity.status().message().find(":3: capacity"), std::string::npos);
  auto labels = ReadExecutorConfig(Write("l.yml", "url: http://x\ntoken: t\nlabels: gpu\n"));
  ASSERT_FALSE(labels.ok());
  EXPECT_NE(labels.status().message().find(":3: labels: expected a list"), std::string::npos);
}

TEST_F(ExecutorConfigTest, LabelsNameAndCapacityHaveDefaults) {
  auto read = ReadExecutorConfig(Write("d.yml", "url: http://x\ntoken: t\n"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->labels, ExecutorLabels(HostArchitectureLabel(), {}));
  EXPECT_EQ(read->name, HostName());
  EXPECT_EQ(read->capacity, 1);
}

}  // namespace
}  // namespace gantry::cli
