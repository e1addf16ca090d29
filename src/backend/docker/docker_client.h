#pragma once

// A client of the Docker Engine HTTP API (v1.41 and later; podman's compatible API too) over
// its unix socket, without the docker CLI, and a Backend that runs step processes inside a
// running container. HTTP is libcurl (CURLOPT_UNIX_SOCKET_PATH); exec and log streams arrive
// as the response body, demultiplexed from the engine's 8-byte-header frames.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"

namespace gantry::backend::docker {

/// What to create a container from: the subset of `docker create` that jobs and services use.
struct ContainerSpec {
  std::string image, name, working_dir, user, network, hostname;
  std::vector<std::string> entrypoint, cmd, network_aliases;
  std::vector<std::pair<std::string, std::string>> env, labels;
  /// "host:container[:ro]" and named volumes "name:/path".
  std::vector<std::string> binds;
  /// docker -p syntax: "8080:80", "127.0.0.1::5432", "5432/tcp", "80".
  std::vector<std::string> ports;
  struct Health {
    /// As the engine takes it: {"CMD-SHELL", cmd}, {"CMD", argv...}, {"NONE"}; empty = the
    /// image's test with these timings.
    std::vector<std::string> test;
    int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0;
    int retries = 0;
  };
  std::optional<Health> health;
  double cpus = 0;
  int64_t memory_bytes = 0;
  bool privileged = false;
  bool init = false;
  std::vector<std::string> cap_add, cap_drop, extra_hosts;
  /// "/path" or "/path:options".
  std::vector<std::string> tmpfs;
};

/// Parses a `container.options`/`services.<id>.options` string as `docker create` would
/// (quotes, --opt=value and --opt value, -xVALUE for short options) into `spec`: -e/--env,
/// -v/--volume, -p/--publish, -u/--user, --network, --network-alias, -h/--hostname,
/// --entrypoint, --cpus, -m/--memory, --health-cmd/-interval/-timeout/-retries/-start-period,
/// --no-healthcheck, --privileged, --init, --cap-add, --cap-drop, --add-host, --tmpfs,
/// -l/--label, -w/--workdir; --name and --rm are accepted and ignored (gantry names and
/// removes its containers; a note saying so goes to `notes` when given). -e NAME without a
/// value passes this process's NAME through, as docker does. InvalidArgument naming the option
/// on anything else or a bad value ("unsupported container option '--foo'").
core::Status ApplyDockerOptions(std::string_view options, ContainerSpec& spec,
                                std::vector<std::string>* notes = nullptr);

/// A container as InspectContainer sees it.
struct ContainerState {
  std::string status;  // created, running, exited, ...
  std::string health;  // "", starting, healthy, unhealthy
  /// The healthcheck's interval as the container has it (its own or its image's); 0 = the
  /// engine's default (30s) or no healthcheck.
  int64_t health_interval_ns = 0;
  int exit_code = 0;
  /// "5432/tcp" -> "127.0.0.1:49153" (the first IPv4 binding of each published port).
  std::map<std::string, std::string> ports;
  /// The container's address on its first network ("" when it has none).
  std::string ip;
};

/// Credentials for a registry (`credentials:` of a job container or service).
struct RegistryAuth {
  std::string username, password;
  /// The registry's host ("" = the one the image name implies).
  std::string server_address;
};

/// The X-Registry-Auth header value for `auth`: URL-safe base64 of
/// {"username","password","serveraddress"}.
std::string RegistryAuthHeader(const RegistryAuth& auth);

/// The registry host of an image reference ("ghcr.io/a/b:1" -> "ghcr.io"); "" when the name
/// has no host part (the engine's default registry).
std::string ImageRegistry(const std::string& image);

class HttpClient;
struct StreamControl;

/// A connection to one engine. Thread-safe: every call uses its own HTTP connection.
class DockerClient {
 public:
  /// "" = $DOCKER_HOST, else unix:///var/run/docker.sock. Pings the engine and negotiates the
  /// API version (the lower of the engine's and ours). Unavailable "no Docker engine at
  /// <socket>: ..." when nothing answers; InvalidArgument for a non-unix DOCKER_HOST.
  static core::Result<std::unique_ptr<DockerClient>> Connect(const std::string& docker_host);
  ~DockerClient();
  DockerClient(const DockerClient&) = delete;
  DockerClient& operator=(const DockerClient&) = delete;

  /// "1.43" etc.
  const std::string& api_version() const { return api_version_; }
  const std::string& socket_path() const { return socket_path_; }
  /// The engine's version string (e.g. "20.10.24+dfsg1").
  const std::string& engine_version() const { return engine_version_; }
  /// Whether the engine is podman's Docker-compatible service (a "Podman Engine" component in
  /// GET /version). Its timed healthchecks need systemd: see RunHealthcheck.
  bool is_podman() const { return is_podman_; }

  /// Whether the image is present locally.
  core::Result<bool> ImageExists(const std::string& image);
  /// Pulls `image` (a missing tag means "latest"), authenticating with `auth` when given;
  /// progress lines go to `log`. The engine's own error message on failure; Cancelled when
  /// `cancel` fires.
  core::Status PullImage(const std::string& image, const std::function<void(std::string_view)>& log,
                         const CancelToken& cancel,
                         const std::optional<RegistryAuth>& auth = std::nullopt);
  /// Builds `context_dir` (sent as a tar) with `dockerfile` (relative to the context; "" =
  /// Dockerfile) as `tag`; build output goes to `log`.
  core::Status BuildImage(const std::string& context_dir, const std::string& dockerfile,
                          const std::string& tag, const std::function<void(std::string_view)>& log,
                          const CancelToken& cancel);

  /// Removes a local image (by name or id); NotFound when there is none.
  core::Status RemoveImage(const std::string& image, bool force);

  /// Creates a bridge network; returns its id.
  core::Result<std::string> CreateNetwork(
      const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels);
  /// Removes a network (by id or name); NotFound when there is none.
  core::Status RemoveNetwork(const std::string& id);

  /// Creates a container; returns its id. NotFound when the image is missing.
  core::Result<std::string> CreateContainer(const ContainerSpec& spec);
  core::Status StartContainer(const std::string& id);
  /// SIGTERM, then SIGKILL after `timeout_seconds`. A stopped container is fine.
  core::Status StopContainer(const std::string& id, int timeout_seconds);
  /// Removes a container (`force` kills a running one, `volumes` removes its anonymous
  /// volumes). NotFound when there is none.
  core::Status RemoveContainer(const std::string& id, bool force, bool volumes);
  core::Result<ContainerState> InspectContainer(const std::string& id);
  /// The last `tail_lines` lines of stdout+stderr (0 = all).
  core::Result<std::string> ContainerLogs(const std::string& id, int tail_lines);
  /// Attaches to stdout and stderr of container `id` (not yet started, typically) and streams
  /// them to `output` (in order) until they close, i.e. until the container exits.
  /// `control.on_headers` is called once the engine has attached: output written after that
  /// point is not lost, so start the container then. Cancelled when `control.tick` aborts;
  /// NotFound when there is no such container.
  core::Status AttachContainer(const std::string& id, const OutputSink& output,
                               const StreamControl& control);
  /// Runs the healthcheck of running container `id` once, now, as `podman healthcheck run`
  /// does: the engine records the result (and counts retries) in the health status that
  /// InspectContainer reports. For podman, whose timed healthchecks never run without systemd;
  /// InvalidArgument on other engines, AlreadyExists when `id` has no healthcheck, NotFound
  /// when there is no such container, Cancelled when `cancel` fires first. A failing check is
  /// not an error.
  core::Status RunHealthcheck(const std::string& id, const CancelToken& cancel);
  /// Waits until container `id` is not running and returns its exit code.
  core::Result<int> WaitContainer(const std::string& id);
  /// Sends `signal` ("SIGTERM", "SIGKILL") to container `id`'s main process. A container that
  /// is not running is fine; NotFound when there is none.
  core::Status KillContainer(const std::string& id, const std::string& signal);

  /// Runs spec.argv inside running container `id` as `user` ("" = the container's user) with
  /// spec.cwd and exactly spec.env (argv[0] is looked up in that env's PATH by the container's
  /// sh). Output (stdout and stderr, in order) goes to `output`. On timeout or cancellation
  /// every process of the exec's tree gets SIGTERM, then SIGKILL after spec.kill_grace
  /// (through a second exec as root); background processes still running after a normal exit
  /// get the same. Needs /bin/sh in the image. NotFound when argv[0] does not exist.
  core::Result<ProcessResult> Exec(const std::string& id, const ProcessSpec& spec,
                                   const std::string& user, const OutputSink& output,
                                   const CancelToken& cancel);

  /// Ids of all containers (running or not) carrying label `label_filter` ("key=value" or
  /// "key").
  core::Result<std::vector<std::string>> ListContainers(const std::string& label_filter);
  /// Ids of the networks carrying label `label_filter`.
  core::Result<std::vector<std::string>> ListNetworks(const std::string& label_filter);

  /// Creates the named volume `name` (local driver) with `labels`. Creating an existing volume
  /// is not an error (the engine returns it unchanged).
  core::Status CreateVolume(const std::string& name,
                            const std::vector<std::pair<std::string, std::string>>& labels);
  /// Whether a volume named `name` exists.
  core::Result<bool> VolumeExists(const std::string& name);
  /// Removes volume `name`; NotFound when there is none, AlreadyExists while a container
  /// uses it.
  core::Status RemoveVolume(const std::string& name, bool force);
  /// Names of the volumes carrying label `label_filter`.
  core::Result<std::vector<std::string>> ListVolumes(const std::string& label_filter);

 private:
  DockerClient(std::string socket_path, std::unique_ptr<HttpClient> http);
  /// "/v1.43" + path.
  std::string Url(std::string_view path) const;
  core::Status SignalExecTree(const std::string& id, const std::string& pid, const char* signal);

  std::string socket_path_;
  std::string api_version_;
  std::string engine_version_;
  bool is_podman_ = false;
  std::string libpod_api_version_;  // podman's own API ("4.3.1"), for RunHealthcheck
  std::unique_ptr<HttpClient> http_;
};

/// A Backend that runs each ProcessSpec with DockerClient::Exec inside `container_id` as
/// `user`. `client` must outlive the backend.
std::unique_ptr<Backend> MakeContainerBackend(DockerClient& client, std::string container_id,
                                              std::string user = "");

}  // namespace gantry::backend::docker
