#pragma once

// Containers of a job: its `services:`, its `container:` and the containers of Docker actions.
// What the engine evaluates from the workflow (ServiceSpec, JobContainerSpec,
// ActionContainerSpec), the interface that creates and removes them (ContainerHost,
// implemented over a container engine outside the engine layer: actions/docker_host.h) and the
// `job.services` / `job.container` contexts they fill.

#include <chrono>
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
#include "engine/contexts.h"
#include "expr/expression.h"
#include "expr/value.h"
#include "workflow/model.h"

namespace gantry::engine {

/// One `services.<id>` entry with its expressions evaluated.
struct ServiceSpec {
  std::string id;  // the key under `services:`; the container's network alias
  std::string image;
  std::optional<std::pair<std::string, std::string>> credentials;  // username, password
  EnvList env;
  /// As written: "5432", "5432/tcp" (random host port) or "15432:5432" (fixed host port).
  std::vector<std::string> ports;
  std::vector<std::string> volumes;
  std::string options;     // `docker create` options
  std::string entrypoint;  // "" = the image's
  std::string command;     // "" = the image's
};

/// The job's `container:`: the container every step of the job runs in.
struct JobContainerSpec {
  ServiceSpec container;  // id is ""; entrypoint and command are unused
  /// Bind mounts the engine adds, "host:container[:ro]": the workspace, temp and file-command
  /// directories at GitHub's paths (/__w/...), the action cache, the event file.
  std::vector<std::string> mounts;
  /// The container's working directory (the workspace's path in the container).
  std::string working_dir;
};

/// One container run to completion: the step of a Docker action (`runs.using: docker`,
/// `uses: docker://`).
struct ActionContainerSpec {
  std::string image;
  std::vector<std::string> entrypoint;  // empty = the image's
  std::vector<std::string> args;        // empty = the image's CMD
  EnvList env;                          // exactly the container's environment additions
  std::vector<std::string> mounts;      // "host:container[:ro]"
  std::string working_dir;
  /// The job's network (StartedServices::network_id) so that services are reachable by
  /// name; "" = the engine's default network.
  std::string network;
  EnvList labels;
  std::chrono::milliseconds timeout{0};  // 0 = none; on expiry the container is killed
};

/// One started service, as `job.services.<id>` shows it.
struct StartedService {
  std::string id;            // the service key
  std::string container_id;  // `job.services.<id>.id`
  /// Container port ("5432") -> host port ("49153"), as `job.services.<id>.ports` has them.
  std::map<std::string, std::string> ports;
};

/// What ContainerHost::Start created for one job.
struct StartedServices {
  std::string network_id;  // `job.services.<id>.network`, `job.container.network`
  std::vector<StartedService> services;
  /// The job container (`job.container.id`); "" when the job runs on the host.
  std::string container_id;
  /// Containers created (services and the job container), for Stop (also after a partial
  /// start).
  std::vector<std::string> container_ids;
  /// Named volumes the host created for this job (a `volumes:` entry "name:/path" naming a
  /// volume that did not exist), removed by Stop.
  std::vector<std::string> volume_names;
};

/// How ContainerHost reports progress: one line, without '\n'.
using ServiceLog = std::function<void(std::string_view)>;

/// Creates the containers of a job and removes them again. Implementations are thread-safe
/// (jobs run in parallel).
class ContainerHost {
 public:
  virtual ~ContainerHost() = default;
  /// Creates network `network_name` carrying `labels` (when there is a job container or a
  /// service). Then the job container, when `job_container` is set: its image made present
  /// (the pull policy; credentials used for the pull), created on that network with
  /// entrypoint `tail -f /dev/null`, its env, volumes, ports (published on 127.0.0.1),
  /// `options` and the engine's mounts, and started. Then each service: image, container on
  /// the network with the service key as alias, ports published on 127.0.0.1, started, waited
  /// for until healthy when it has a healthcheck. `started` is filled as things are created,
  /// so that Stop can remove them whatever Start returns. The engine's or the service's
  /// problem on failure; Cancelled when `cancel` fires.
  virtual core::Status Start(const JobContainerSpec* job_container,
                             const std::vector<ServiceSpec>& services,
                             const std::string& network_name, const EnvList& labels,
                             const ServiceLog& log, const backend::CancelToken& cancel,
                             StartedServices& started) = 0;
  /// Removes the containers (with their anonymous volumes), the named volumes and the network
  /// in `started`. Best effort: problems go to `log`.
  virtual void Stop(const StartedServices& started, const ServiceLog& log) = 0;
  /// Runs processes inside the job container `started.container_id` (ProcessSpec paths and
  /// env are the container's). Valid until Stop.
  virtual std::unique_ptr<backend::Backend> JobBackend(const StartedServices& started) = 0;
  /// Makes `image` present by the pull policy (Docker actions' `docker://` images).
  virtual core::Status PrepareImage(const std::string& image, const ServiceLog& log,
                                    const backend::CancelToken& cancel) = 0;
  /// Builds the Docker action in `context_dir` from `dockerfile` (relative to the context;
  /// "" = Dockerfile) and returns the image's tag. The tag is derived from the content of the
  /// context, so an unchanged action is not built again. Build output goes to `log`.
  virtual core::Result<std::string> BuildImage(const std::string& context_dir,
                                               const std::string& dockerfile, const ServiceLog& log,
                                               const backend::CancelToken& cancel) = 0;
  /// Creates a container from `spec` with `labels`, streams its output (stdout and stderr in
  /// order) to `output`, waits for it to exit and removes it. On timeout or cancellation the
  /// container is killed (SIGTERM, then SIGKILL after `kill_grace`).
  virtual core::Result<backend::ProcessResult> RunContainer(const ActionContainerSpec& spec,
                                                            std::chrono::milliseconds kill_grace,
                                                            const backend::OutputSink& output,
                                                            const backend::CancelToken& cancel) = 0;
};

/// The `services:` of `job` with their expressions evaluated in `ctx` (a whole-map
/// expression, an image expression yielding a mapping). Services whose image is empty are
/// left out, as on GitHub. Errors are "file:line:col: message".
core::Result<std::vector<ServiceSpec>> EvaluateServices(const workflow::Job& job,
                                                        const expr::EvalContext& ctx,
                                                        const std::string& file);

/// The job's `container:` evaluated in `ctx`; nullopt when the job has none or its image is
/// empty (the job then runs on the host, as on GitHub). Errors are "file:line:col: message".
core::Result<std::optional<ServiceSpec>> EvaluateJobContainer(const workflow::Job& job,
                                                              const expr::EvalContext& ctx,
                                                              const std::string& file);

/// The `job.services` object: {<id>: {id, network, ports: {<container port>: <host port>}}}.
expr::Value ServicesContext(const StartedServices& started);

/// The `job.container` object: {id, network}; an empty object without a job container.
expr::Value ContainerContext(const StartedServices& started);

}  // namespace gantry::engine
