// `gantry executor run --backend docker` with real processes: a `gantry server`, a registered
// executor and the Docker engine at $DOCKER_HOST (scripts/docker-up.sh and its local images).
// Skipped without DOCKER_HOST; `ctest -E docker` leaves these tests out.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Whether the engine at $DOCKER_HOST answers and has every image of `images`; else the reason.
bool EngineWithImages(const std::vector<std::string>& images, std::string& why) {
  const char* host = std::getenv("DOCKER_HOST");
  if (host == nullptr || std::string(host).rfind("unix://", 0) != 0) {
    why = "DOCKER_HOST is not set to a unix:// socket (scripts/docker-up.sh prints one)";
    return false;
  }
  const std::string socket = std::string(host).substr(7);
  for (const std::string& image : images) {
    CURL* c = curl_easy_init();
    std::string body;
    long status = 0;
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
    curl_easy_setopt(c, CURLOPT_URL, ("http://docker/images/" + image + "/json").c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
      why = std::string("no Docker engine answers at ") + host + ": " + curl_easy_strerror(rc);
      return false;
    }
    if (status != 200) {
      why = image + " is not on the engine at " + host + " (scripts/docker-up.sh builds it)";
      return false;
    }
  }
  return true;
}

int64_t Dispatch(const std::string& url, const User& u, const Project& p, const std::string& file) {
  HttpReply d =
      Http("POST", url + "/api/v1/projects/" + p.name + "/workflows/" + file + "/dispatches", "{}",
           u.Auth());
  EXPECT_EQ(d.status, 201) << d.body;
  return d.Json()["runs"][0].get<int64_t>();
}

TEST(ServerExecutorDockerTest, EveryJobRunsInAContainerAndOwnContainersKeepTheirImage) {
  std::string why;
  if (!EngineWithImages({"debian:bookworm", "redis:7"}, why)) GTEST_SKIP() << why;
  std::string dir = TempDir("docker-backend");
  // A file of this machine that a job on its host would see and one in a container does not.
  std::string marker = dir + "/on-the-host-only";
  std::ofstream(marker) << "host\n";
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_docker_backend_test"),
               {"--embedded-executor=false"});
  std::string url = server.url();
  User admin = SignUp(url, "docker");
  Project p =
      MakeProject(admin, "boxed",
                  {{"hello.txt", "hello from the repository\n"},
                   {".github/workflows/boxed.yml",
                    R"y(on: workflow_dispatch
jobs:
  plain:
    runs-on: self-hosted
    steps:
      - uses: actions/checkout@v4
      - run: |
          test -f /.dockerenv && echo "dockerenv: yes"
          . /etc/os-release && echo "os: $ID $VERSION_CODENAME"
          echo "workspace: $GITHUB_WORKSPACE"
          echo "checked out: $(cat hello.txt)"
          if [ -e )y" + marker +
                        R"y( ]; then echo "host file: seen"; else echo "host file: hidden"; fi
          command -v redis-server || echo "redis-server: none"
  own:
    runs-on: self-hosted
    container: redis:7
    steps:
      - run: |
          test -f /.dockerenv && echo "dockerenv: yes"
          redis-server --version
)y"}},
                  url);
  ExecutorProcess executor;
  executor.Start(dir + "/e", url, admin, "boxer", "", {"--backend", "docker"});
  json run = WaitRun(admin, Dispatch(url, admin, p, "boxed.yml"), 120, url);
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2) << executor.Log();
  const json* plain = JobNamed(run, "plain");
  const json* own = JobNamed(run, "own");
  ASSERT_TRUE(plain && own) << run.dump(2);

  std::string log = JobLog(admin, *plain, url);
  EXPECT_THAT(log, HasSubstr("dockerenv: yes"));
  EXPECT_THAT(log, HasSubstr("os: debian bookworm"));
  EXPECT_THAT(log, HasSubstr("workspace: /__w/"));
  EXPECT_THAT(log, HasSubstr("checked out: hello from the repository"));
  EXPECT_THAT(log, HasSubstr("host file: hidden"));
  EXPECT_THAT(log, HasSubstr("redis-server: none"));
  EXPECT_THAT(log, HasSubstr("Starting the job container (debian:bookworm)"));

  log = JobLog(admin, *own, url);
  EXPECT_THAT(log, HasSubstr("dockerenv: yes"));
  EXPECT_THAT(log, HasSubstr("Redis server v="));
  EXPECT_THAT(log, HasSubstr("Starting the job container (redis:7)"));
  EXPECT_THAT(log, Not(HasSubstr("debian:bookworm")));

  EXPECT_THAT(executor.Log(), HasSubstr("docker backend with debian:bookworm"));
  EXPECT_EQ(executor.Stop(), 0) << executor.Log();
  server.Stop();
  std::error_code ec;
  if (!HasFailure()) fs::remove_all(dir, ec);  // kept for a look when the test failed
}

TEST(ServerExecutorDockerTest, WithoutAnEngineTheExecutorDoesNotStartAndNamesDockerHost) {
  // No server and no engine needed: the executor checks the engine before it asks for jobs.
  std::string dir = TempDir("docker-none");
  std::ofstream(dir + "/executor.yml") << "url: http://127.0.0.1:1\nname: none\ntoken: gne_x\n";
  std::string command = "DOCKER_HOST=unix://" + dir + "/none.sock " + GANTRY_BINARY +
                        " executor run --config " + dir + "/executor.yml --work-dir " + dir +
                        "/work --backend docker 2>&1";
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_THAT(out, HasSubstr("--backend docker runs every job in a container"));
  EXPECT_THAT(out, HasSubstr("which DOCKER_HOST=unix://" + dir + "/none.sock names"));
  EXPECT_THAT(out, Not(HasSubstr("takes jobs from")));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace gantry::testing
