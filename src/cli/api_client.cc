// The client commands' HTTP client: one request at a time over executor::Transport, every
// failure turned into the one line the command prints.

#include "cli/api_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "executor/transport.h"

namespace gantry::cli {
namespace {

using core::Result;
using core::Status;

// Long enough for a dispatch that fetches the repository first; a hung server still ends.
constexpr std::chrono::milliseconds kRequestTimeout{120'000};

// The server's {"error": {"code", "message", "field"}}, or the body itself when it has none.
struct ServerError {
  std::string code;
  std::string message;
  std::string field;
};

ServerError ParseServerError(const executor::HttpReply& reply) {
  ServerError e;
  nlohmann::json j = nlohmann::json::parse(reply.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
    const nlohmann::json& err = j["error"];
    e.code = err.value("code", "");
    e.message = err.value("message", "");
    if (err.contains("field") && err["field"].is_string()) e.field = err["field"];
  }
  if (e.message.empty()) {
    std::string body = reply.body.substr(0, 200);
    std::replace(body.begin(), body.end(), '\n', ' ');
    e.message = body.empty() ? "HTTP " + std::to_string(reply.status) : body;
  }
  return e;
}

std::string LoginHint(const std::string& url) {
  return "run `gantry auth login --url " + url + "`";
}

}  // namespace

std::string UrlHost(std::string_view url) {
  size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    return std::string(rest.substr(1, close == std::string_view::npos ? rest.npos : close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

bool IsLoopbackHost(std::string_view host) {
  std::string lower(host);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost" || lower == "::1" || lower == "0:0:0:0:0:0:0:1") return true;
  if (lower.rfind("127.", 0) != 0) return false;
  // 127.0.0.0/8 written as four decimal octets.
  int dots = 0;
  for (char c : lower) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

ApiClient::ApiClient(ClientTarget target) : target_(std::move(target)) {}

ApiClient::ApiClient(ClientTarget target, std::unique_ptr<executor::Transport> transport)
    : target_(std::move(target)), transport_(std::move(transport)) {}

ApiClient::~ApiClient() = default;

namespace {

// The reply of one request, or the one-line error for a transport failure or an HTTP error.
Result<executor::HttpReply> Exchange(const ClientTarget& target,
                                     std::unique_ptr<executor::Transport>& transport,
                                     std::string_view method, std::string_view path,
                                     std::string body, std::string_view what) {
  if (target.url.rfind("http://", 0) == 0 && !IsLoopbackHost(UrlHost(target.url))) {
    return Status::InvalidArgument("use https:// for " + UrlHost(target.url) +
                                   ": plain HTTP is allowed only to this machine (loopback)");
  }
  if (target.url.rfind("http://", 0) != 0 && target.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("'" + target.url +
                                   "' is not a server URL: use http(s)://HOST[:PORT]");
  }
  if (!transport) transport = executor::MakeTransport(target.url);
  executor::HttpRequest request;
  request.method = std::string(method);
  request.path = std::string(path);
  request.body = std::move(body);
  request.timeout = kRequestTimeout;
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("User-Agent", "gantry-cli");
  if (!target.token.empty())
    request.headers.emplace_back("Authorization", "Bearer " + target.token);
  auto sent = transport->Send(request, nullptr);
  if (!sent.ok()) {
    if (sent.status().code() == core::StatusCode::kInvalidArgument) return sent.status();
    // The transports say "GET URL failed: REASON"; the URL is in our message already.
    std::string reason = sent.status().message();
    if (size_t failed = reason.find(" failed: "); failed != std::string::npos) {
      reason = reason.substr(failed + 9);
    }
    if (reason.find("certificate") != std::string::npos) {
      reason += " (a server with its own certificate authority: set SSL_CERT_FILE=ca.pem)";
    }
    return Status::Unavailable("cannot reach the Gantry server at " + target.url + ": " + reason);
  }
  executor::HttpReply reply = std::move(sent).value();
  if (reply.status >= 200 && reply.status < 300) return reply;
  ServerError e = ParseServerError(reply);
  if (reply.status == 401) {
    // A wrong password at /auth/login is the server's own words, not a missing login.
    if (e.code == "invalid_credentials") return Status::PermissionDenied(e.message);
    if (target.token.empty()) {
      return Status::PermissionDenied("not logged in to " + target.url + ": " +
                                      LoginHint(target.url));
    }
    return Status::PermissionDenied(
        "not logged in to " + target.url +
        " (the token expired or was revoked): " + LoginHint(target.url));
  }
  if (reply.status == 403) return Status::PermissionDenied(e.message);
  if (reply.status == 404) {
    if (what.empty()) return Status::NotFound(e.message);
    return Status::NotFound(std::string(what) + " not found on " + target.url);
  }
  std::string message = e.message;
  if (!e.field.empty() && message.find(e.field) == std::string::npos) {
    message = e.field + ": " + message;
  }
  if (reply.status == 409) return Status::AlreadyExists(message);
  if (reply.status >= 500) {
    return Status::Internal("the server at " + target.url + " failed (HTTP " +
                            std::to_string(reply.status) + "): " + message);
  }
  return Status::InvalidArgument(message);
}

Result<nlohmann::json> ParseReply(const ClientTarget& target, const executor::HttpReply& reply) {
  if (reply.body.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json();
  nlohmann::json j = nlohmann::json::parse(reply.body, nullptr, false);
  if (j.is_discarded()) {
    return Status::Internal("the server at " + target.url +
                            " answered with something that is not JSON: is it a Gantry server?");
  }
  return j;
}

}  // namespace

Result<nlohmann::json> ApiClient::Get(std::string_view path, std::string_view what) {
  auto reply = Exchange(target_, transport_, "GET", path, "", what);
  if (!reply.ok()) return reply.status();
  return ParseReply(target_, reply.value());
}

Result<nlohmann::json> ApiClient::Send(std::string_view method, std::string_view path,
                                       const nlohmann::json& body, std::string_view what) {
  auto reply = Exchange(target_, transport_, method, path, body.is_null() ? "" : body.dump(), what);
  if (!reply.ok()) return reply.status();
  return ParseReply(target_, reply.value());
}

Result<RawReply> ApiClient::GetRaw(std::string_view path, std::string_view what) {
  auto reply = Exchange(target_, transport_, "GET", path, "", what);
  if (!reply.ok()) return reply.status();
  return RawReply{std::move(reply.value().body), std::move(reply.value().headers)};
}

}  // namespace gantry::cli
