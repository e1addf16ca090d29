#pragma once

// The ContainerHost of `gantry exec` (and later the executor): service containers, job
// containers and Docker action containers on a Docker engine, through the Docker Engine API
// client of backend/docker. It connects on the first job that needs a container, so a run
// without containers never needs an engine.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "backend/docker/docker_client.h"
#include "engine/services.h"

namespace gantry::actions {

/// When service images are pulled (`gantry exec --pull`).
enum class PullPolicy { kNever, kMissing, kAlways };

/// Creates containers on the engine at `docker_host` ("" = $DOCKER_HOST, else the default
/// socket). Everything it creates carries the label gantry.exec=<run_token> besides the
/// labels the engine passes, so Sweep finds what a crashed job left. Thread-safe.
class DockerContainerHost : public engine::ContainerHost {
 public:
  DockerContainerHost(std::string docker_host, PullPolicy pull, std::string run_token);

  core::Status Start(const engine::JobContainerSpec* job_container,
                     const std::vector<engine::ServiceSpec>& services,
                     const std::string& network_name, const engine::EnvList& labels,
                     const engine::ServiceLog& log, const backend::CancelToken& cancel,
                     engine::StartedServices& started) override;
  void Stop(const engine::StartedServices& started, const engine::ServiceLog& log) override;
  std::unique_ptr<backend::Backend> JobBackend(const engine::StartedServices& started) override;
  core::Status PrepareImage(const std::string& image, const engine::ServiceLog& log,
                            const backend::CancelToken& cancel) override;
  core::Result<std::string> BuildImage(const std::string& context_dir,
                                       const std::string& dockerfile, const engine::ServiceLog& log,
                                       const backend::CancelToken& cancel) override;
  core::Result<backend::ProcessResult> RunContainer(const engine::ActionContainerSpec& spec,
                                                    std::chrono::milliseconds kill_grace,
                                                    const backend::OutputSink& output,
                                                    const backend::CancelToken& cancel) override;

  /// Removes every container, volume and network labelled with this run's token (left behind
  /// by a job that did not finish). Does nothing when no job connected to the engine.
  void Sweep(const engine::ServiceLog& log);

 private:
  /// The client, connecting on first use; the connection error is kept and repeated.
  core::Result<backend::docker::DockerClient*> Client();
  /// Makes `image` present by the pull policy, pulling with `credentials` when given. `what`
  /// names the image's user in messages ("service 'db'", "the job container").
  core::Status EnsureImage(backend::docker::DockerClient& client, const std::string& image,
                           const std::optional<std::pair<std::string, std::string>>& credentials,
                           const std::string& what, const engine::ServiceLog& log,
                           const backend::CancelToken& cancel);
  /// Creates the job container (`started` records it as soon as it exists) and starts it.
  core::Status StartJobContainer(backend::docker::DockerClient& client,
                                 const engine::JobContainerSpec& job, const engine::EnvList& labels,
                                 const engine::ServiceLog& log, engine::StartedServices& started);
  core::Status WaitReady(backend::docker::DockerClient& client, const std::string& id,
                         const engine::ServiceSpec& s, const backend::docker::ContainerSpec& cs,
                         const engine::ServiceLog& log, const backend::CancelToken& cancel,
                         backend::docker::ContainerState& state);

  std::string docker_host_;
  PullPolicy pull_;
  std::string run_token_;
  std::mutex mu_;
  std::unique_ptr<backend::docker::DockerClient> client_;  // GUARDED_BY(mu_)
  std::optional<core::Status> connect_error_;              // GUARDED_BY(mu_)
};

}  // namespace gantry::actions
