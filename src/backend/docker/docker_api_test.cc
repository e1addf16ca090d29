#include "backend/docker/docker_api.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "backend/docker/http.h"

namespace gantry::backend::docker {
namespace {

using nlohmann::json;

std::string Frame(char stream, std::string_view payload) {
  std::string h(8, '\0');
  h[0] = stream;
  uint32_t n = payload.size();
  h[4] = static_cast<char>(n >> 24);
  h[5] = static_cast<char>(n >> 16);
  h[6] = static_cast<char>(n >> 8);
  h[7] = static_cast<char>(n);
  return h + std::string(payload);
}

TEST(FrameDemuxerTest, SplitsFramesAcrossArbitraryChunks) {
  std::string big(70000, 'x');
  std::string wire = Frame(1, "out1\n") + Frame(2, "err\n") + Frame(1, "") + Frame(1, big);
  for (size_t step : {1u, 3u, 8u, 9u, 1000u, 100000u}) {
    std::vector<std::pair<int, std::string>> got;
    FrameDemuxer d([&](int s, std::string_view p) {
      if (!got.empty() && got.back().first == s && s == 1 && got.back().second.size() >= 5 &&
          got.back().second[0] == 'x') {
        got.back().second.append(p);
      } else {
        got.emplace_back(s, std::string(p));
      }
    });
    for (size_t i = 0; i < wire.size(); i += step) d.Feed(std::string_view(wire).substr(i, step));
    ASSERT_EQ(got.size(), 3u) << "step " << step;
    EXPECT_EQ(got[0], std::make_pair(1, std::string("out1\n")));
    EXPECT_EQ(got[1], std::make_pair(2, std::string("err\n")));
    EXPECT_EQ(got[2].second, big);
    EXPECT_EQ(d.pending(), 0u);
  }
}

TEST(FrameDemuxerTest, TruncatedFrameStaysPending) {
  std::string out;
  FrameDemuxer d([&](int, std::string_view p) { out.append(p); });
  std::string f = Frame(1, "hello");
  d.Feed(f.substr(0, 10));
  EXPECT_EQ(out, "");
  EXPECT_EQ(d.pending(), 10u);
}

TEST(FrameDemuxerTest, RawStreamPassesThrough) {
  std::string out;
  FrameDemuxer d([&](int s, std::string_view p) {
    EXPECT_EQ(s, 0);
    out.append(p);
  });
  d.Feed("plain tty ");
  d.Feed("output");
  EXPECT_EQ(out, "plain tty output");
}

TEST(ProgressParserTest, LogsStreamAndStatusAndKeepsFirstError) {
  std::vector<std::string> lines;
  std::function<void(std::string_view)> log = [&](std::string_view l) { lines.emplace_back(l); };
  ProgressParser p(log);
  p.Feed(R"({"status":"Pulling from library/x","id":"1"})"
         "\n"
         R"({"status":"Downloading","progressDetail":{"current":1},"progress":"[=> ]","id":"a"})"
         "\n{\"stream\":\"Step 1/2 : FROM x\\n\"}\n{\"err");
  p.Feed("or\":\"boom\",\"errorDetail\":{\"message\":\"boom\"}}\n{\"error\":\"second\"}");
  p.Finish();
  EXPECT_EQ(lines, (std::vector<std::string>{"1: Pulling from library/x", "Step 1/2 : FROM x",
                                             "boom", "second"}));
  EXPECT_EQ(p.error(), "boom");
}

TEST(PortSpecTest, Forms) {
  auto a = *ParsePortSpec("8080:80");
  EXPECT_EQ(a.host_ip, "");
  EXPECT_EQ(a.host_port, "8080");
  EXPECT_EQ(a.container_port, "80/tcp");
  auto b = *ParsePortSpec("127.0.0.1::5432");
  EXPECT_EQ(b.host_ip, "127.0.0.1");
  EXPECT_EQ(b.host_port, "");
  EXPECT_EQ(b.container_port, "5432/tcp");
  auto c = *ParsePortSpec("53/udp");
  EXPECT_EQ(c.container_port, "53/udp");
  EXPECT_EQ(c.host_port, "");
  auto d = *ParsePortSpec("[::1]:8080:80");
  EXPECT_EQ(d.host_ip, "::1");
  EXPECT_EQ(d.host_port, "8080");
  EXPECT_FALSE(ParsePortSpec("1:2:3:4").ok());
  EXPECT_FALSE(ParsePortSpec("80/xyz").ok());
  EXPECT_FALSE(ParsePortSpec("99999").ok());
  EXPECT_FALSE(ParsePortSpec("").ok());
}

TEST(ContainerCreateBodyTest, MapsEveryField) {
  ContainerSpec s;
  s.image = "debian:bookworm";
  s.cmd = {"sleep", "infinity"};
  s.entrypoint = {""};
  s.working_dir = "/w";
  s.user = "1000";
  s.hostname = "h";
  s.env = {{"A", "1"}};
  s.labels = {{"gantry.run", "7"}};
  s.ports = {"127.0.0.1::5432", "8080:80"};
  s.binds = {"/a:/b:ro"};
  s.network = "n";
  s.network_aliases = {"db"};
  s.health = ContainerSpec::Health{{"CMD-SHELL", "true"}, 1'000'000'000, 2, 0, 3};
  s.cpus = 0.5;
  s.memory_bytes = 1 << 20;
  s.privileged = true;
  s.init = true;
  s.cap_add = {"NET_ADMIN"};
  s.cap_drop = {"MKNOD"};
  s.extra_hosts = {"x:1.2.3.4"};
  s.tmpfs = {"/run:size=1m", "/tmp"};
  json b = *ContainerCreateBody(s);
  EXPECT_EQ(b["Image"], "debian:bookworm");
  EXPECT_EQ(b["Cmd"], json({"sleep", "infinity"}));
  EXPECT_EQ(b["Entrypoint"], json({""}));
  EXPECT_EQ(b["WorkingDir"], "/w");
  EXPECT_EQ(b["User"], "1000");
  EXPECT_EQ(b["Hostname"], "h");
  EXPECT_EQ(b["Env"], json({"A=1"}));
  EXPECT_EQ(b["Labels"], json({{"gantry.run", "7"}}));
  EXPECT_TRUE(b["ExposedPorts"].contains("5432/tcp"));
  EXPECT_TRUE(b["ExposedPorts"].contains("80/tcp"));
  const json& hc = b["HostConfig"];
  EXPECT_EQ(hc["PortBindings"]["5432/tcp"][0], json({{"HostIp", "127.0.0.1"}, {"HostPort", ""}}));
  EXPECT_EQ(hc["PortBindings"]["80/tcp"][0], json({{"HostIp", ""}, {"HostPort", "8080"}}));
  EXPECT_EQ(hc["Binds"], json({"/a:/b:ro"}));
  EXPECT_EQ(hc["NetworkMode"], "n");
  EXPECT_EQ(hc["NanoCpus"], 500'000'000);
  EXPECT_EQ(hc["Memory"], 1 << 20);
  EXPECT_EQ(hc["Privileged"], true);
  EXPECT_EQ(hc["Init"], true);
  EXPECT_EQ(hc["CapAdd"], json({"NET_ADMIN"}));
  EXPECT_EQ(hc["CapDrop"], json({"MKNOD"}));
  EXPECT_EQ(hc["ExtraHosts"], json({"x:1.2.3.4"}));
  EXPECT_EQ(hc["Tmpfs"], json({{"/run", "size=1m"}, {"/tmp", ""}}));
  EXPECT_EQ(b["NetworkingConfig"]["EndpointsConfig"]["n"]["Aliases"], json({"db"}));
  EXPECT_EQ(b["Healthcheck"], json({{"Test", {"CMD-SHELL", "true"}},
                                    {"Interval", 1'000'000'000},
                                    {"Timeout", 2},
                                    {"Retries", 3}}));
}

TEST(ContainerCreateBodyTest, MinimalSpecHasNoOptionalFields) {
  ContainerSpec s;
  s.image = "x";
  json b = *ContainerCreateBody(s);
  EXPECT_FALSE(b.contains("Cmd"));
  EXPECT_FALSE(b.contains("Healthcheck"));
  EXPECT_FALSE(b.contains("NetworkingConfig"));
  EXPECT_EQ(b["HostConfig"], json::object());
  s.ports = {"bad:port:spec:x"};
  EXPECT_FALSE(ContainerCreateBody(s).ok());
}

TEST(ExecCreateBodyTest, Fields) {
  json b = ExecCreateBody({"ls", "-l"}, "/w", {{"PATH", "/bin"}}, "nobody");
  EXPECT_EQ(b["Cmd"], json({"ls", "-l"}));
  EXPECT_EQ(b["Env"], json({"PATH=/bin"}));
  EXPECT_EQ(b["WorkingDir"], "/w");
  EXPECT_EQ(b["User"], "nobody");
  EXPECT_EQ(b["Tty"], false);
  EXPECT_EQ(b["AttachStdout"], true);
  EXPECT_EQ(b["AttachStderr"], true);
}

TEST(ContainerStateTest, ParsesInspect) {
  json j = json::parse(R"({
    "State": {"Status": "running", "ExitCode": 0, "Health": {"Status": "healthy"}},
    "NetworkSettings": {
      "IPAddress": "",
      "Ports": {"5432/tcp": [{"HostIp": "::", "HostPort": "49154"},
                             {"HostIp": "127.0.0.1", "HostPort": "49153"}],
                "6379/tcp": null,
                "80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
      "Networks": {"n": {"IPAddress": "10.1.0.2"}}}})");
  ContainerState s = ParseContainerState(j);
  EXPECT_EQ(s.status, "running");
  EXPECT_EQ(s.health, "healthy");
  EXPECT_EQ(s.ip, "10.1.0.2");
  EXPECT_EQ(s.ports, (std::map<std::string, std::string>{{"5432/tcp", "127.0.0.1:49153"},
                                                         {"80/tcp", "0.0.0.0:8080"}}));
  ContainerState e =
      ParseContainerState(json::parse(R"({"State":{"Status":"exited","ExitCode":3}})"));
  EXPECT_EQ(e.exit_code, 3);
  EXPECT_EQ(e.health, "");
}

TEST(ContainerStateTest, HealthIntervalComesFromTheContainersConfig) {
  // podman 4.3 before the start: empty health status, the interval in Config.Healthcheck.
  ContainerState s = ParseContainerState(json::parse(R"({
    "Config": {"Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 200000000,
                               "Timeout": 30000000000, "Retries": 2}},
    "State": {"Status": "created", "Health": {"Status": "", "FailingStreak": 0, "Log": null}}})"));
  EXPECT_EQ(s.health_interval_ns, 200'000'000);
  EXPECT_EQ(s.health, "");
  EXPECT_EQ(
      ParseContainerState(json::parse(R"({"Config": {"Healthcheck": null}})")).health_interval_ns,
      0);
  EXPECT_EQ(ParseContainerState(json::parse(R"({"Config": {"Image": "x"}})")).health_interval_ns,
            0);
}

TEST(EngineMessageTest, MessageOrBody) {
  EXPECT_EQ(EngineMessage(R"({"message":"No such container: x"})"), "No such container: x");
  EXPECT_EQ(EngineMessage("plain text\n"), "plain text");
}

TEST(EngineMessageTest, PodmanErrorBodyGivesItsMessage) {
  // podman 4.3's compat API: cause, message and response.
  EXPECT_EQ(EngineMessage(R"({"cause":"no such container","message":"no container with name )"
                          R"(or ID \"x\" found: no such container","response":404})"),
            "no container with name or ID \"x\" found: no such container");
}

TEST(EngineStatusTest, PodmanWrongContainerStateIsAConflictAsInDocker) {
  const std::string improper =
      R"({"cause":"container state improper","message":"can only kill running containers. )"
      R"(abc is in state exited: container state improper","response":500})";
  EXPECT_EQ(EngineStatus(500, improper), 409);
  EXPECT_EQ(EngineStatus(500, R"({"cause":"some other failure","message":"m"})"), 500);
  EXPECT_EQ(EngineStatus(500, R"({"cause":7})"), 500);
  EXPECT_EQ(EngineStatus(500, "not json"), 500);
  EXPECT_EQ(EngineStatus(404, improper), 404);
  EXPECT_EQ(EngineStatus(409, R"({"message":"is not running"})"), 409);
}

TEST(PodmanApiVersionTest, FoundOnlyInAPodmanVersionResponse) {
  // Trimmed GET /version of podman 4.3.1 and of Debian's docker.io 20.10.
  auto podman = nlohmann::json::parse(R"({"Platform":{"Name":"linux/amd64/debian-12"},
      "Components":[{"Name":"Podman Engine","Version":"4.3.1","Details":{"APIVersion":"4.3.1",
      "MinAPIVersion":"4.0.0"}},{"Name":"Conmon","Version":"conmon version 2.1.6"}],
      "Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24"})");
  EXPECT_EQ(PodmanApiVersion(podman), "4.3.1");
  podman["Components"][0].erase("Details");
  EXPECT_EQ(PodmanApiVersion(podman), "4.0.0");
  auto docker = nlohmann::json::parse(R"({"Platform":{"Name":""},
      "Components":[{"Name":"Engine","Version":"20.10.24+dfsg1","Details":{"ApiVersion":"1.41"}},
      {"Name":"containerd","Version":"1.6.20~ds1"}],"Version":"20.10.24+dfsg1","ApiVersion":"1.41"})");
  EXPECT_EQ(PodmanApiVersion(docker), std::nullopt);
  EXPECT_EQ(PodmanApiVersion(nlohmann::json::parse(R"({"Components":[7,{"Name":1}]})")),
            std::nullopt);
  EXPECT_EQ(PodmanApiVersion(nlohmann::json::object()), std::nullopt);
}

TEST(ApiVersionTest, Min) {
  EXPECT_EQ(MinApiVersion("1.41", "1.43"), "1.41");
  EXPECT_EQ(MinApiVersion("1.44", "1.43"), "1.43");
  EXPECT_EQ(MinApiVersion("1.9", "1.43"), "1.9");
}

TEST(UrlEncodeTest, Reserved) { EXPECT_EQ(UrlEncode("a b/{\"x\"}"), "a%20b%2F%7B%22x%22%7D"); }

}  // namespace
}  // namespace gantry::backend::docker
