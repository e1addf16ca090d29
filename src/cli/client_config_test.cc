#include "cli/client_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

// A temp directory as GANTRY_CONFIG_DIR, with GANTRY_URL/TOKEN/PROJECT unset.
class ClientConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-client-config-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ::setenv("GANTRY_CONFIG_DIR", (dir_ + "/conf").c_str(), 1);
    for (const char* name : {"GANTRY_URL", "GANTRY_TOKEN", "GANTRY_PROJECT"}) ::unsetenv(name);
  }
  void TearDown() override {
    ::unsetenv("GANTRY_CONFIG_DIR");
    for (const char* name : {"GANTRY_URL", "GANTRY_TOKEN", "GANTRY_PROJECT"}) ::unsetenv(name);
    fs::remove_all(dir_);
  }
  void Write(const std::string& text) {
    fs::create_directories(dir_ + "/conf");
    std::ofstream(dir_ + "/conf/hosts.yml") << text;
  }
  std::string dir_;
};

TEST_F(ClientConfigTest, PathFollowsTheEnvironment) {
  EXPECT_EQ(ClientConfigPath(), dir_ + "/conf/hosts.yml");
  ::unsetenv("GANTRY_CONFIG_DIR");
  ::setenv("XDG_CONFIG_HOME", "/x", 1);
  EXPECT_EQ(ClientConfigPath(), "/x/gantry/hosts.yml");
  ::unsetenv("XDG_CONFIG_HOME");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(ClientConfigPath(), "/home/u/.config/gantry/hosts.yml");
}

TEST_F(ClientConfigTest, MissingFileIsAnEmptyConfig) {
  auto config = LoadClientConfig(dir_ + "/nothing.yml");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->hosts.empty());
  EXPECT_EQ(config->default_url, "");
}

TEST_F(ClientConfigTest, SaveThenLoadRoundTripsWithMode0600) {
  ClientConfig config;
  config.default_url = "http://127.0.0.1:9000";
  config.hosts["http://127.0.0.1:9000"] = {"alice", "gnt_secret", 7};
  config.hosts["https://ci.example"] = {"bob", "gns_x", 0};
  std::string path = ClientConfigPath();
  ASSERT_TRUE(SaveClientConfig(path, config).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ + "/conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto loaded = LoadClientConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->default_url, "http://127.0.0.1:9000");
  ASSERT_EQ(loaded->hosts.size(), 2u);
  EXPECT_EQ(loaded->hosts["http://127.0.0.1:9000"].user, "alice");
  EXPECT_EQ(loaded->hosts["http://127.0.0.1:9000"].token, "gnt_secret");
  EXPECT_EQ(loaded->hosts["http://127.0.0.1:9000"].token_id, 7);
  EXPECT_EQ(loaded->hosts["https://ci.example"].token_id, 0);
}

TEST_F(ClientConfigTest, MalformedFileNamesLineAndColumn) {
  Write("hosts:\n  http://127.0.0.1:1:\n    user: [a\n");
  auto config = LoadClientConfig(ClientConfigPath());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message().rfind(ClientConfigPath() + ":", 0), 0u)
      << config.status().message();
}

TEST_F(ClientConfigTest, UnknownKeyIsAnError) {
  Write("default: http://127.0.0.1:1\nhostz: {}\n");
  auto config = LoadClientConfig(ClientConfigPath());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            ClientConfigPath() + ":2:1: unknown key 'hostz' (known: default, hosts)");
}

TEST_F(ClientConfigTest, NormalizesUrls) {
  EXPECT_EQ(*NormalizeServerUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  EXPECT_EQ(*NormalizeServerUrl("localhost:8443"), "http://localhost:8443");
  EXPECT_EQ(*NormalizeServerUrl("ci.example:8443"), "https://ci.example:8443");
  EXPECT_EQ(*NormalizeServerUrl("HTTPS://ci.example"), "https://ci.example");
  EXPECT_FALSE(NormalizeServerUrl("ftp://x").ok());
  EXPECT_FALSE(NormalizeServerUrl("").ok());
  EXPECT_FALSE(NormalizeServerUrl("http://").ok());
}

TEST_F(ClientConfigTest, ResolveTargetPrecedence) {
  auto fallback = ResolveTarget("");
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->url, "http://127.0.0.1:8080");
  EXPECT_EQ(fallback->token, "");

  Write(
      "default: http://127.0.0.1:9000\nhosts:\n  http://127.0.0.1:9000/:\n    user: a\n"
      "    token: gnt_file\n");
  auto from_file = ResolveTarget("");
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->url, "http://127.0.0.1:9000");
  EXPECT_EQ(from_file->token, "gnt_file");
  EXPECT_EQ(from_file->source, ClientConfigPath());

  ::setenv("GANTRY_URL", "http://127.0.0.1:9001", 1);
  auto from_env = ResolveTarget("");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->url, "http://127.0.0.1:9001");
  EXPECT_EQ(from_env->token, "");  // no credentials for that host

  auto from_flag = ResolveTarget("127.0.0.1:9000");
  ASSERT_TRUE(from_flag.ok());
  EXPECT_EQ(from_flag->url, "http://127.0.0.1:9000");
  EXPECT_EQ(from_flag->token, "gnt_file");

  ::setenv("GANTRY_TOKEN", "gnt_env", 1);
  auto token_env = ResolveTarget("http://127.0.0.1:9000");
  ASSERT_TRUE(token_env.ok());
  EXPECT_EQ(token_env->token, "gnt_env");
  EXPECT_EQ(token_env->source, "GANTRY_TOKEN");
}

TEST_F(ClientConfigTest, ResolveProjectFromFlagEnvAndGit) {
  EXPECT_EQ(*ResolveProject("acme/web"), "acme/web");
  auto bad = ResolveProject("acme");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pass -p OWNER/NAME"), std::string::npos);
  ::setenv("GANTRY_PROJECT", "team/api", 1);
  EXPECT_EQ(*ResolveProject(""), "team/api");
  ::unsetenv("GANTRY_PROJECT");

  fs::path cwd = fs::current_path();
  fs::create_directories(dir_ + "/repo");
  fs::current_path(dir_ + "/repo");
  ASSERT_EQ(std::system("git init -q . && git remote add origin https://git.example/acme/site.git"),
            0);
  auto from_git = ResolveProject("");
  fs::current_path(cwd);
  ASSERT_TRUE(from_git.ok()) << from_git.status().ToString();
  EXPECT_EQ(*from_git, "acme/site");

  fs::current_path(dir_);
  auto none = ResolveProject("");
  fs::current_path(cwd);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "no project given: pass -p OWNER/NAME or set GANTRY_PROJECT");
}

}  // namespace
}  // namespace gantry::cli
