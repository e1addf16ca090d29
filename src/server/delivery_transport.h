#pragma once

// How outbound deliveries leave the server: HTTP requests (forges, webhooks) and SMTP
// (e-mail). The real transport is libcurl, opened with dlopen on the first delivery sent, so
// a server that never sends one never loads it.

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace gantry::server {

struct OutboundRequest {
  std::string method;  // POST, PATCH, PUT
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};

struct OutboundResponse {
  long status = 0;
  std::string body;
};

/// The SMTP relay (--smtp-*). `url` smtp://host[:port] or smtps://host[:port]; empty = none.
struct SmtpSettings {
  enum class StartTls { kAuto, kAlways, kNever };
  std::string url;
  std::string user;
  std::string password;
  std::string from;     // "Gantry <ci@example.org>" or an address
  std::string ca_file;  // PEM authorities the relay's certificate must chain to; "" = system
  StartTls starttls = StartTls::kAuto;
};

/// Sends deliveries. Thread-safe. Error messages never hold credentials (tokens travel in
/// headers, the SMTP password in its own option).
class DeliveryTransport {
 public:
  virtual ~DeliveryTransport() = default;
  /// One HTTP request; any answered status is OK (the caller judges it). Unavailable when the
  /// server cannot be reached in time.
  virtual core::Result<OutboundResponse> Http(const OutboundRequest& request) = 0;
  /// Sends `message` (RFC 5322, CRLF lines) to `to` through `smtp`.
  virtual core::Status Mail(const SmtpSettings& smtp, const std::vector<std::string>& to,
                            const std::string& message) = 0;
};

/// libcurl, each transfer limited to `timeout_seconds`.
std::unique_ptr<DeliveryTransport> MakeCurlTransport(int timeout_seconds);

/// The bare address of "Name <a@b>" (or the text itself).
std::string MailAddress(const std::string& from);

}  // namespace gantry::server
