// Agent::Make lives apart from agent.cc so that tests, which give an Agent fakes, do not link
// the engine's RunOneJob, the HTTP transports or the git fetcher.

#include <filesystem>

#include "actions/fetcher.h"
#include "backend/sandbox/sandbox_backend.h"
#include "executor/agent.h"

namespace gantry::executor {

core::Result<std::unique_ptr<Agent>> Agent::Make(AgentOptions options) {
  if (options.server_url.empty()) {
    return core::Status::InvalidArgument("the executor needs the server's URL");
  }
  if (options.capacity < 1) {
    return core::Status::InvalidArgument("capacity must be at least 1, not " +
                                         std::to_string(options.capacity));
  }
  if (options.work_dir.empty()) {
    return core::Status::InvalidArgument("the executor needs a work directory");
  }
  AgentDeps deps;
  deps.transport = MakeTransport(options.server_url);
  deps.run_job = engine::RunOneJob;
  if (options.backend == BackendKind::kSandbox) {
    // Jobs write only under the work dir (workspaces, temp dirs, action and cache dirs); one
    // $HOME for every job, as a runner has one.
    backend::SandboxOptions sandbox;
    sandbox.home = options.work_dir + "/_sandbox_home";
    std::error_code ec;
    std::filesystem::create_directories(sandbox.home, ec);
    if (ec) {
      return core::Status::InvalidArgument("cannot create " + sandbox.home + ": " + ec.message());
    }
    sandbox.writable.push_back(options.work_dir);
    auto made = backend::MakeSandboxBackend(sandbox);
    if (!made.ok()) return made.status();
    deps.backend = std::move(made).value();
  } else {
    deps.backend = backend::MakeHostBackend();
  }
  actions::FetcherOptions fetch;
  fetch.cache_dir =
      options.action_cache_dir.empty() ? options.work_dir + "/_actions" : options.action_cache_dir;
  if (!options.actions_url.empty()) fetch.base_url = options.actions_url;
  deps.fetcher = actions::MakeGitFetcher(fetch);
  return std::make_unique<Agent>(std::move(options), std::move(deps));
}

}  // namespace gantry::executor
