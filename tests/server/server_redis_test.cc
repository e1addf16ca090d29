// `gantry server --redis`: the real binary against a real redis-server that the test starts,
// kills and restarts on the same port (services.md). Skips when redis-server is not installed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

bool RedisInstalled() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

// A redis-server in `dir` on a free port (the kernel's pick, released for redis to take).
class Redis {
 public:
  explicit Redis(std::string dir) : dir_(std::move(dir)) {
    port_ =
        std::stoi(Sh("python3 -c 'import socket; s=socket.socket(); "
                     "s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'"));
  }
  ~Redis() { Stop(); }
  void Start() {
    fs::create_directories(dir_);
    Sh("redis-server --bind 127.0.0.1 --port " + std::to_string(port_) +
       " --save '' --appendonly no --daemonize yes --pidfile " + Quote(dir_ + "/redis.pid") +
       " --logfile " + Quote(dir_ + "/redis.log") + " --dir " + Quote(dir_) +
       " && for i in $(seq 200); do redis-cli -p " + std::to_string(port_) +
       " ping >/dev/null 2>&1 && exit 0; sleep 0.05; done; exit 1");
  }
  void Stop() {
    if (fs::exists(dir_ + "/redis.pid")) {
      std::system(
          ("redis-cli -p " + std::to_string(port_) + " shutdown nosave >/dev/null 2>&1").c_str());
      fs::remove(dir_ + "/redis.pid");
    }
  }
  std::string Cli(const std::string& args) {
    return Sh("redis-cli -p " + std::to_string(port_) + " " + args);
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  int port_ = 0;
};

// The value of gantry_redis_connected in /metrics, waiting up to `seconds` for `want`.
std::string RedisGauge(const std::string& url, const std::string& want, int seconds) {
  std::string value;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  do {
    std::string body = Http("GET", url + "/metrics", "").body;
    size_t at = body.find("\ngantry_redis_connected ");
    value = at == std::string::npos ? "absent" : body.substr(at + 24, 1);
    if (value == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return value;
}

TEST(ServerRedisTest, BadUrlIsAStartupErrorNamingTheFlag) {
  std::string dir = TempDir("redis-bad");
  std::string out;
  FILE* p = ::popen((std::string(GANTRY_BINARY) + " server --listen 127.0.0.1:0 --data-dir " +
                     Quote(dir) + " --redis 'redis://:pw@cache:99999' 2>&1")
                        .c_str(),
                    "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  EXPECT_NE(rc, 0);
  EXPECT_THAT(out, HasSubstr("--redis"));
  EXPECT_THAT(out, HasSubstr("port '99999'"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr(":pw@")));
}

TEST(ServerRedisTest, RunsCompleteWithRedisDownAndItsReturnIsNoticed) {
  if (!RedisInstalled()) GTEST_SKIP() << "redis-server is not installed";
  std::string dir = TempDir("redis");
  Redis redis(dir + "/redis");
  // Redis is not running yet: the server starts anyway, polling.
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_redis_test"),
               {"--redis", redis.url(), "--executor-capacity", "2"});
  EXPECT_EQ(RedisGauge(server.url(), "0", 1), "0");
  EXPECT_THAT(server.Log(), HasSubstr("polling the database"));
  redis.Start();
  EXPECT_EQ(RedisGauge(server.url(), "1", 10), "1") << server.Log();

  User u = SignUp(server.url(), "redis");
  // Login attempts are counted in Redis (shared by replicas).
  EXPECT_THAT(redis.Cli("--scan --pattern 'gantry:rl:*'"),
              HasSubstr("gantry:rl:login-address:addr:"));

  Project p = MakeProject(u, "redisrun", {{".github/workflows/ci.yml", R"(on: workflow_dispatch
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo through redis
)"}},
                          server.url());
  auto dispatch = [&] {
    HttpReply d =
        Http("POST", server.url() + "/api/v1/projects/" + p.name + "/workflows/ci.yml/dispatches",
             "{}", u.Auth());
    EXPECT_EQ(d.status, 201) << d.body;
    return d.Json()["runs"][0].get<int64_t>();
  };
  EXPECT_EQ(WaitRun(u, dispatch(), 60, server.url()).value("conclusion", ""), "success");

  redis.Stop();
  EXPECT_EQ(RedisGauge(server.url(), "0", 5), "0") << server.Log();
  json run = WaitRun(u, dispatch(), 60, server.url());
  EXPECT_EQ(run.value("conclusion", ""), "success") << server.Log();

  redis.Start();
  EXPECT_EQ(RedisGauge(server.url(), "1", 10), "1") << server.Log();
  EXPECT_EQ(WaitRun(u, dispatch(), 60, server.url()).value("conclusion", ""), "success");
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace gantry::testing
