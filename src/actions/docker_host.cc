#include "actions/docker_host.h"

#include <poll.h>

#include <chrono>
#include <utility>

#include "backend/docker/docker_api.h"

namespace gantry::actions {
namespace {

namespace docker = backend::docker;
using Clock = std::chrono::steady_clock;

constexpr int kLogTail = 30;
constexpr int64_t kSecond = 1'000'000'000;

// A `ports:` entry published on 127.0.0.1 unless it names an address itself.
core::Result<std::string> LocalPort(const std::string& spec) {
  auto p = docker::ParsePortSpec(spec);
  if (!p.ok()) return p.status();
  std::string ip = p->host_ip.empty() ? "127.0.0.1" : p->host_ip;
  return ip + ":" + p->host_port + ":" + p->container_port;
}

// Waits `ms` or until `cancel` fires; false when cancelled.
bool Sleep(int ms, const backend::CancelToken& cancel) {
  pollfd fd{cancel.wait_fd(), POLLIN, 0};
  poll(&fd, 1, ms);
  return !cancel.cancelled();
}

void LogTail(docker::DockerClient& client, const std::string& id, const std::string& service,
             const engine::ServiceLog& log) {
  auto logs = client.ContainerLogs(id, kLogTail);
  if (!logs.ok()) return;
  log("Last logs of service '" + service + "':");
  size_t start = 0;
  while (start < logs->size()) {
    size_t end = logs->find('\n', start);
    if (end == std::string::npos) end = logs->size();
    log("  " + logs->substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace

DockerContainerHost::DockerContainerHost(std::string docker_host, PullPolicy pull,
                                         std::string run_token)
    : docker_host_(std::move(docker_host)), pull_(pull), run_token_(std::move(run_token)) {}

core::Result<docker::DockerClient*> DockerContainerHost::Client() {
  std::lock_guard lock(mu_);
  if (client_) return client_.get();
  if (connect_error_) return *connect_error_;
  auto client = docker::DockerClient::Connect(docker_host_);
  if (!client.ok()) {
    connect_error_ = client.status();
    return client.status();
  }
  client_ = std::move(client).value();
  return client_.get();
}

core::Status DockerContainerHost::EnsureImage(docker::DockerClient& client,
                                              const engine::ServiceSpec& s,
                                              const engine::ServiceLog& log,
                                              const backend::CancelToken& cancel) {
  bool pull = pull_ == PullPolicy::kAlways;
  if (!pull) {
    auto exists = client.ImageExists(s.image);
    if (!exists.ok()) return exists.status();
    if (!*exists && pull_ == PullPolicy::kNever) {
      return core::Status::NotFound("image '" + s.image + "' of service '" + s.id +
                                    "' is not present and --pull is never");
    }
    pull = !*exists;
  }
  if (!pull) return core::Status::Ok();
  log("Pulling " + s.image + " for service '" + s.id + "'");
  core::Status st = client.PullImage(
      s.image, [](std::string_view) {}, cancel);
  if (st.ok() || st.code() == core::StatusCode::kCancelled) return st;
  return core::Status(
      st.code(), "cannot pull image '" + s.image + "' of service '" + s.id + "': " + st.message());
}

core::Status DockerContainerHost::Start(
    const engine::JobContainerSpec* job_container, const std::vector<engine::ServiceSpec>& services,
    const std::string& network_name, const engine::EnvList& labels, const engine::ServiceLog& log,
    const backend::CancelToken& cancel, engine::StartedServices& started) {
  if (job_container != nullptr) {
    return core::Status::Unavailable("job containers are not implemented yet");
  }
  auto client = Client();
  if (!client.ok()) return client.status();
  docker::DockerClient& c = **client;
  engine::EnvList all_labels = labels;
  all_labels.emplace_back("gantry.exec", run_token_);

  for (const engine::ServiceSpec& s : services) {
    GANTRY_RETURN_IF_ERROR(EnsureImage(c, s, log, cancel));
  }
  auto network = c.CreateNetwork(network_name + "-" + run_token_, all_labels);
  if (!network.ok()) return network.status();
  started.network_id = *network;

  std::vector<docker::ContainerSpec> specs;
  for (const engine::ServiceSpec& s : services) {
    if (cancel.cancelled()) return core::Status::Cancelled("cancelled");
    docker::ContainerSpec cs;
    cs.image = s.image;
    cs.network = started.network_id;
    cs.network_aliases = {s.id};
    cs.env = s.env;
    cs.labels = all_labels;
    cs.labels.emplace_back("gantry.service", s.id);
    cs.binds = s.volumes;
    for (const std::string& p : s.ports) {
      auto port = LocalPort(p);
      if (!port.ok()) {
        return core::Status::InvalidArgument("service '" + s.id + "': bad port '" + p +
                                             "': " + port.status().message());
      }
      cs.ports.push_back(std::move(port).value());
    }
    if (!s.entrypoint.empty()) cs.entrypoint = {s.entrypoint};
    if (!s.command.empty()) {
      auto words = docker::SplitShellWords(s.command);
      if (!words.ok()) {
        return core::Status::InvalidArgument("service '" + s.id +
                                             "': command: " + words.status().message());
      }
      cs.cmd = std::move(words).value();
    }
    std::vector<std::string> notes;
    core::Status opt = docker::ApplyDockerOptions(s.options, cs, &notes);
    for (const std::string& note : notes) log("service '" + s.id + "': " + note);
    if (!opt.ok()) {
      return core::Status::InvalidArgument("service '" + s.id + "': options: " + opt.message());
    }
    log("Starting service '" + s.id + "' (" + s.image + ")");
    auto id = c.CreateContainer(cs);
    if (!id.ok()) {
      return core::Status(id.status().code(), "cannot create the container of service '" + s.id +
                                                  "': " + id.status().message());
    }
    started.container_ids.push_back(*id);
    core::Status st = c.StartContainer(*id);
    if (!st.ok()) {
      LogTail(c, *id, s.id, log);
      return core::Status(st.code(), "cannot start service '" + s.id + "': " + st.message());
    }
    specs.push_back(std::move(cs));
  }
  // Services start in parallel; each is waited for in turn.
  for (size_t i = 0; i < services.size(); ++i) {
    docker::ContainerState state;
    GANTRY_RETURN_IF_ERROR(
        WaitReady(c, started.container_ids[i], services[i], specs[i], log, cancel, state));
    engine::StartedService out{services[i].id, started.container_ids[i], {}};
    for (const auto& [container, host] : state.ports) {
      std::string key = container;
      if (key.ends_with("/tcp")) key.resize(key.size() - 4);
      out.ports[key] = host.substr(host.rfind(':') + 1);
    }
    started.services.push_back(std::move(out));
  }
  return core::Status::Ok();
}

core::Status DockerContainerHost::WaitReady(docker::DockerClient& client, const std::string& id,
                                            const engine::ServiceSpec& s,
                                            const docker::ContainerSpec& cs,
                                            const engine::ServiceLog& log,
                                            const backend::CancelToken& cancel,
                                            docker::ContainerState& state) {
  // docker's defaults where the healthcheck leaves a timing out: 30s interval and timeout,
  // 3 retries; a margin for the engine's own scheduling.
  int64_t interval = 30 * kSecond, timeout = 30 * kSecond, start_period = 0;
  int retries = 3;
  if (cs.health) {
    if (cs.health->interval_ns > 0) interval = cs.health->interval_ns;
    if (cs.health->timeout_ns > 0) timeout = cs.health->timeout_ns;
    if (cs.health->retries > 0) retries = cs.health->retries;
    start_period = cs.health->start_period_ns;
  }
  auto limit = std::chrono::nanoseconds(start_period + retries * (interval + timeout)) +
               std::chrono::seconds(10);
  Clock::time_point deadline = Clock::now() + limit;
  bool waiting_logged = false;
  for (;;) {
    auto st = client.InspectContainer(id);
    if (!st.ok()) return st.status();
    state = std::move(st).value();
    if (state.status != "running" && state.status != "created") {
      LogTail(client, id, s.id, log);
      return core::Status::Unavailable("service '" + s.id + "' exited with code " +
                                       std::to_string(state.exit_code) + " before the job began");
    }
    if (state.health.empty() || state.health == "healthy") {
      if (state.status == "running") return core::Status::Ok();
    } else if (state.health == "unhealthy") {
      LogTail(client, id, s.id, log);
      return core::Status::Unavailable("service '" + s.id + "' is unhealthy");
    } else if (!waiting_logged) {
      log("Waiting for service '" + s.id + "' to be healthy");
      waiting_logged = true;
    }
    if (Clock::now() > deadline) {
      LogTail(client, id, s.id, log);
      return core::Status::DeadlineExceeded(
          "service '" + s.id + "' was not healthy after " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(limit).count()) + "s");
    }
    if (!Sleep(250, cancel)) return core::Status::Cancelled("cancelled");
  }
}

void DockerContainerHost::Stop(const engine::StartedServices& started,
                               const engine::ServiceLog& log) {
  docker::DockerClient* client = nullptr;
  {
    std::lock_guard lock(mu_);
    client = client_.get();
  }
  if (client == nullptr) return;
  for (const std::string& id : started.container_ids) {
    core::Status st = client->RemoveContainer(id, /*force=*/true, /*volumes=*/true);
    if (!st.ok() && st.code() != core::StatusCode::kNotFound) {
      log("cannot remove service container " + id + ": " + st.message());
    }
  }
  if (started.network_id.empty()) return;
  core::Status st = client->RemoveNetwork(started.network_id);
  if (!st.ok() && st.code() != core::StatusCode::kNotFound) {
    log("cannot remove network " + started.network_id + ": " + st.message());
  }
}

std::unique_ptr<backend::Backend> DockerContainerHost::JobBackend(
    const engine::StartedServices& started) {
  std::lock_guard lock(mu_);
  return docker::MakeContainerBackend(*client_, started.container_id);
}

core::Status DockerContainerHost::PrepareImage(const std::string& /*image*/,
                                               const engine::ServiceLog& /*log*/,
                                               const backend::CancelToken& /*cancel*/) {
  return core::Status::Unavailable("Docker actions are not implemented yet");
}

core::Result<std::string> DockerContainerHost::BuildImage(const std::string& /*context_dir*/,
                                                          const std::string& /*dockerfile*/,
                                                          const engine::ServiceLog& /*log*/,
                                                          const backend::CancelToken& /*cancel*/) {
  return core::Status::Unavailable("Docker actions are not implemented yet");
}

core::Result<backend::ProcessResult> DockerContainerHost::RunContainer(
    const engine::ActionContainerSpec& /*spec*/, std::chrono::milliseconds /*kill_grace*/,
    const backend::OutputSink& /*output*/, const backend::CancelToken& /*cancel*/) {
  return core::Status::Unavailable("Docker actions are not implemented yet");
}

void DockerContainerHost::Sweep(const engine::ServiceLog& log) {
  docker::DockerClient* client = nullptr;
  {
    std::lock_guard lock(mu_);
    client = client_.get();
  }
  if (client == nullptr) return;
  engine::StartedServices left;
  auto containers = client->ListContainers("gantry.exec=" + run_token_);
  if (containers.ok()) left.container_ids = std::move(containers).value();
  Stop(left, log);
  auto networks = client->ListNetworks("gantry.exec=" + run_token_);
  if (!networks.ok()) return;
  for (const std::string& n : *networks) {
    left = {};
    left.network_id = n;
    Stop(left, log);
  }
}

}  // namespace gantry::actions
