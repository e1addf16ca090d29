// Agent::Make lives apart from agent.cc so that tests, which give an Agent fakes, do not link
// the engine's RunOneJob, the HTTP transports or the git fetcher.

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "actions/fetcher.h"
#include "backend/docker/docker_client.h"
#include "backend/sandbox/sandbox_backend.h"
#include "core/strings.h"
#include "executor/agent.h"

namespace gantry::executor {
namespace {

// --backend docker runs every job in a container: an executor that could run none says so at
// start rather than failing each job it leases.
core::Status CheckDockerEngine(const AgentOptions& options) {
  const std::string& image = options.default_container_image;
  if (core::TrimSpace(image).empty() || image.find_first_of(" \t\n") != std::string::npos) {
    return core::Status::InvalidArgument("the Docker backend needs an image for the jobs, not '" +
                                         image + "' (e.g. --docker-image debian:bookworm)");
  }
  const char* host = std::getenv("DOCKER_HOST");
  auto client = backend::docker::DockerClient::Connect("");
  if (!client.ok()) {
    // The client's own advice ends with "or run without containers", which this backend
    // cannot: keep what it found and say what to do here.
    std::string why = client.status().message();
    if (size_t advice = why.find("): start one"); advice != std::string::npos) {
      why.erase(advice + 1);
    }
    std::string text = "--backend docker runs every job in a container, but " + why;
    if (host == nullptr || *host == '\0') {
      text += ", and DOCKER_HOST is not set";
    } else if (client.status().code() != core::StatusCode::kInvalidArgument) {
      text += ", which DOCKER_HOST=" + std::string(host) + " names";
    }
    return core::Status(client.status().code(),
                        text +
                            ". Start a Docker engine on this machine and set DOCKER_HOST to its "
                            "socket (DOCKER_HOST=unix:///path/to/docker.sock), or use "
                            "--backend host");
  }
  // A missing image is pulled by the first job that needs it; without a registry that job
  // fails, so say it now.
  auto exists = (*client)->ImageExists(image);
  if (exists.ok() && !*exists) {
    std::string line = "warning: the image " + image + " of --backend docker is not on the " +
                       "Docker engine at " + (*client)->socket_path() +
                       ": each job pulls it before it starts (build or pull it there ahead)";
    if (options.log) {
      options.log(line);
    } else {
      std::cerr << "gantry executor: " << line << '\n';
    }
  }
  return core::Status::Ok();
}

}  // namespace

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
    if (options.backend == BackendKind::kDocker) GANTRY_RETURN_IF_ERROR(CheckDockerEngine(options));
    // The Docker backend, too: the clone and the built-in actions run on this machine.
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
