#include "backend/docker/docker_client.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "backend/docker/build_context.h"
#include "backend/docker/docker_api.h"
#include "backend/docker/http.h"

namespace gantry::backend::docker {
namespace {

using nlohmann::json;

// The newest API version this client speaks; older engines get their own (>= 1.41 tested).
constexpr const char* kApiVersion = "1.43";
constexpr const char* kDefaultHost = "unix:///var/run/docker.sock";

// An engine error response as a Status: `what` says what was attempted.
core::Status EngineError(const HttpResponse& r, const std::string& what) {
  std::string msg = what + ": " + EngineMessage(r.body);
  switch (EngineStatus(r.status, r.body)) {
    case 400:
      return core::Status::InvalidArgument(msg);
    case 401:
    case 403:
      return core::Status::PermissionDenied(msg);
    case 404:
      return core::Status::NotFound(msg);
    case 409:
      return core::Status::AlreadyExists(msg);
    default:
      return core::Status::Unavailable(msg);
  }
}

core::Result<json> ParseJson(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return core::Status::Internal(what + ": the engine sent invalid JSON");
  return j;
}

std::string Filters(const std::string& label) {
  return UrlEncode(json{{"label", json::array({label})}}.dump());
}

// Driving a streaming request that only needs to stop on cancellation.
StreamControl CancelOnly(const CancelToken& cancel) {
  StreamControl control;
  control.wake_fd = cancel.wait_fd();
  control.tick = [&cancel] { return cancel.cancelled() ? StreamControl::kAbort : -1; };
  return control;
}

// URL-safe base64 with padding (RFC 4648, section 5). Hand-written (libcrypto's
// EVP_EncodeBlock could do it) so that the Docker client does not load libcrypto for one header.
std::string Base64Url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve(4 * ((in.size() + 2) / 3));
  for (size_t i = 0; i < in.size(); i += 3) {
    size_t n = std::min<size_t>(3, in.size() - i);
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) {
      v = (v << 8) | (k < n ? static_cast<unsigned char>(in[i + k]) : 0U);
    }
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

}  // namespace

std::string RegistryAuthHeader(const RegistryAuth& auth) {
  const std::string raw = json{
      {"username", auth.username},
      {"password", auth.password},
      {"serveraddress",
       auth.server_address}}.dump();
  // The engine decodes the header as URL-safe base64.
  return Base64Url(raw);
}

std::string ImageRegistry(const std::string& image) {
  auto slash = image.find('/');
  if (slash == std::string::npos) return "";
  std::string first = image.substr(0, slash);
  if (first.find('.') == std::string::npos && first.find(':') == std::string::npos &&
      first != "localhost") {
    return "";
  }
  return first;
}

DockerClient::DockerClient(std::string socket_path, std::unique_ptr<HttpClient> http)
    : socket_path_(std::move(socket_path)), http_(std::move(http)) {}

DockerClient::~DockerClient() = default;

core::Result<std::unique_ptr<DockerClient>> DockerClient::Connect(const std::string& docker_host) {
  std::string host = docker_host;
  if (host.empty()) {
    const char* env = std::getenv("DOCKER_HOST");
    host = env != nullptr && *env != '\0' ? env : kDefaultHost;
  }
  std::string path;
  if (host.rfind("unix://", 0) == 0) {
    path = host.substr(7);
  } else if (!host.empty() && host[0] == '/') {
    path = host;
  } else {
    return core::Status::InvalidArgument("DOCKER_HOST '" + host +
                                         "' is not supported: only unix:// sockets are");
  }
  auto http = std::make_unique<HttpClient>(path);
  auto ping = http->Send("GET", "/_ping");
  if (!ping.ok() || !ping->ok()) {
    std::string why = ping.ok() ? "HTTP " + std::to_string(ping->status) : ping.status().message();
    std::string prefix = "cannot reach " + path + ": ";
    if (why.starts_with(prefix)) why.erase(0, prefix.size());
    return core::Status::Unavailable("no Docker engine at " + path + " (" + why +
                                     "): start one, set DOCKER_HOST to its unix:// socket, or "
                                     "run without containers");
  }
  std::unique_ptr<DockerClient> client(new DockerClient(path, std::move(http)));
  auto version = client->http_->Send("GET", "/version");
  if (!version.ok()) return version.status();
  if (!version->ok()) return EngineError(*version, "GET /version on " + path);
  auto j = ParseJson(version->body, "GET /version");
  if (!j.ok()) return j.status();
  std::string engine_api = j->value("ApiVersion", std::string());
  client->engine_version_ = j->value("Version", std::string());
  if (auto podman = PodmanApiVersion(*j)) {
    client->is_podman_ = true;
    client->libpod_api_version_ = *podman;
  }
  client->api_version_ = engine_api.empty() ? kApiVersion : MinApiVersion(engine_api, kApiVersion);
  return client;
}

std::string DockerClient::Url(std::string_view path) const {
  return "/v" + api_version_ + std::string(path);
}

core::Result<bool> DockerClient::ImageExists(const std::string& image) {
  auto r = http_->Send("GET", Url("/images/" + image + "/json"));
  if (!r.ok()) return r.status();
  if (r->status == 404) return false;
  if (!r->ok()) return EngineError(*r, "cannot inspect image " + image);
  return true;
}

core::Status DockerClient::PullImage(const std::string& image,
                                     const std::function<void(std::string_view)>& log,
                                     const CancelToken& cancel,
                                     const std::optional<RegistryAuth>& auth) {
  // fromImage=name&tag=tag; a digest (name@sha256:...) goes whole in fromImage.
  std::string name = image, tag;
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  if (image.find('@') == std::string::npos && colon != std::string::npos &&
      (slash == std::string::npos || colon > slash)) {
    name = image.substr(0, colon);
    tag = image.substr(colon + 1);
  }
  std::string path = Url("/images/create?fromImage=" + UrlEncode(name));
  if (image.find('@') == std::string::npos)
    path += "&tag=" + UrlEncode(tag.empty() ? "latest" : tag);
  std::vector<std::string> headers;
  if (auth) headers.push_back("X-Registry-Auth: " + RegistryAuthHeader(*auth));
  ProgressParser progress(log);
  auto r = http_->Stream(
      "POST", path, "", "text/plain", [&](std::string_view chunk) { progress.Feed(chunk); },
      CancelOnly(cancel), headers);
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot pull image " + image);
  progress.Finish();
  if (!progress.error().empty()) {
    return core::Status::Unavailable("cannot pull image " + image + ": " + progress.error());
  }
  return core::Status::Ok();
}

core::Status DockerClient::BuildImage(const std::string& context_dir, const std::string& dockerfile,
                                      const std::string& tag,
                                      const std::function<void(std::string_view)>& log,
                                      const CancelToken& cancel) {
  auto tar = TarDirectory(context_dir);
  if (!tar.ok()) return tar.status();
  std::string path = Url("/build?t=" + UrlEncode(tag) + "&rm=1&forcerm=1");
  if (!dockerfile.empty()) path += "&dockerfile=" + UrlEncode(dockerfile);
  ProgressParser progress(log);
  auto r = http_->Stream(
      "POST", path, *tar, "application/x-tar",
      [&](std::string_view chunk) { progress.Feed(chunk); }, CancelOnly(cancel));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot build image " + tag + " from " + context_dir);
  progress.Finish();
  if (!progress.error().empty()) {
    return core::Status::InvalidArgument("cannot build image " + tag + " from " + context_dir +
                                         ": " + progress.error());
  }
  return core::Status::Ok();
}

core::Status DockerClient::RemoveImage(const std::string& image, bool force) {
  auto r = http_->Send("DELETE", Url("/images/" + image + "?force=" + (force ? "1" : "0")));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot remove image " + image);
  return core::Status::Ok();
}

core::Result<std::string> DockerClient::CreateNetwork(
    const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels) {
  json body = {{"Name", name}, {"Driver", "bridge"}, {"CheckDuplicate", true}};
  json l = json::object();
  for (const auto& [k, v] : labels) l[k] = v;
  body["Labels"] = l;
  auto r = http_->Send("POST", Url("/networks/create"), body.dump());
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot create network " + name);
  auto j = ParseJson(r->body, "POST /networks/create");
  if (!j.ok()) return j.status();
  return j->value("Id", std::string());
}

core::Status DockerClient::RemoveNetwork(const std::string& id) {
  auto r = http_->Send("DELETE", Url("/networks/" + UrlEncode(id)));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot remove network " + id);
  return core::Status::Ok();
}

core::Result<std::string> DockerClient::CreateContainer(const ContainerSpec& spec) {
  auto body = ContainerCreateBody(spec);
  if (!body.ok()) return body.status();
  std::string path = Url("/containers/create");
  if (!spec.name.empty()) path += "?name=" + UrlEncode(spec.name);
  auto r = http_->Send("POST", path, body->dump());
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot create a container of " + spec.image);
  auto j = ParseJson(r->body, "POST /containers/create");
  if (!j.ok()) return j.status();
  return j->value("Id", std::string());
}

core::Status DockerClient::StartContainer(const std::string& id) {
  auto r = http_->Send("POST", Url("/containers/" + UrlEncode(id) + "/start"));
  if (!r.ok()) return r.status();
  if (!r->ok() && r->status != 304) return EngineError(*r, "cannot start container " + id);
  return core::Status::Ok();
}

core::Status DockerClient::StopContainer(const std::string& id, int timeout_seconds) {
  auto r = http_->Send(
      "POST", Url("/containers/" + UrlEncode(id) + "/stop?t=" + std::to_string(timeout_seconds)));
  if (!r.ok()) return r.status();
  if (!r->ok() && r->status != 304) return EngineError(*r, "cannot stop container " + id);
  return core::Status::Ok();
}

core::Status DockerClient::RemoveContainer(const std::string& id, bool force, bool volumes) {
  auto r =
      http_->Send("DELETE", Url("/containers/" + UrlEncode(id) + "?force=" + (force ? "1" : "0") +
                                "&v=" + (volumes ? "1" : "0")));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot remove container " + id);
  return core::Status::Ok();
}

core::Result<ContainerState> DockerClient::InspectContainer(const std::string& id) {
  auto r = http_->Send("GET", Url("/containers/" + UrlEncode(id) + "/json"));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot inspect container " + id);
  auto j = ParseJson(r->body, "GET /containers/" + id + "/json");
  if (!j.ok()) return j.status();
  return ParseContainerState(*j);
}

core::Result<std::string> DockerClient::ContainerLogs(const std::string& id, int tail_lines) {
  std::string tail = tail_lines > 0 ? std::to_string(tail_lines) : "all";
  auto r = http_->Send(
      "GET", Url("/containers/" + UrlEncode(id) + "/logs?stdout=1&stderr=1&tail=" + tail));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot read the logs of container " + id);
  std::string out;
  FrameDemuxer demux([&](int, std::string_view data) { out.append(data); });
  demux.Feed(r->body);
  return out;
}

core::Status DockerClient::AttachContainer(const std::string& id, const OutputSink& output,
                                           const StreamControl& control) {
  FrameDemuxer demux([&](int, std::string_view data) {
    if (output) output(data);
  });
  auto r = http_->Stream(
      "POST", Url("/containers/" + UrlEncode(id) + "/attach?stream=1&stdout=1&stderr=1"), "",
      "text/plain", [&](std::string_view chunk) { demux.Feed(chunk); }, control);
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot attach to container " + id);
  return core::Status::Ok();
}

core::Status DockerClient::RunHealthcheck(const std::string& id, const CancelToken& cancel) {
  if (!is_podman_) {
    return core::Status::InvalidArgument("cannot run the healthcheck of container " + id +
                                         ": only podman's API can (the engine runs its own)");
  }
  // podman's own API: its compat API has no healthcheck endpoint.
  // A check may take up to its timeout: streamed, so that a cancellation ends the wait.
  auto r = http_->Stream(
      "GET", "/v" + libpod_api_version_ + "/libpod/containers/" + UrlEncode(id) + "/healthcheck",
      "", "", [](std::string_view) {}, CancelOnly(cancel));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot run the healthcheck of container " + id);
  return core::Status::Ok();
}

core::Result<int> DockerClient::WaitContainer(const std::string& id) {
  auto r = http_->Send("POST", Url("/containers/" + UrlEncode(id) + "/wait"));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot wait for container " + id);
  auto j = ParseJson(r->body, "POST /containers/" + id + "/wait");
  if (!j.ok()) return j.status();
  if (auto e = j->find("Error"); e != j->end() && e->is_object()) {
    std::string msg = e->value("Message", std::string());
    if (!msg.empty()) return core::Status::Unavailable("waiting for container " + id + ": " + msg);
  }
  auto code = j->find("StatusCode");
  if (code == j->end() || !code->is_number_integer()) {
    return core::Status::Internal("POST /containers/" + id + "/wait returned no StatusCode");
  }
  return code->get<int>();
}

core::Status DockerClient::KillContainer(const std::string& id, const std::string& signal) {
  auto r = http_->Send("POST",
                       Url("/containers/" + UrlEncode(id) + "/kill?signal=" + UrlEncode(signal)));
  if (!r.ok()) return r.status();
  if (EngineStatus(r->status, r->body) == 409) return core::Status::Ok();  // not running
  if (!r->ok()) return EngineError(*r, "cannot kill container " + id);
  return core::Status::Ok();
}

core::Result<std::vector<std::string>> DockerClient::ListContainers(
    const std::string& label_filter) {
  auto r = http_->Send("GET", Url("/containers/json?all=1&filters=" + Filters(label_filter)));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot list containers");
  auto j = ParseJson(r->body, "GET /containers/json");
  if (!j.ok()) return j.status();
  std::vector<std::string> ids;
  if (j->is_array()) {
    for (const auto& c : *j) ids.push_back(c.value("Id", std::string()));
  }
  return ids;
}

core::Result<std::vector<std::string>> DockerClient::ListNetworks(const std::string& label_filter) {
  auto r = http_->Send("GET", Url("/networks?filters=" + Filters(label_filter)));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot list networks");
  auto j = ParseJson(r->body, "GET /networks");
  if (!j.ok()) return j.status();
  std::vector<std::string> ids;
  if (j->is_array()) {
    for (const auto& n : *j) ids.push_back(n.value("Id", std::string()));
  }
  return ids;
}

core::Status DockerClient::CreateVolume(
    const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels) {
  json l = json::object();
  for (const auto& [k, v] : labels) l[k] = v;
  json body = {{"Name", name}, {"Driver", "local"}, {"Labels", l}};
  auto r = http_->Send("POST", Url("/volumes/create"), body.dump());
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot create volume " + name);
  return core::Status::Ok();
}

core::Result<bool> DockerClient::VolumeExists(const std::string& name) {
  auto r = http_->Send("GET", Url("/volumes/" + UrlEncode(name)));
  if (!r.ok()) return r.status();
  if (r->status == 404) return false;
  if (!r->ok()) return EngineError(*r, "cannot inspect volume " + name);
  return true;
}

core::Status DockerClient::RemoveVolume(const std::string& name, bool force) {
  auto r =
      http_->Send("DELETE", Url("/volumes/" + UrlEncode(name) + "?force=" + (force ? "1" : "0")));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot remove volume " + name);
  return core::Status::Ok();
}

core::Result<std::vector<std::string>> DockerClient::ListVolumes(const std::string& label_filter) {
  auto r = http_->Send("GET", Url("/volumes?filters=" + Filters(label_filter)));
  if (!r.ok()) return r.status();
  if (!r->ok()) return EngineError(*r, "cannot list volumes");
  auto j = ParseJson(r->body, "GET /volumes");
  if (!j.ok()) return j.status();
  std::vector<std::string> names;
  if (auto v = j->find("Volumes"); v != j->end() && v->is_array()) {
    for (const auto& vol : *v) names.push_back(vol.value("Name", std::string()));
  }
  return names;
}

}  // namespace gantry::backend::docker
