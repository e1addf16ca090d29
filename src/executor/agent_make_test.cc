// Agent::Make's checks of its options before any job is leased: here those of the Docker
// backend, which must find a Docker engine at start (tests/server runs it against a real one).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "executor/agent.h"

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;

// Sets DOCKER_HOST for the scope of a test and puts the old value back.
class ScopedDockerHost {
 public:
  explicit ScopedDockerHost(const std::string& value) {
    if (const char* old = std::getenv("DOCKER_HOST")) old_ = old;
    setenv("DOCKER_HOST", value.c_str(), 1);
  }
  ~ScopedDockerHost() {
    if (old_) {
      setenv("DOCKER_HOST", old_->c_str(), 1);
    } else {
      unsetenv("DOCKER_HOST");
    }
  }
  ScopedDockerHost(const ScopedDockerHost&) = delete;
  ScopedDockerHost& operator=(const ScopedDockerHost&) = delete;

 private:
  std::optional<std::string> old_;
};

class AgentMakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-agent-make-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  AgentOptions DockerOptions() const {
    AgentOptions o;
    o.server_url = "http://127.0.0.1:1";
    o.token = "tok";
    o.work_dir = dir_ + "/work";
    o.backend = BackendKind::kDocker;
    return o;
  }
  std::string dir_;
};

TEST_F(AgentMakeTest, WithoutAnEngineTheContainerBackendFailsAtStart) {
  ScopedDockerHost host("unix://" + dir_ + "/no-engine.sock");
  auto agent = Agent::Make(DockerOptions());
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.status().code(), core::StatusCode::kUnavailable);
  const std::string message = agent.status().message();
  EXPECT_NE(message.find("--backend docker runs every job in a container"), std::string::npos)
      << message;
  EXPECT_NE(message.find("which DOCKER_HOST=unix://" + dir_ + "/no-engine.sock names"),
            std::string::npos)
      << message;
}

TEST_F(AgentMakeTest, TheContainerBackendNeedsAnImage) {
  for (const char* image : {"", "  ", "debian bookworm"}) {
    AgentOptions o = DockerOptions();
    o.default_container_image = image;
    auto agent = Agent::Make(o);
    ASSERT_FALSE(agent.ok()) << image;
    EXPECT_EQ(agent.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(agent.status().message().find("--docker-image"), std::string::npos);
  }
}

TEST_F(AgentMakeTest, TheHostBackendNeedsNoEngine) {
  ScopedDockerHost host("unix://" + dir_ + "/no-engine.sock");
  AgentOptions o = DockerOptions();
  o.backend = BackendKind::kHost;
  auto agent = Agent::Make(o);
  EXPECT_TRUE(agent.ok()) << agent.status().ToString();
}

}  // namespace
}  // namespace gantry::executor
