#pragma once

// Service containers (`jobs.<id>.services`) of jobs that run on the host: what the engine
// evaluates from the workflow (ServiceSpec), the interface that starts and removes them
// (ServiceHost, implemented over a container engine outside the engine layer) and the
// `job.services` context they fill.

#include <functional>
#include <map>
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

/// One started service, as `job.services.<id>` shows it.
struct StartedService {
  std::string id;            // the service key
  std::string container_id;  // `job.services.<id>.id`
  /// Container port ("5432") -> host port ("49153"), as `job.services.<id>.ports` has them.
  std::map<std::string, std::string> ports;
};

/// What ServiceHost::Start created for one job.
struct StartedServices {
  std::string network_id;  // `job.services.<id>.network`
  std::vector<StartedService> services;
  /// Containers and volumes created, for Stop (also after a partial start).
  std::vector<std::string> container_ids;
};

/// How ServiceHost reports progress: one line, without '\n'.
using ServiceLog = std::function<void(std::string_view)>;

/// Starts the service containers of a job and removes them again. Implementations are
/// thread-safe (jobs run in parallel).
class ServiceHost {
 public:
  virtual ~ServiceHost() = default;
  /// Creates network `network_name` carrying `labels`, then for each service: makes sure its
  /// image is present, creates its container on that network with the service key as alias,
  /// publishes its ports on 127.0.0.1, starts it and waits until it is healthy when it has a
  /// healthcheck. `started` is filled as things are created, so that Stop can remove them
  /// whatever Start returns. The engine's or the service's problem on failure; Cancelled
  /// when `cancel` fires.
  virtual core::Status Start(const std::vector<ServiceSpec>& services,
                             const std::string& network_name, const EnvList& labels,
                             const ServiceLog& log, const backend::CancelToken& cancel,
                             StartedServices& started) = 0;
  /// Removes the containers (with their anonymous volumes) and the network in `started`.
  /// Best effort: problems go to `log`.
  virtual void Stop(const StartedServices& started, const ServiceLog& log) = 0;
};

/// The `services:` of `job` with their expressions evaluated in `ctx` (a whole-map
/// expression, an image expression yielding a mapping). Services whose image is empty are
/// left out, as on GitHub. Errors are "file:line:col: message".
core::Result<std::vector<ServiceSpec>> EvaluateServices(const workflow::Job& job,
                                                        const expr::EvalContext& ctx,
                                                        const std::string& file);

/// The `job.services` object: {<id>: {id, network, ports: {<container port>: <host port>}}}.
expr::Value ServicesContext(const StartedServices& started);

}  // namespace gantry::engine
