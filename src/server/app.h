#pragma once

// `gantry server` assembled: store, secret box, notifier, git mirrors, scheduler, triggers,
// HTTP routes, and the embedded executor, which talks to this server through the executor
// protocol over loopback like any remote executor would.

#include <memory>
#include <string>

#include "core/status.h"

namespace gantry::server {

/// Every setting of the server (flags > GANTRY_* environment > config file; see
/// `gantry server --help` and docs/server.md).
struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir;      // default: $XDG_DATA_HOME/gantry or ~/.local/share/gantry
  std::string database;      // default: sqlite in data_dir; or postgres://…
  std::string redis;         // optional redis://[:password@]host:port[/db]: replicas' wake-ups
  std::string external_url;  // default: the listening URL
  bool signup_open = true;
  std::string tls_cert, tls_key;
  bool embedded_executor = true;
  int executor_capacity = 0;  // 0 = the number of CPUs
  int lease_seconds = 60;
  int lease_ack_seconds = 15;
  int64_t max_body_bytes = int64_t{256} * 1024 * 1024;
  int http_workers = 16;
  int login_attempts = 10;        // per account and per address, per 5 minutes
  std::string executor_work_dir;  // default: data_dir/work
  // Several replicas on one database (docs/scale-out.md).
  std::string replica_id;      // default: made once and kept in data_dir/replica-id
  std::string key_file;        // default: data_dir/server.key (replicas share one)
  std::string storage_dir;     // artifacts and caches; default: data_dir (replicas share one)
  std::string requeue_labels;  // comma-separated: their jobs are queued again when lost
  int replica_claim_seconds = 15;
  // A job waiting for an environment's reviewers this long is rejected ("30d"; 0 = never).
  std::string approval_timeout = "30d";
  // The built web UI (web/dist); default: the source tree's web/dist, then the installed
  // share/gantry/web.
  std::string web_dir;
  // Outbound deliveries (docs/server.md, "Commit statuses" and "Notifications").
  std::string smtp_url;  // smtp://host[:port] or smtps://host[:port]; empty = no e-mail
  std::string smtp_user;
  std::string smtp_password;
  std::string smtp_password_file;  // read at start; wins over smtp_password
  std::string smtp_from;
  std::string smtp_ca_file;  // PEM authorities for the relay's certificate (default: the system's)
  std::string smtp_starttls = "auto";                     // auto | always | never
  std::string delivery_backoff = "5s,30s,2m,10m,30m,1h";  // delays between attempts
  int delivery_attempts = 8;
  int delivery_timeout_seconds = 15;
};

class ServerApp {
 public:
  virtual ~ServerApp() = default;
  /// Opens everything and starts serving; prints "gantry server listening on URL" to stderr
  /// once the socket accepts. Errors name the setting to fix.
  static core::Result<std::unique_ptr<ServerApp>> Start(const ServerConfig& config);
  virtual std::string url() const = 0;
  /// Graceful stop: no new requests or leases, running jobs are cancelled, streams end.
  virtual void Shutdown() = 0;
};

}  // namespace gantry::server
