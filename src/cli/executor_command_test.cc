#include "cli/executor_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "executor/test_util.h"

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;
using executor::testing::Body;
using executor::testing::FakeTransport;

class ExecutorCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-executor-command-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  ExecutorRegisterOptions Options() {
    ExecutorRegisterOptions o;
    o.url = "https://ci.example.org/";
    o.token = "reg-token";
    o.name = "box";
    o.labels = {"gpu"};
    o.capacity = 2;
    o.config = dir_ + "/conf/executor.yml";
    return o;
  }
  std::string dir_;
  std::ostringstream out_, err_;
};

FakeTransport::Handler Answer(long status, const std::string& body) {
  return [=](const executor::HttpRequest&) { return FakeTransport::Reply(status, body); };
}

TEST_F(ExecutorCommandTest, RegisterWritesAPrivateConfigAndNeverPrintsTheToken) {
  FakeTransport t(Answer(201, R"({"id":7,"token":"gne_secret"})"));
  ASSERT_EQ(RunExecutorRegister(Options(), t, "0.1.0", out_, err_), 0) << err_.str();
  ASSERT_EQ(t.requests().size(), 1u);
  nlohmann::json sent = Body(t.requests()[0]);
  EXPECT_EQ(sent["token"], "reg-token");
  EXPECT_EQ(sent["name"], "box");
  EXPECT_EQ(sent["version"], "0.1.0");
  EXPECT_EQ(sent["capacity"], 2);
  EXPECT_EQ(sent["labels"][0], "self-hosted");
  EXPECT_EQ(sent["labels"][1], "linux");
  EXPECT_EQ(sent["labels"].back(), "gpu");
  struct stat st {};
  ASSERT_EQ(stat(Options().config.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto config = ReadExecutorConfig(Options().config);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->url, "https://ci.example.org");  // without the trailing slash
  EXPECT_EQ(config->token, "gne_secret");
  EXPECT_EQ(config->name, "box");
  EXPECT_EQ(config->capacity, 2);
  EXPECT_NE(out_.str().find("Registered executor 'box' (id 7)"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("gpu"), std::string::npos);
  EXPECT_EQ(out_.str().find("gne_secret"), std::string::npos);
  EXPECT_EQ(err_.str().find("gne_secret"), std::string::npos);
}

TEST_F(ExecutorCommandTest, ARefusedRegistrationPrintsTheServersMessageAndWritesNothing) {
  FakeTransport t(
      Answer(403, R"({"error":{"code":"forbidden","message":"the registration token was used"}})"));
  EXPECT_EQ(RunExecutorRegister(Options(), t, "0.1.0", out_, err_), 1);
  EXPECT_NE(err_.str().find("the registration token was used"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("registration-tokens"), std::string::npos) << err_.str();
  EXPECT_FALSE(fs::exists(Options().config));
}

TEST_F(ExecutorCommandTest, AnExistingConfigIsOnlyReplacedWhenAsked) {
  fs::create_directories(dir_ + "/conf");
  std::ofstream(Options().config) << "url: http://old\ntoken: gne_old\n";
  FakeTransport t(Answer(201, R"({"id":8,"token":"gne_new"})"));
  EXPECT_EQ(RunExecutorRegister(Options(), t, "0.1.0", out_, err_), 2);
  EXPECT_TRUE(t.requests().empty());  // the registration token is not spent
  EXPECT_NE(err_.str().find("--replace"), std::string::npos);
  ExecutorRegisterOptions replace = Options();
  replace.replace = true;
  EXPECT_EQ(RunExecutorRegister(replace, t, "0.1.0", out_, err_), 0);
  EXPECT_EQ(ReadExecutorConfig(replace.config)->token, "gne_new");
}

TEST(ExecutorAgentOptionsTest, FlagsOverTheConfigAndDefaults) {
  ExecutorConfig config;
  config.url = "http://ci:8080/";
  config.token = "gne_t";
  config.labels = {"self-hosted", "linux", "x64"};
  config.capacity = 2;
  ExecutorRunOptions run;
  auto o = ExecutorAgentOptions(config, run);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->server_url, "http://ci:8080");
  EXPECT_EQ(o->token, "gne_t");
  EXPECT_EQ(o->labels, config.labels);
  EXPECT_EQ(o->capacity, 2);
  EXPECT_EQ(o->work_dir, DefaultExecutorWorkDir());
  EXPECT_EQ(o->backend, executor::BackendKind::kHost);
  run.capacity = 5;
  run.work_dir = "/srv/work";
  run.backend = "sandbox";
  run.keep_failed = true;
  o = ExecutorAgentOptions(config, run);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->capacity, 5);
  EXPECT_EQ(o->work_dir, "/srv/work");
  EXPECT_EQ(o->backend, executor::BackendKind::kSandbox);
  EXPECT_TRUE(o->keep_failed);
  run.docker_image = "node:20";
  o = ExecutorAgentOptions(config, run);
  ASSERT_FALSE(o.ok()) << "an image without --backend docker is a mistake";
  EXPECT_NE(o.status().message().find("--backend docker"), std::string::npos);
  run.backend = "docker";
  run.docker_image.clear();
  o = ExecutorAgentOptions(config, run);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->backend, executor::BackendKind::kDocker);
  EXPECT_EQ(o->default_container_image, "debian:bookworm");
  run.docker_image = "node:20";
  o = ExecutorAgentOptions(config, run);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->default_container_image, "node:20");
  run.backend = "podman";
  o = ExecutorAgentOptions(config, run);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("expected host, sandbox or docker"), std::string::npos);
}

}  // namespace
}  // namespace gantry::cli
