#pragma once

// The pure parts of the engine API client: request bodies, response parsing, the stream
// demultiplexer and the option-value parsers. No I/O; unit-tested directly.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/docker/docker_client.h"
#include "core/status.h"

namespace gantry::backend::docker {

/// Splits the engine's multiplexed stream (8-byte header: stream 0/1/2, 3 zero bytes, a
/// big-endian u32 length, then the payload) into payloads, in order, across arbitrary chunk
/// boundaries. A stream whose first header is not a frame header (a TTY container's logs) is
/// passed through raw.
class FrameDemuxer {
 public:
  /// `on_payload(stream, bytes)`; stream is 1 (stdout) or 2 (stderr), 0 for raw input.
  explicit FrameDemuxer(std::function<void(int, std::string_view)> on_payload)
      : on_payload_(std::move(on_payload)) {}
  void Feed(std::string_view chunk);
  /// Bytes of an incomplete frame still buffered (non-zero at the end = truncated stream).
  size_t pending() const { return buffer_.size(); }

 private:
  std::function<void(int, std::string_view)> on_payload_;
  std::string buffer_;
  enum class Mode { kUnknown, kFramed, kRaw } mode_ = Mode::kUnknown;
};

/// Splits the newline-delimited JSON messages of /images/create and /build into log lines and
/// remembers the first {"error": ...}.
class ProgressParser {
 public:
  explicit ProgressParser(const std::function<void(std::string_view)>& log) : log_(log) {}
  void Feed(std::string_view chunk);
  /// Flushes a last unterminated message.
  void Finish();
  const std::string& error() const { return error_; }

 private:
  void Line(std::string_view line);
  const std::function<void(std::string_view)>& log_;
  std::string buffer_;
  std::string error_;
};

/// A parsed docker -p value.
struct PortBinding {
  std::string host_ip;         // "" = all addresses
  std::string host_port;       // "" = an ephemeral port (when published)
  std::string container_port;  // "5432/tcp"
  bool publish = false;        // false for a bare "5432/tcp" after --expose semantics
};
/// Parses "[[ip:]hostPort:]containerPort[/proto]"; IPv6 host addresses in brackets. A bare
/// container port is published on an ephemeral host port (as `docker run -p 80` does).
core::Result<PortBinding> ParsePortSpec(std::string_view spec);

/// Go duration syntax ("10s", "1m30s", "500ms", "1.5h", "0") to nanoseconds.
core::Result<int64_t> ParseGoDuration(std::string_view s);
/// docker's memory sizes ("512m", "1g", "1024k", "1.5GB", "100b", "4096") to bytes (binary
/// units).
core::Result<int64_t> ParseMemoryBytes(std::string_view s);
/// Splits a command line into words as a POSIX shell would for quoting ('…', "…", \x), without
/// expansions. InvalidArgument on an unterminated quote.
core::Result<std::vector<std::string>> SplitShellWords(std::string_view s);

/// The body of POST /containers/create for `spec` (ports must parse: ApplyDockerOptions and
/// CreateContainer check them).
core::Result<nlohmann::json> ContainerCreateBody(const ContainerSpec& spec);
/// The body of POST /exec for argv, cwd, env and user.
nlohmann::json ExecCreateBody(const std::vector<std::string>& argv, const std::string& cwd,
                              const std::vector<std::pair<std::string, std::string>>& env,
                              const std::string& user);
/// A ContainerState from GET /containers/{id}/json.
ContainerState ParseContainerState(const nlohmann::json& inspect);
/// The engine's error message from an error response body ({"message": ...}), else the body.
std::string EngineMessage(const std::string& body);
/// The HTTP status docker would have answered: podman's compat API answers a container in the
/// wrong state (killing a stopped one, ...) with 500 and the cause "container state improper"
/// where docker answers 409 Conflict; any other response keeps its status.
long EngineStatus(long status, const std::string& body);
/// podman's own API version ("4.3.1") from GET /version when the engine is podman (a component
/// named "Podman Engine"); nullopt for docker.
std::optional<std::string> PodmanApiVersion(const nlohmann::json& version);
/// "1.41" < "1.43" for API versions; the lower one.
std::string MinApiVersion(const std::string& a, const std::string& b);

}  // namespace gantry::backend::docker
