#pragma once

// For the exec tests that need a Docker engine: connecting to $DOCKER_HOST, or the reason to
// skip.

#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <string>

#include "backend/docker/docker_client.h"

namespace gantry::exec_test {

/// The engine at $DOCKER_HOST when it answers and holds every image of `images`; otherwise
/// nullptr, with the reason in `why`.
inline std::unique_ptr<backend::docker::DockerClient> ConnectWithImages(
    std::initializer_list<const char*> images, std::string& why) {
  const char* host = std::getenv("DOCKER_HOST");
  if (host == nullptr || *host == '\0') {
    why = "DOCKER_HOST is not set";
    return nullptr;
  }
  auto client = backend::docker::DockerClient::Connect(host);
  if (!client.ok()) {
    why = client.status().message();
    return nullptr;
  }
  for (const char* image : images) {
    auto exists = (*client)->ImageExists(image);
    if (!exists.ok() || !*exists) {
      why = std::string(image) + " is not on the engine";
      return nullptr;
    }
  }
  return std::move(client).value();
}

}  // namespace gantry::exec_test
