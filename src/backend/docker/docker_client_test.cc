// Integration tests against a real engine: DOCKER_HOST must name one (scripts/docker-up.sh
// starts a private one with the debian:bookworm image); otherwise they are skipped.

#include "backend/docker/docker_client.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "backend/docker/http.h"

namespace gantry::backend::docker {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const char* const kImage = "debian:bookworm";
const char* const kPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

class DockerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* host = std::getenv("DOCKER_HOST");
    if (host == nullptr || *host == '\0') GTEST_SKIP() << "DOCKER_HOST is not set";
    auto c = DockerClient::Connect(host);
    if (!c.ok()) GTEST_SKIP() << c.status().ToString();
    client_ = std::move(*c);
    auto has = client_->ImageExists(kImage);
    ASSERT_TRUE(has.ok()) << has.status().ToString();
    if (!*has) GTEST_SKIP() << kImage << " is not in the engine (run scripts/docker-up.sh)";
    static std::atomic<int> counter{0};
    label_value_ = std::to_string(getpid()) + "-" + std::to_string(counter++);
  }

  // Removes what the test created and checks that nothing carrying its label is left.
  void TearDown() override {
    if (!client_) return;
    auto cs = client_->ListContainers(Label());
    ASSERT_TRUE(cs.ok()) << cs.status().ToString();
    for (const auto& id : *cs) EXPECT_TRUE(client_->RemoveContainer(id, true, true).ok());
    auto ns = client_->ListNetworks(Label());
    ASSERT_TRUE(ns.ok()) << ns.status().ToString();
    for (const auto& id : *ns) EXPECT_TRUE(client_->RemoveNetwork(id).ok());
    auto vs = client_->ListVolumes(Label());
    ASSERT_TRUE(vs.ok()) << vs.status().ToString();
    for (const auto& v : *vs) EXPECT_TRUE(client_->RemoveVolume(v, true).ok());
    EXPECT_TRUE(client_->ListVolumes(Label())->empty());
    EXPECT_TRUE(client_->ListContainers(Label())->empty());
    EXPECT_TRUE(client_->ListNetworks(Label())->empty());
  }

  std::string Label() const { return "gantry.test=" + label_value_; }

  ContainerSpec Spec() const {
    ContainerSpec spec;
    spec.image = kImage;
    spec.cmd = {"sleep", "infinity"};
    spec.labels = {{"gantry.test", label_value_}};
    return spec;
  }

  // Creates and starts a container; returns its id.
  std::string Start(const ContainerSpec& spec) {
    auto id = client_->CreateContainer(spec);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return "";
    core::Status st = client_->StartContainer(*id);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return *id;
  }

  struct Ran {
    ProcessResult result;
    std::string output;
  };
  Ran Exec(const std::string& id, std::vector<std::string> argv, const std::string& user = "",
           milliseconds timeout = milliseconds(0), const CancelToken* cancel = nullptr) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.cwd = "/";
    spec.env = {{"PATH", kPath}};
    spec.timeout = timeout;
    spec.kill_grace = milliseconds(1000);
    CancelToken none;
    Ran ran;
    std::mutex mu;
    auto r = client_->Exec(
        id, spec, user,
        [&](std::string_view c) {
          std::lock_guard<std::mutex> lock(mu);
          ran.output.append(c);
        },
        cancel != nullptr ? *cancel : none);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) ran.result = *r;
    return ran;
  }

  std::unique_ptr<DockerClient> client_;
  std::string label_value_;
};

TEST_F(DockerClientTest, ConnectNegotiatesAnApiVersion) {
  EXPECT_FALSE(client_->api_version().empty());
  EXPECT_EQ(client_->api_version().rfind("1.", 0), 0u) << client_->api_version();
  EXPECT_FALSE(client_->socket_path().empty());
  EXPECT_FALSE(client_->engine_version().empty());
}

TEST(DockerConnectTest, NothingListeningIsUnavailable) {
  auto c = DockerClient::Connect("unix:///nonexistent/gantry/docker.sock");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(c.status().message(),
            "no Docker engine at /nonexistent/gantry/docker.sock (no such socket): start one, set "
            "DOCKER_HOST to its unix:// socket, or run without containers");
  EXPECT_EQ(DockerClient::Connect("tcp://127.0.0.1:2375").status().code(),
            core::StatusCode::kInvalidArgument);
}

TEST(DockerConnectTest, AFileThatIsNotASocketIsSaidInOneLine) {
  char dir[] = "/tmp/gantry-docker-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string file = std::string(dir) + "/docker.sock";
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  auto c = DockerClient::Connect("unix://" + file);
  EXPECT_EQ(c.status().message(), "no Docker engine at " + file +
                                      " (not a socket): start one, set DOCKER_HOST to its unix:// "
                                      "socket, or run without containers");
  std::remove(file.c_str());
  rmdir(dir);
}

TEST_F(DockerClientTest, ExecReportsOutputExitCodeEnvCwdAndUser) {
  std::string id = Start(Spec());
  ASSERT_FALSE(id.empty());
  ProcessSpec spec;
  // stdout and stderr are separate pipes in the engine: their relative order is not kept.
  spec.argv = {"sh", "-c", "echo err >&2; sleep 0.2; echo out; pwd; echo \"$FOO\"; id -u; exit 3"};
  spec.cwd = "/tmp";
  spec.env = {{"PATH", kPath}, {"FOO", "bar baz"}};
  std::string out;
  auto r = client_->Exec(
      id, spec, "nobody", [&](std::string_view c) { out.append(c); }, CancelToken());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(out, "err\nout\n/tmp\nbar baz\n65534\n");

  Ran ok = Exec(id, {"true"});
  EXPECT_TRUE(ok.result.ok());
  EXPECT_EQ(ok.output, "");

  ProcessSpec missing;
  missing.argv = {"no-such-program-gantry"};
  missing.env = {{"PATH", kPath}};
  auto m = client_->Exec(id, missing, "", nullptr, CancelToken());
  EXPECT_EQ(m.status().code(), core::StatusCode::kNotFound) << m.status().ToString();

  EXPECT_TRUE(client_->StopContainer(id, 1).ok());
  auto stopped = client_->InspectContainer(id);
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(stopped->status, "exited");
  EXPECT_TRUE(client_->RemoveContainer(id, false, true).ok());
  EXPECT_EQ(client_->InspectContainer(id).status().code(), core::StatusCode::kNotFound);
}

TEST_F(DockerClientTest, ContainerBackendRunsProcessesInTheContainer) {
  std::string id = Start(Spec());
  ASSERT_FALSE(id.empty());
  auto backend = MakeContainerBackend(*client_, id);
  ProcessSpec spec;
  spec.argv = {"cat", "/etc/debian_version"};
  spec.cwd = "/";
  spec.env = {{"PATH", kPath}};
  std::string out;
  auto r = backend->Run(
      spec, [&](std::string_view c) { out.append(c); }, CancelToken());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(out.rfind("12", 0), 0u) << out;
}

TEST_F(DockerClientTest, ExecTimeoutKillsTheWholeTree) {
  std::string id = Start(Spec());
  ASSERT_FALSE(id.empty());
  Ran ran = Exec(id, {"sh", "-c", "sleep 4242 & echo started; sleep 4243"}, "", milliseconds(1500));
  EXPECT_TRUE(ran.result.timed_out);
  EXPECT_FALSE(ran.result.ok());
  EXPECT_EQ(ran.output, "started\n");
  // The pattern does not match the grep's own command line.
  Ran ps = Exec(id, {"sh", "-c",
                     "for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline 2>/dev/null; echo; "
                     "done | grep -c 'sleep 424[23]' || true"});
  EXPECT_EQ(ps.output, "0\n");
}

TEST_F(DockerClientTest, ExecLeavesNoBackgroundProcessAfterANormalExit) {
  std::string id = Start(Spec());
  ASSERT_FALSE(id.empty());
  Ran ran = Exec(id, {"sh", "-c", "sleep 4244 >/dev/null 2>&1 & echo done"});
  EXPECT_TRUE(ran.result.ok());
  EXPECT_EQ(ran.output, "done\n");
  Ran ps = Exec(id, {"sh", "-c",
                     "sleep 0.2; for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline 2>/dev/null; "
                     "echo; done | grep -c 'sleep 424[4]' || true"});
  EXPECT_EQ(ps.output, "0\n");
}

TEST_F(DockerClientTest, CancelStopsAnExec) {
  std::string id = Start(Spec());
  ASSERT_FALSE(id.empty());
  CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(500));
    cancel.Cancel();
  });
  Ran ran = Exec(id, {"sleep", "4245"}, "", milliseconds(0), &cancel);
  canceller.join();
  EXPECT_TRUE(ran.result.cancelled);
  EXPECT_FALSE(ran.result.timed_out);
}

TEST_F(DockerClientTest, NetworkAliasResolvesToTheContainer) {
  auto net = client_->CreateNetwork("gantry-test-" + label_value_, {{"gantry.test", label_value_}});
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  ContainerSpec svc = Spec();
  svc.network = *net;
  svc.network_aliases = {"svc"};
  std::string a = Start(svc);
  ASSERT_FALSE(a.empty());
  ContainerSpec job = Spec();
  job.network = *net;
  std::string b = Start(job);
  ASSERT_FALSE(b.empty());
  auto state = client_->InspectContainer(a);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_FALSE(state->ip.empty());
  Ran ran = Exec(b, {"getent", "hosts", "svc"});
  EXPECT_TRUE(ran.result.ok());
  EXPECT_EQ(ran.output.rfind(state->ip + " ", 0), 0u) << ran.output << " vs " << state->ip;
  auto nets = client_->ListNetworks(Label());
  ASSERT_TRUE(nets.ok());
  EXPECT_EQ(*nets, std::vector<std::string>{*net});
}

TEST_F(DockerClientTest, HealthcheckBecomesHealthy) {
  ContainerSpec spec = Spec();
  ASSERT_TRUE(ApplyDockerOptions("--health-cmd 'test -e /tmp' --health-interval 200ms "
                                 "--health-timeout 5s --health-retries 3",
                                 spec)
                  .ok());
  std::string id = Start(spec);
  ASSERT_FALSE(id.empty());
  std::string health;
  for (int i = 0; i < 300 && health != "healthy"; ++i) {
    // podman runs timed checks only through systemd timers; there the caller runs them.
    if (client_->is_podman()) {
      EXPECT_TRUE(client_->RunHealthcheck(id, CancelToken()).ok());
    }
    auto st = client_->InspectContainer(id);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    health = st->health;
    if (health != "healthy") std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(health, "healthy");
}

TEST_F(DockerClientTest, RunHealthcheckIsForPodmanOnlyAndNeedsAHealthcheck) {
  std::string id = Start(Spec());
  ASSERT_FALSE(id.empty());
  core::Status st = client_->RunHealthcheck(id, CancelToken());
  if (!client_->is_podman()) {
    EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument) << st.ToString();
    return;
  }
  EXPECT_EQ(st.code(), core::StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_NE(st.message().find("no defined healthcheck"), std::string::npos) << st.message();
  EXPECT_EQ(client_->RunHealthcheck("gantry-no-such-container", CancelToken()).code(),
            core::StatusCode::kNotFound);
}

TEST_F(DockerClientTest, PublishedPortShowsInInspect) {
  ContainerSpec spec = Spec();
  spec.ports = {"127.0.0.1::5432"};
  std::string id = Start(spec);
  ASSERT_FALSE(id.empty());
  auto st = client_->InspectContainer(id);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_EQ(st->ports.count("5432/tcp"), 1u);
  const std::string& addr = st->ports.at("5432/tcp");
  EXPECT_EQ(addr.rfind("127.0.0.1:", 0), 0u) << addr;
  EXPECT_GT(std::stoi(addr.substr(10)), 0);
}

TEST_F(DockerClientTest, ContainerLogsHoldStdoutAndStderr) {
  ContainerSpec spec = Spec();
  spec.cmd = {"sh", "-c", "echo one >&2; sleep 0.2; echo two"};
  std::string id = Start(spec);
  ASSERT_FALSE(id.empty());
  std::string status;
  for (int i = 0; i < 100 && status != "exited"; ++i) {
    auto st = client_->InspectContainer(id);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    status = st->status;
    if (status != "exited") std::this_thread::sleep_for(milliseconds(100));
  }
  auto logs = client_->ContainerLogs(id, 0);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_EQ(*logs, "one\ntwo\n");  // the sleep orders the two streams
  EXPECT_EQ(*client_->ContainerLogs(id, 1), "two\n");
}

TEST_F(DockerClientTest, PullOfAMissingImageFailsWithTheEnginesMessage) {
  const std::string image = "gantry-test/no-such-image:" + label_value_;
  EXPECT_FALSE(*client_->ImageExists(image));
  std::vector<std::string> log;
  core::Status st = client_->PullImage(
      image, [&](std::string_view l) { log.emplace_back(l); }, CancelToken());
  ASSERT_FALSE(st.ok());
  const std::string prefix = "cannot pull image " + image + ": ";
  EXPECT_EQ(st.message().rfind(prefix, 0), 0u) << st.message();
  EXPECT_GT(st.message().size(), prefix.size() + 5) << st.message();
}

TEST_F(DockerClientTest, CreateWithAMissingImageIsNotFound) {
  ContainerSpec spec = Spec();
  spec.image = "gantry-test/no-such-image:" + label_value_;
  EXPECT_EQ(client_->CreateContainer(spec).status().code(), core::StatusCode::kNotFound);
}

TEST_F(DockerClientTest, ListContainersByLabel) {
  auto a = client_->CreateContainer(Spec());
  auto b = client_->CreateContainer(Spec());
  ASSERT_TRUE(a.ok() && b.ok());
  auto ids = client_->ListContainers(Label());
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  std::sort(ids->begin(), ids->end());
  std::vector<std::string> want = {*a, *b};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*ids, want);
  EXPECT_TRUE(client_->ListContainers("gantry.test=none-" + label_value_)->empty());
}

TEST_F(DockerClientTest, BuildImageFromAContextDirectory) {
  std::string templ = (fs::temp_directory_path() / "gantry-docker-XXXXXX").string();
  const std::string dir = mkdtemp(templ.data());
  fs::create_directories(dir + "/sub");
  std::ofstream(dir + "/sub/Containerfile")
      << "FROM " << kImage << "\nCOPY hello.txt /hello.txt\nRUN test -s /hello.txt\n";
  std::ofstream(dir + "/hello.txt") << "hi\n";
  const std::string tag = "gantry-test-build:" + label_value_;
  std::vector<std::string> log;
  core::Status st = client_->BuildImage(
      dir, "sub/Containerfile", tag, [&](std::string_view l) { log.emplace_back(l); },
      CancelToken());
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(log.empty());
  EXPECT_TRUE(*client_->ImageExists(tag));
  EXPECT_TRUE(client_->RemoveImage(tag, true).ok());
  EXPECT_FALSE(*client_->ImageExists(tag));

  std::ofstream(dir + "/Dockerfile") << "FROM " << kImage << "\nRUN exit 7\n";
  st = client_->BuildImage(dir, "", tag, nullptr, CancelToken());
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot build image " + tag), std::string::npos) << st.message();
  (void)client_->RemoveImage(tag, true);
  fs::remove_all(dir);
}

// Decodes URL-safe base64 with padding.
std::string DecodeUrlBase64(std::string s) {
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std::string out(s.size(), '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  EXPECT_GE(n, 0);
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '\0') out.pop_back();  // the padding's zero bytes
  return out;
}

TEST(RegistryAuthTest, HeaderIsUrlSafeBase64OfTheCredentialsJson) {
  // "?>?" encodes to characters that differ between standard and URL-safe base64.
  RegistryAuth auth{"me", "p?>?w", "registry.example:5000"};
  std::string header = RegistryAuthHeader(auth);
  EXPECT_EQ(header.find_first_of("+/"), std::string::npos) << header;
  auto j = nlohmann::json::parse(DecodeUrlBase64(header));
  EXPECT_EQ(j["username"], "me");
  EXPECT_EQ(j["password"], "p?>?w");
  EXPECT_EQ(j["serveraddress"], "registry.example:5000");
}

TEST(RegistryAuthTest, HeaderDecodesForEveryPaddingLength) {
  // Three user names one byte apart: the JSON's length takes every value modulo 3.
  for (std::string user : {"m", "me", "mee"}) {
    std::string header = RegistryAuthHeader(RegistryAuth{user, "pw", "r.example"});
    EXPECT_EQ(header.size() % 4, 0U) << header;
    auto j = nlohmann::json::parse(DecodeUrlBase64(header));
    EXPECT_EQ(j["username"], user);
  }
}

TEST(RegistryAuthTest, ImageRegistryIsTheHostPartOnly) {
  EXPECT_EQ(ImageRegistry("registry.example:5000/team/app:1"), "registry.example:5000");
  EXPECT_EQ(ImageRegistry("localhost/app"), "localhost");
  EXPECT_EQ(ImageRegistry("team/app:1"), "");
  EXPECT_EQ(ImageRegistry("redis:7"), "");
}

TEST_F(DockerClientTest, AttachBeforeStartSeesAllOutputAndWaitReturnsTheExitCode) {
  ContainerSpec spec = Spec();
  // Output right at start would be lost if the attach were not in place before the start.
  // stdout and stderr are separate pipes in the engine: the sleeps order them.
  spec.cmd = {"sh", "-c", "echo first; sleep 0.2; echo err >&2; sleep 0.2; echo last; exit 5"};
  auto id = client_->CreateContainer(spec);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  std::string out;
  core::Status start_status = core::Status::Internal("never attached");
  StreamControl control;
  control.on_headers = [&](long) { start_status = client_->StartContainer(*id); };
  core::Status st = client_->AttachContainer(
      *id, [&](std::string_view c) { out.append(c); }, control);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(start_status.ok()) << start_status.ToString();
  EXPECT_EQ(out, "first\nerr\nlast\n");
  auto code = client_->WaitContainer(*id);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 5);
  EXPECT_EQ(client_->AttachContainer("gantry-no-such-container", nullptr, StreamControl()).code(),
            core::StatusCode::kNotFound);
}

TEST_F(DockerClientTest, KillEndsAContainerThatIgnoresSigterm) {
  ContainerSpec spec = Spec();
  spec.cmd = {"sh", "-c", "trap '' TERM; sleep 4246 & wait; wait"};
  std::string id = Start(spec);
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(client_->KillContainer(id, "SIGTERM").ok());
  EXPECT_EQ(client_->InspectContainer(id)->status, "running");
  EXPECT_TRUE(client_->KillContainer(id, "SIGKILL").ok());
  auto code = client_->WaitContainer(id);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 137);
  EXPECT_TRUE(client_->KillContainer(id, "SIGKILL").ok());  // no longer running: fine
  EXPECT_EQ(client_->KillContainer("gantry-no-such-container", "SIGKILL").code(),
            core::StatusCode::kNotFound);
}

TEST_F(DockerClientTest, VolumeCreateListRemove) {
  const std::string name = "gantry-test-vol-" + label_value_;
  EXPECT_FALSE(*client_->VolumeExists(name));
  ASSERT_TRUE(client_->CreateVolume(name, {{"gantry.test", label_value_}}).ok());
  EXPECT_TRUE(*client_->VolumeExists(name));
  EXPECT_EQ(*client_->ListVolumes(Label()), std::vector<std::string>{name});
  EXPECT_TRUE(client_->ListVolumes("gantry.test=none-" + label_value_)->empty());
  EXPECT_TRUE(client_->RemoveVolume(name, false).ok());
  EXPECT_FALSE(*client_->VolumeExists(name));
  EXPECT_EQ(client_->RemoveVolume(name, false).code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gantry::backend::docker
