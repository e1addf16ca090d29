#include "actions/docker_host.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "backend/docker/container_run.h"
#include "backend/docker/docker_api.h"
#include "core/sha256.h"

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
  return cancel.SleepFor(std::chrono::milliseconds(ms));
}

// The last lines of a container's output, after `what` ("service 'db'") failed.
void LogTail(docker::DockerClient& client, const std::string& id, const std::string& what,
             const engine::ServiceLog& log) {
  auto logs = client.ContainerLogs(id, kLogTail);
  if (!logs.ok()) return;
  log("Last logs of " + what + ":");
  size_t start = 0;
  while (start < logs->size()) {
    size_t end = logs->find('\n', start);
    if (end == std::string::npos) end = logs->size();
    log("  " + logs->substr(start, end - start));
    start = end + 1;
  }
}

// The volume name of a `volumes:` entry "name:/path[:mode]"; "" for a host path or an anonymous
// volume.
std::string VolumeName(const std::string& entry) {
  auto colon = entry.find(':');
  if (colon == std::string::npos || colon == 0) return "";
  std::string name = entry.substr(0, colon);
  if (name.find('/') != std::string::npos || name[0] == '.' || name[0] == '~') return "";
  return name;
}

// The image, network, env, labels, volumes and ports shared by services and the job container
// (`what` names it in messages).
core::Status CommonSpec(const engine::ServiceSpec& s, const std::string& what,
                        const std::string& network, const engine::EnvList& labels,
                        docker::ContainerSpec& cs) {
  cs.image = s.image;
  cs.network = network;
  cs.env = s.env;
  cs.labels = labels;
  cs.binds = s.volumes;
  for (const std::string& p : s.ports) {
    auto port = LocalPort(p);
    if (!port.ok()) {
      return core::Status::InvalidArgument(what + ": bad port '" + p +
                                           "': " + port.status().message());
    }
    cs.ports.push_back(std::move(port).value());
  }
  return core::Status::Ok();
}

core::Status ApplyOptions(const engine::ServiceSpec& s, const std::string& what,
                          const engine::ServiceLog& log, docker::ContainerSpec& cs) {
  std::vector<std::string> notes;
  core::Status opt = docker::ApplyDockerOptions(s.options, cs, &notes);
  for (const std::string& note : notes) log(what + ": " + note);
  if (!opt.ok()) return core::Status::InvalidArgument(what + ": options: " + opt.message());
  return core::Status::Ok();
}

// Creates the named volumes of `binds` that do not exist yet, with `labels`, recording them in
// `started` (volumes that already existed belong to someone else and are left alone).
core::Status CreateNamedVolumes(docker::DockerClient& client, const std::vector<std::string>& binds,
                                const engine::EnvList& labels, const std::string& what,
                                const engine::ServiceLog& log, engine::StartedServices& started) {
  for (const std::string& b : binds) {
    std::string name = VolumeName(b);
    if (name.empty()) continue;
    auto& mine = started.volume_names;
    if (std::find(mine.begin(), mine.end(), name) != mine.end()) continue;
    auto exists = client.VolumeExists(name);
    if (!exists.ok()) return exists.status();
    if (*exists) continue;
    log("Creating volume '" + name + "' for " + what);
    core::Status st = client.CreateVolume(name, labels);
    if (!st.ok()) {
      return core::Status(st.code(),
                          "cannot create volume '" + name + "' of " + what + ": " + st.message());
    }
    mine.push_back(name);
  }
  return core::Status::Ok();
}

// A digest of everything in `dir` (relative path, mode, content or link target, in path
// order) and the Dockerfile's name: an unchanged action maps to the same image tag.
core::Result<std::string> ContextDigest(const std::string& dir, const std::string& dockerfile) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return core::Status::NotFound("it is not a directory");
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    paths.push_back(it->path().lexically_relative(dir).generic_string());
  }
  if (ec) return core::Status::Internal("cannot read it: " + ec.message());
  std::sort(paths.begin(), paths.end());
  core::Sha256 h;
  h.Update("dockerfile=" + dockerfile + '\0');
  std::vector<char> buf(size_t{64} * 1024);
  for (const std::string& rel : paths) {
    const std::string full = dir + "/" + rel;
    struct stat st {};
    if (lstat(full.c_str(), &st) != 0) return core::Status::Internal("cannot stat " + rel);
    h.Update(rel + '\0' + std::to_string(st.st_mode) + '\0');
    if (S_ISLNK(st.st_mode)) {
      h.Update(fs::read_symlink(full, ec).string() + '\0');
    } else if (S_ISREG(st.st_mode)) {
      h.Update(std::to_string(st.st_size) + '\0');
      std::ifstream in(full, std::ios::binary);
      if (!in) return core::Status::Internal("cannot read " + rel);
      while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
        h.Update(buf.data(), static_cast<size_t>(in.gcount()));
      }
    }
  }
  return core::Sha256::Hex(h.Finish());
}

// As GitHub's runner, a job container that exited right after it started (a bad image or
// options) is reported with its last logs.
core::Status JobContainerRunning(docker::DockerClient& c, const std::string& id,
                                 const std::string& image, const engine::ServiceLog& log) {
  auto state = c.InspectContainer(id);
  if (!state.ok()) return state.status();
  if (state->status == "running") return core::Status::Ok();
  LogTail(c, id, "the job container", log);
  return core::Status::Unavailable("the job container (" + image + ") exited with code " +
                                   std::to_string(state->exit_code) + " right after it started");
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

core::Status DockerContainerHost::EnsureImage(
    docker::DockerClient& client, const std::string& image,
    const std::optional<std::pair<std::string, std::string>>& credentials, const std::string& what,
    const engine::ServiceLog& log, const backend::CancelToken& cancel) {
  bool pull = pull_ == PullPolicy::kAlways;
  if (!pull) {
    auto exists = client.ImageExists(image);
    if (!exists.ok()) return exists.status();
    if (!*exists && pull_ == PullPolicy::kNever) {
      return core::Status::NotFound("image '" + image + "' of " + what +
                                    " is not present and --pull is never");
    }
    pull = !*exists;
  }
  if (!pull) return core::Status::Ok();
  log("Pulling " + image + " for " + what);
  std::optional<docker::RegistryAuth> auth;
  if (credentials) {
    auth =
        docker::RegistryAuth{credentials->first, credentials->second, docker::ImageRegistry(image)};
  }
  core::Status st = client.PullImage(
      image, [](std::string_view) {}, cancel, auth);
  if (st.ok() || st.code() == core::StatusCode::kCancelled) return st;
  return core::Status(st.code(),
                      "cannot pull image '" + image + "' of " + what + ": " + st.message());
}

core::Status DockerContainerHost::StartJobContainer(docker::DockerClient& c,
                                                    const engine::JobContainerSpec& job,
                                                    const engine::EnvList& labels,
                                                    const engine::ServiceLog& log,
                                                    engine::StartedServices& started) {
  const std::string what = "the job container";
  docker::ContainerSpec cs;
  GANTRY_RETURN_IF_ERROR(CommonSpec(job.container, what, started.network_id, labels, cs));
  cs.labels.emplace_back("gantry.container", "job");
  cs.working_dir = job.working_dir;
  GANTRY_RETURN_IF_ERROR(ApplyOptions(job.container, what, log, cs));
  // As GitHub's runner: the entrypoint comes after the options, so it cannot be replaced.
  cs.entrypoint = {"tail"};
  cs.cmd = {"-f", "/dev/null"};
  GANTRY_RETURN_IF_ERROR(CreateNamedVolumes(c, cs.binds, labels, what, log, started));
  cs.binds.insert(cs.binds.end(), job.mounts.begin(), job.mounts.end());
  cs.binds.push_back(c.socket_path() + ":/var/run/docker.sock");
  log("Starting the job container (" + job.container.image + ")");
  auto id = c.CreateContainer(cs);
  if (!id.ok()) {
    return core::Status(id.status().code(),
                        "cannot create the job container: " + id.status().message());
  }
  started.container_id = *id;
  started.container_ids.push_back(*id);
  core::Status st = c.StartContainer(*id);
  if (!st.ok()) {
    LogTail(c, *id, what, log);
    return core::Status(st.code(), "cannot start the job container: " + st.message());
  }
  return JobContainerRunning(c, started.container_id, job.container.image, log);
}

core::Status DockerContainerHost::Start(
    const engine::JobContainerSpec* job_container, const std::vector<engine::ServiceSpec>& services,
    const std::string& network_name, const engine::EnvList& labels, const engine::ServiceLog& log,
    const backend::CancelToken& cancel, engine::StartedServices& started) {
  if (job_container == nullptr && services.empty()) return core::Status::Ok();
  auto client = Client();
  if (!client.ok()) return client.status();
  docker::DockerClient& c = **client;
  engine::EnvList all_labels = labels;
  all_labels.emplace_back("gantry.exec", run_token_);

  if (job_container != nullptr) {
    GANTRY_RETURN_IF_ERROR(EnsureImage(c, job_container->container.image,
                                       job_container->container.credentials, "the job container",
                                       log, cancel));
  }
  for (const engine::ServiceSpec& s : services) {
    GANTRY_RETURN_IF_ERROR(
        EnsureImage(c, s.image, s.credentials, "service '" + s.id + "'", log, cancel));
  }
  if (cancel.cancelled()) return core::Status::Cancelled("cancelled");
  auto network = c.CreateNetwork(network_name + "-" + run_token_, all_labels);
  if (!network.ok()) return network.status();
  started.network_id = *network;
  if (job_container != nullptr) {
    GANTRY_RETURN_IF_ERROR(StartJobContainer(c, *job_container, all_labels, log, started));
  }

  std::vector<docker::ContainerSpec> specs;
  std::vector<std::string> service_ids;
  for (const engine::ServiceSpec& s : services) {
    if (cancel.cancelled()) return core::Status::Cancelled("cancelled");
    const std::string what = "service '" + s.id + "'";
    docker::ContainerSpec cs;
    GANTRY_RETURN_IF_ERROR(CommonSpec(s, what, started.network_id, all_labels, cs));
    cs.network_aliases = {s.id};
    cs.labels.emplace_back("gantry.service", s.id);
    if (!s.entrypoint.empty()) cs.entrypoint = {s.entrypoint};
    if (!s.command.empty()) {
      auto words = docker::SplitShellWords(s.command);
      if (!words.ok()) {
        return core::Status::InvalidArgument(what + ": command: " + words.status().message());
      }
      cs.cmd = std::move(words).value();
    }
    GANTRY_RETURN_IF_ERROR(ApplyOptions(s, what, log, cs));
    GANTRY_RETURN_IF_ERROR(CreateNamedVolumes(c, cs.binds, all_labels, what, log, started));
    log("Starting service '" + s.id + "' (" + s.image + ")");
    auto id = c.CreateContainer(cs);
    if (!id.ok()) {
      return core::Status(id.status().code(), "cannot create the container of service '" + s.id +
                                                  "': " + id.status().message());
    }
    started.container_ids.push_back(*id);
    service_ids.push_back(*id);
    core::Status st = c.StartContainer(*id);
    if (!st.ok()) {
      LogTail(c, *id, what, log);
      return core::Status(st.code(), "cannot start service '" + s.id + "': " + st.message());
    }
    specs.push_back(std::move(cs));
  }
  // Services start in parallel; each is waited for in turn.
  for (size_t i = 0; i < services.size(); ++i) {
    docker::ContainerState state;
    GANTRY_RETURN_IF_ERROR(WaitReady(c, service_ids[i], services[i], specs[i], log, cancel, state));
    engine::StartedService out{services[i].id, service_ids[i], {}};
    for (const auto& [container, host] : state.ports) {
      std::string key = container;
      if (key.ends_with("/tcp")) key.resize(key.size() - 4);
      out.ports[key] = host.substr(host.rfind(':') + 1);
    }
    started.services.push_back(std::move(out));
  }
  // Waiting for the services gave a failing job container time to show it.
  if (job_container != nullptr && !services.empty()) {
    return JobContainerRunning(c, started.container_id, job_container->container.image, log);
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
  // podman runs timed healthchecks only through systemd timers: without systemd its health
  // stays "starting". There the check is run through the API at the engine's pace (the first
  // one an interval after the start, as docker does; the interval the container has, which may
  // be its image's); podman still counts the retries.
  const bool run_checks = client.is_podman();
  const Clock::time_point began = Clock::now();
  std::optional<Clock::time_point> next_check;
  bool waiting_logged = false;
  for (;;) {
    auto st = client.InspectContainer(id);
    if (!st.ok()) return st.status();
    state = std::move(st).value();
    if (state.status != "running" && state.status != "created") {
      LogTail(client, id, "service '" + s.id + "'", log);
      return core::Status::Unavailable("service '" + s.id + "' exited with code " +
                                       std::to_string(state.exit_code) + " before the job began");
    }
    if (state.health.empty() || state.health == "healthy") {
      if (state.status == "running") return core::Status::Ok();
    } else if (state.health == "unhealthy") {
      LogTail(client, id, "service '" + s.id + "'", log);
      return core::Status::Unavailable("service '" + s.id + "' is unhealthy");
    } else {
      if (!waiting_logged) {
        log("Waiting for service '" + s.id + "' to be healthy");
        waiting_logged = true;
      }
      const auto pace = std::chrono::nanoseconds(
          state.health_interval_ns > 0 ? state.health_interval_ns : interval);
      if (run_checks && !next_check) next_check = began + pace;
      if (run_checks && state.status == "running" && Clock::now() >= *next_check) {
        core::Status checked = client.RunHealthcheck(id, cancel);
        if (checked.code() == core::StatusCode::kCancelled) return checked;
        if (!checked.ok()) {
          return core::Status(checked.code(),
                              "service '" + s.id + "': healthcheck: " + checked.message());
        }
        next_check = Clock::now() + pace;
        continue;  // its result shows in the next inspect
      }
    }
    if (Clock::now() > deadline) {
      LogTail(client, id, "service '" + s.id + "'", log);
      return core::Status::DeadlineExceeded(
          "service '" + s.id + "' was not healthy after " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(limit).count()) + "s");
    }
    // Inspecting is a cheap local call: a short pace starts the job soon after the engine
    // marks the service healthy.
    if (!Sleep(50, cancel)) return core::Status::Cancelled("cancelled");
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
  // The containers go at once: each removal waits for the engine to kill and clean up.
  std::vector<core::Status> removed(started.container_ids.size());
  {
    std::vector<std::jthread> removers;
    for (size_t i = 0; i < started.container_ids.size(); ++i) {
      removers.emplace_back([&, i] {
        removed[i] = client->RemoveContainer(started.container_ids[i], /*force=*/true,
                                             /*volumes=*/true);
      });
    }
  }
  for (size_t i = 0; i < removed.size(); ++i) {
    if (!removed[i].ok() && removed[i].code() != core::StatusCode::kNotFound) {
      log("cannot remove container " + started.container_ids[i] + ": " + removed[i].message());
    }
  }
  // After the containers: a volume in use cannot be removed.
  for (const std::string& name : started.volume_names) {
    core::Status st = client->RemoveVolume(name, /*force=*/false);
    if (!st.ok() && st.code() != core::StatusCode::kNotFound) {
      log("cannot remove volume " + name + ": " + st.message());
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

core::Status DockerContainerHost::PrepareImage(const std::string& image,
                                               const engine::ServiceLog& log,
                                               const backend::CancelToken& cancel) {
  auto client = Client();
  if (!client.ok()) return client.status();
  return EnsureImage(**client, image, std::nullopt, "the Docker action", log, cancel);
}

core::Result<std::string> DockerContainerHost::BuildImage(const std::string& context_dir,
                                                          const std::string& dockerfile,
                                                          const engine::ServiceLog& log,
                                                          const backend::CancelToken& cancel) {
  const std::string fail = "cannot build the Docker action in " + context_dir + ": ";
  auto digest = ContextDigest(context_dir, dockerfile);
  if (!digest.ok()) return core::Status(digest.status().code(), fail + digest.status().message());
  const std::string tag = "gantry-action:" + digest->substr(0, 16);
  auto client = Client();
  if (!client.ok()) return client.status();
  docker::DockerClient& c = **client;
  auto exists = c.ImageExists(tag);
  if (!exists.ok()) return exists.status();
  if (*exists) {
    log("Using image " + tag + " (the Docker action is unchanged since it was built)");
    return tag;
  }
  log("Building the Docker action in " + context_dir + " as " + tag);
  core::Status st = c.BuildImage(context_dir, dockerfile, tag, log, cancel);
  if (st.code() == core::StatusCode::kCancelled) return st;
  if (!st.ok()) {
    // The client's message repeats the tag and directory; keep the engine's part.
    std::string msg = st.message();
    const std::string prefix = "cannot build image " + tag + " from " + context_dir + ": ";
    if (msg.starts_with(prefix)) msg.erase(0, prefix.size());
    return core::Status(st.code(), fail + msg);
  }
  return tag;
}

core::Result<backend::ProcessResult> DockerContainerHost::RunContainer(
    const engine::ActionContainerSpec& spec, std::chrono::milliseconds kill_grace,
    const backend::OutputSink& output, const backend::CancelToken& cancel) {
  auto client = Client();
  if (!client.ok()) return client.status();
  docker::DockerClient& c = **client;
  docker::ContainerSpec cs;
  cs.image = spec.image;
  cs.entrypoint = spec.entrypoint;
  cs.cmd = spec.args;
  cs.env = spec.env;
  cs.binds = spec.mounts;
  cs.working_dir = spec.working_dir;
  cs.network = spec.network;
  cs.labels = spec.labels;
  cs.labels.emplace_back("gantry.exec", run_token_);
  cs.labels.emplace_back("gantry.container", "action");
  auto id = c.CreateContainer(cs);
  if (!id.ok()) {
    return core::Status(id.status().code(),
                        "cannot create the Docker action's container: " + id.status().message());
  }
  auto result = docker::RunAttached(c, *id, spec.timeout, kill_grace, output, cancel);
  core::Status removed = c.RemoveContainer(*id, /*force=*/true, /*volumes=*/true);
  if (!result.ok()) {
    return core::Status(result.status().code(),
                        "Docker action (" + spec.image + "): " + result.status().message());
  }
  if (!removed.ok() && removed.code() != core::StatusCode::kNotFound) return removed;
  return result;
}

void DockerContainerHost::Sweep(const engine::ServiceLog& log) {
  docker::DockerClient* client = nullptr;
  {
    std::lock_guard lock(mu_);
    client = client_.get();
  }
  if (client == nullptr) return;
  const std::string label = "gantry.exec=" + run_token_;
  engine::StartedServices left;
  auto containers = client->ListContainers(label);
  if (containers.ok()) left.container_ids = std::move(containers).value();
  auto volumes = client->ListVolumes(label);
  if (volumes.ok()) left.volume_names = std::move(volumes).value();
  Stop(left, log);
  auto networks = client->ListNetworks(label);
  if (!networks.ok()) return;
  for (const std::string& n : *networks) {
    left = {};
    left.network_id = n;
    Stop(left, log);
  }
}

}  // namespace gantry::actions
