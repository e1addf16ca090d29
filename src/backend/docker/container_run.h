#pragma once

// Running a created container to completion: attach, start, stream, wait, kill on timeout or
// cancellation.

#include <chrono>
#include <string>

#include "backend/backend.h"
#include "backend/docker/docker_client.h"
#include "core/status.h"

namespace gantry::backend::docker {

/// Attaches to the created (not yet started) container `id`, starts it, streams its output
/// (stdout and stderr, in order) to `output` and returns its exit code once it exits. When
/// `timeout` (0 = none) expires or `cancel` fires, the container gets SIGTERM, then SIGKILL
/// after `kill_grace`; the result says timed_out / cancelled (and `signal` when the exit code
/// says a signal ended it). The container is left for the caller to remove. The engine's
/// message when it cannot be started (e.g. its entrypoint does not exist).
core::Result<ProcessResult> RunAttached(DockerClient& client, const std::string& id,
                                        std::chrono::milliseconds timeout,
                                        std::chrono::milliseconds kill_grace,
                                        const OutputSink& output, const CancelToken& cancel);

}  // namespace gantry::backend::docker
