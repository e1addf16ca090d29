#include <gtest/gtest.h>
#include <stdlib.h>

#include "backend/docker/docker_api.h"
#include "backend/docker/docker_client.h"

namespace gantry::backend::docker {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

ContainerSpec Apply(std::string_view options) {
  ContainerSpec spec;
  core::Status st = ApplyDockerOptions(options, spec);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return spec;
}

std::string Error(std::string_view options) {
  ContainerSpec spec;
  core::Status st = ApplyDockerOptions(options, spec);
  EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument) << options;
  return st.message();
}

TEST(DockerOptionsTest, EnvInAllSpellingsLaterWins) {
  auto s = Apply("-e A=1 --env B=2 --env=C=3 -eD=4 -e A=5");
  EXPECT_EQ(s.env, (Pairs{{"A", "5"}, {"B", "2"}, {"C", "3"}, {"D", "4"}}));
}

TEST(DockerOptionsTest, EnvWithoutValuePassesThisProcessValueThrough) {
  setenv("GANTRY_DOCKER_OPT_TEST", "from-host", 1);
  auto s = Apply("-e GANTRY_DOCKER_OPT_TEST -e GANTRY_DOCKER_OPT_UNSET_XYZ");
  unsetenv("GANTRY_DOCKER_OPT_TEST");
  EXPECT_EQ(s.env, (Pairs{{"GANTRY_DOCKER_OPT_TEST", "from-host"}}));
}

TEST(DockerOptionsTest, QuotesAndEscapes) {
  auto s = Apply(R"(-e 'A=x y' --env="B=say \"hi\"" -e C=a\ b --health-cmd "pg_isready -U 'me'")");
  EXPECT_EQ(s.env, (Pairs{{"A", "x y"}, {"B", "say \"hi\""}, {"C", "a b"}}));
  ASSERT_TRUE(s.health);
  EXPECT_EQ(s.health->test, (std::vector<std::string>{"CMD-SHELL", "pg_isready -U 'me'"}));
}

TEST(DockerOptionsTest, MultiLineOptions) {
  auto s = Apply("--cpus 1.5\n  --memory 512m\n\t--privileged");
  EXPECT_DOUBLE_EQ(s.cpus, 1.5);
  EXPECT_EQ(s.memory_bytes, 512LL << 20);
  EXPECT_TRUE(s.privileged);
}

TEST(DockerOptionsTest, VolumesPortsAndNetwork) {
  auto s = Apply(
      "-v /src:/dst:ro --volume cache:/cache -p 8080:80 --publish 127.0.0.1::5432 -p 5432/tcp "
      "-p=80 --network net1 --network-alias db --net-alias db2 -h myhost");
  EXPECT_EQ(s.binds, (std::vector<std::string>{"/src:/dst:ro", "cache:/cache"}));
  EXPECT_EQ(s.ports, (std::vector<std::string>{"8080:80", "127.0.0.1::5432", "5432/tcp", "80"}));
  EXPECT_EQ(s.network, "net1");
  EXPECT_EQ(s.network_aliases, (std::vector<std::string>{"db", "db2"}));
  EXPECT_EQ(s.hostname, "myhost");
}

TEST(DockerOptionsTest, UserWorkdirEntrypointLabels) {
  auto s = Apply("-u 1000:1000 -w /work --entrypoint /bin/sh -l a=b --label c");
  EXPECT_EQ(s.user, "1000:1000");
  EXPECT_EQ(s.working_dir, "/work");
  EXPECT_EQ(s.entrypoint, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(s.labels, (Pairs{{"a", "b"}, {"c", ""}}));
  auto t = Apply("--workdir=/x --user=root --entrypoint=");
  EXPECT_EQ(t.working_dir, "/x");
  EXPECT_EQ(t.user, "root");
  EXPECT_EQ(t.entrypoint, (std::vector<std::string>{""}));
}

TEST(DockerOptionsTest, HealthOptions) {
  auto s = Apply(
      "--health-cmd 'redis-cli ping' --health-interval 10s --health-timeout 1m30s "
      "--health-retries 5 --health-start-period 500ms");
  ASSERT_TRUE(s.health);
  EXPECT_EQ(s.health->interval_ns, 10'000'000'000LL);
  EXPECT_EQ(s.health->timeout_ns, 90'000'000'000LL);
  EXPECT_EQ(s.health->start_period_ns, 500'000'000LL);
  EXPECT_EQ(s.health->retries, 5);
  auto n = Apply("--no-healthcheck");
  ASSERT_TRUE(n.health);
  EXPECT_EQ(n.health->test, (std::vector<std::string>{"NONE"}));
}

TEST(DockerOptionsTest, FlagsCapsHostsTmpfs) {
  auto s = Apply(
      "--privileged=false --init --cap-add NET_ADMIN --cap-drop=MKNOD --add-host h:10.0.0.1 "
      "--tmpfs /run:size=64m --tmpfs /tmp");
  EXPECT_FALSE(s.privileged);
  EXPECT_TRUE(s.init);
  EXPECT_EQ(s.cap_add, (std::vector<std::string>{"NET_ADMIN"}));
  EXPECT_EQ(s.cap_drop, (std::vector<std::string>{"MKNOD"}));
  EXPECT_EQ(s.extra_hosts, (std::vector<std::string>{"h:10.0.0.1"}));
  EXPECT_EQ(s.tmpfs, (std::vector<std::string>{"/run:size=64m", "/tmp"}));
}

TEST(DockerOptionsTest, NameAndRmAreIgnoredWithANote) {
  ContainerSpec spec;
  spec.name = "gantry-chosen";
  std::vector<std::string> notes;
  ASSERT_TRUE(ApplyDockerOptions("--name mine --rm", spec, &notes).ok());
  EXPECT_EQ(spec.name, "gantry-chosen");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("--name"), std::string::npos);
  EXPECT_NE(notes[1].find("--rm"), std::string::npos);
}

TEST(DockerOptionsTest, EmptyOptionsChangeNothing) {
  auto s = Apply("  \n ");
  EXPECT_TRUE(s.env.empty());
  EXPECT_FALSE(s.health);
}

TEST(DockerOptionsTest, Errors) {
  EXPECT_EQ(Error("--foo"), "unsupported container option '--foo'");
  EXPECT_EQ(Error("--foo=1"), "unsupported container option '--foo'");
  EXPECT_EQ(Error("-x"), "unsupported container option '-x'");
  EXPECT_NE(Error("--cpus").find("needs a value"), std::string::npos);
  EXPECT_NE(Error("--cpus abc").find("--cpus"), std::string::npos);
  EXPECT_NE(Error("--memory 12q").find("invalid size '12q'"), std::string::npos);
  EXPECT_NE(Error("--health-interval 10").find("invalid duration '10'"), std::string::npos);
  EXPECT_NE(Error("--health-retries x").find("--health-retries"), std::string::npos);
  EXPECT_NE(Error("-p 80:abc").find("invalid port"), std::string::npos);
  EXPECT_NE(Error("-p 8000-8010:80").find("ranges"), std::string::npos);
  EXPECT_NE(Error("-v /data").find("anonymous"), std::string::npos);
  EXPECT_NE(Error("-e 'A=1").find("unterminated"), std::string::npos);
  EXPECT_NE(Error("ubuntu").find("unexpected argument 'ubuntu'"), std::string::npos);
  EXPECT_NE(Error("--privileged=maybe").find("true or false"), std::string::npos);
  EXPECT_NE(Error("--add-host nocolon").find("host:ip"), std::string::npos);
}

TEST(DockerOptionsTest, GoDurations) {
  EXPECT_EQ(*ParseGoDuration("0"), 0);
  EXPECT_EQ(*ParseGoDuration("1h"), 3600'000'000'000LL);
  EXPECT_EQ(*ParseGoDuration("1.5s"), 1'500'000'000LL);
  EXPECT_EQ(*ParseGoDuration("2m3s4ms"), 123'004'000'000LL);
  EXPECT_EQ(*ParseGoDuration("7us"), 7'000LL);
  EXPECT_EQ(*ParseGoDuration("9ns"), 9LL);
  EXPECT_FALSE(ParseGoDuration("").ok());
  EXPECT_FALSE(ParseGoDuration("s").ok());
  EXPECT_FALSE(ParseGoDuration("5d").ok());
  EXPECT_FALSE(ParseGoDuration("-1s").ok());
}

TEST(DockerOptionsTest, MemorySizes) {
  EXPECT_EQ(*ParseMemoryBytes("4096"), 4096);
  EXPECT_EQ(*ParseMemoryBytes("100b"), 100);
  EXPECT_EQ(*ParseMemoryBytes("1024k"), 1024LL * 1024);
  EXPECT_EQ(*ParseMemoryBytes("512M"), 512LL << 20);
  EXPECT_EQ(*ParseMemoryBytes("1g"), 1LL << 30);
  EXPECT_EQ(*ParseMemoryBytes("1.5GB"), 3LL << 29);
  EXPECT_EQ(*ParseMemoryBytes("2GiB"), 2LL << 30);
  EXPECT_FALSE(ParseMemoryBytes("").ok());
  EXPECT_FALSE(ParseMemoryBytes("g").ok());
  EXPECT_FALSE(ParseMemoryBytes("1x").ok());
}

}  // namespace
}  // namespace gantry::backend::docker
