#pragma once

// The ServiceHost of `gantry exec`: service containers on a Docker engine, through the Docker
// Engine API client of backend/docker. It connects on the first job that has services, so a
// run without services never needs an engine.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "backend/docker/docker_client.h"
#include "engine/services.h"

namespace gantry::cli {

/// When service images are pulled (`gantry exec --pull`).
enum class PullPolicy { kNever, kMissing, kAlways };

/// Starts services on the engine at `docker_host` ("" = $DOCKER_HOST, else the default
/// socket). Everything it creates carries the label gantry.exec=<run_token> besides the
/// labels the engine passes, so Sweep finds what a crashed job left. Thread-safe.
class DockerServiceHost : public engine::ServiceHost {
 public:
  DockerServiceHost(std::string docker_host, PullPolicy pull, std::string run_token);

  core::Status Start(const std::vector<engine::ServiceSpec>& services,
                     const std::string& network_name, const engine::EnvList& labels,
                     const engine::ServiceLog& log, const backend::CancelToken& cancel,
                     engine::StartedServices& started) override;
  void Stop(const engine::StartedServices& started, const engine::ServiceLog& log) override;

  /// Removes every container and network labelled with this run's token (left behind by a
  /// job that did not finish). Does nothing when no job connected to the engine.
  void Sweep(const engine::ServiceLog& log);

 private:
  /// The client, connecting on first use; the connection error is kept and repeated.
  core::Result<backend::docker::DockerClient*> Client();
  core::Status EnsureImage(backend::docker::DockerClient& client, const engine::ServiceSpec& s,
                           const engine::ServiceLog& log, const backend::CancelToken& cancel);
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

}  // namespace gantry::cli
