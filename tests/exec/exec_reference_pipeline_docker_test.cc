// The reference pipeline's test stage for real: `gantry exec push -W .github/workflows/ci-cd.yml
// -j test` on a fresh git copy of examples/, with its PostgreSQL and Redis services on the
// Docker engine at $DOCKER_HOST (scripts/docker-up.sh) and the host clients psql and redis-cli.
// Skips when DOCKER_HOST is unset, nothing answers there, the images or the clients are missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "backend/docker/docker_client.h"
#include "docker_test_util.h"
#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
namespace docker = backend::docker;

// examples/ of the source tree this file belongs to.
// From the source tree's absolute path (__FILE__ may be relative, e.g. under ccache).
fs::path ExamplesDir() { return fs::path(GANTRY_SOURCE_DIR) / "examples"; }

bool OnPath(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

class ExecReferencePipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    client_ = ConnectWithImages({"postgres:15", "redis:7"}, why);
    if (!client_) GTEST_SKIP() << why;
    for (const char* tool : {"psql", "redis-cli"}) {
      if (!OnPath(tool)) GTEST_SKIP() << tool << " is not installed (scripts/install-deps.sh)";
    }
    ASSERT_TRUE(fs::is_directory(ExamplesDir() / ".github" / "workflows")) << ExamplesDir();
  }

  // Ids of the containers and networks that carry both labels (`docker ps -a --filter label=`).
  std::set<std::string> Labelled(const std::string& a, const std::string& b) {
    std::set<std::string> out;
    for (auto list : {&docker::DockerClient::ListContainers, &docker::DockerClient::ListNetworks}) {
      auto with_a = (client_.get()->*list)(a);
      auto with_b = (client_.get()->*list)(b);
      EXPECT_TRUE(with_a.ok() && with_b.ok());
      if (!with_a.ok() || !with_b.ok()) continue;
      for (const std::string& id : *with_a) {
        if (std::find(with_b->begin(), with_b->end(), id) != with_b->end()) out.insert(id);
      }
    }
    return out;
  }

  std::unique_ptr<docker::DockerClient> client_;
};

TEST_F(ExecReferencePipelineTest, TestJobMigratesAndUsesPostgresAndRedisAndLeavesNothing) {
  Project p;
  fs::copy(ExamplesDir(), p.root(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  p.GitInit();
  // What runs of a job `test` labelled before this one (another engineer's, say) is not this
  // run's: only containers and networks that are new afterwards count as left behind.
  const std::string exec_label = "gantry.exec", job_label = "gantry.job=test-0";
  std::set<std::string> before = Labelled(exec_label, job_label);

  Process gantry({"exec", "push", "-W", ".github/workflows/ci-cd.yml", "-j", "test"}, p.root(),
                 p.base());
  Finished f = gantry.Wait(std::chrono::seconds(300));
  ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  // The migrations ran: the integration test read the seeded rows back.
  EXPECT_THAT(f.out, HasSubstr("postgres: seeded rows: add=5 mul=42"));
  // It stored and cached each result, and counted its run in Redis.
  EXPECT_THAT(f.out, HasSubstr("add 2 3 = 5: stored as row"));
  EXPECT_THAT(f.out, HasSubstr("mul 6 7 = 42: stored as row"));
  EXPECT_THAT(f.out, HasSubstr("postgres: 5 rows in results; redis: integration run #1"));
  EXPECT_THAT(f.out, HasSubstr("integration: 3 passed against PostgreSQL and Redis"));
  // The unit tests wrote the coverage file the job uploads.
  EXPECT_THAT(f.out, HasSubstr("3 passed, 0 failed"));
  EXPECT_THAT(f.out, HasSubstr("Artifact coverage has been successfully uploaded"));
  EXPECT_THAT(f.out, Not(HasSubstr("FAIL:")));
  // Only the test job ran: not the builds that need it.
  EXPECT_THAT(f.out, Not(HasSubstr("built dist/")));

  std::set<std::string> left;
  for (const std::string& id : Labelled(exec_label, job_label)) {
    if (before.count(id) == 0) left.insert(id);
  }
  EXPECT_THAT(left, IsEmpty());
}

}  // namespace
}  // namespace gantry::exec_test
