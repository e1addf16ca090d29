#pragma once

// The executor `gantry server` runs in its own process: an executor::Agent with a token of its
// own, talking to the server over loopback through the executor protocol, exactly as a remote
// `gantry executor` would.

#include <memory>
#include <string>
#include <thread>

#include "backend/backend.h"
#include "executor/agent.h"
#include "server/api.h"
#include "server/app.h"

namespace gantry::server {

class EmbeddedExecutor {
 public:
  EmbeddedExecutor(std::unique_ptr<executor::Agent> agent);
  ~EmbeddedExecutor();
  /// Cancels running jobs (their always() steps still run), reports them, and returns once
  /// the agent stopped. Idempotent.
  void Stop();

 private:
  std::unique_ptr<executor::Agent> agent_;
  backend::CancelToken stop_;
  std::thread thread_;
};

/// Registers (or re-keys) the executor "embedded" in the store and starts its agent against
/// `url`.
core::Result<std::unique_ptr<EmbeddedExecutor>> StartEmbeddedExecutor(ApiContext& ctx,
                                                                      const std::string& url,
                                                                      const ServerConfig& config);

}  // namespace gantry::server
