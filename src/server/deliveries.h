#pragma once

// The outbound delivery worker: a thread of each server replica that claims due rows of the
// deliveries outbox (store::OutboundDelivery), sends them (commit statuses and PR comments to
// GitHub, Gitea or Forgejo; e-mail over SMTP; webhooks) and records the outcome, retrying
// failures with a backoff schedule. Runs never wait for it: the scheduler's observer only
// inserts rows (delivery_events.h). A crash loses nothing: an unsent row stays pending, and a
// row claimed by a replica that died is claimed again once its claim expires.

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "server/api.h"
#include "server/delivery_transport.h"

namespace gantry::server {

/// The notifier topic that wakes the worker when a delivery is enqueued.
inline constexpr const char* kDeliveriesTopic = "deliveries";

struct DeliveryOptions {
  std::string claimer = "local";  // this replica's id
  /// Delay after the 1st, 2nd, … failed attempt (the last entry repeats).
  std::vector<int64_t> backoff_ms = {5000, 30000, 120000, 600000, 1800000, 3600000};
  int max_attempts = 8;  // then the delivery is failed for good
  int timeout_seconds = 15;
  int claim_seconds = 120;  // a claimed row is another replica's to take after this
  SmtpSettings smtp;
};

/// Thread-safe; Start once, Stop before the context goes away.
class DeliveryWorker {
 public:
  DeliveryWorker(ApiContext& ctx, DeliveryOptions options,
                 std::unique_ptr<DeliveryTransport> transport);
  ~DeliveryWorker();

  void Start();
  /// Stops the thread after the transfer in progress (idempotent).
  void Stop();

  /// Claims and sends every due delivery once; returns how many were attempted.
  int RunOnce();

 private:
  void Loop();
  /// Sends one delivery. OK = delivered; `permanent` says a failure will not get better by
  /// retrying (a 4xx answer, a missing setting).
  core::Status Send(const store::OutboundDelivery& d, bool* permanent);
  core::Status SendCommitStatus(const store::OutboundDelivery& d, bool* permanent);
  core::Status SendPrComment(const store::OutboundDelivery& d, bool* permanent);
  core::Status SendEmail(const store::OutboundDelivery& d, bool* permanent);
  core::Status SendWebhook(const store::OutboundDelivery& d, bool* permanent);

  ApiContext& ctx_;
  DeliveryOptions options_;
  std::unique_ptr<DeliveryTransport> transport_;
  backend::CancelToken stop_;
  std::thread thread_;
  bool warned_smtp_ = false;  // the worker thread's only
};

/// Hex of bytes and back (sealed secrets inside delivery payloads).
std::string HexOf(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> BytesOfHex(const std::string& hex);

/// A project's forge settings ("forge" delivery setting, sealed): kind github | gitea |
/// forgejo, base_url, token, repository "owner/repo", statuses, comments.
struct ForgeSettings {
  std::string kind;
  std::string base_url;
  std::string token;
  std::string repository;
  bool statuses = true;
  bool comments = false;
};
/// NotFound when the project has none.
core::Result<ForgeSettings> LoadForgeSettings(ApiContext& ctx, store::Id project_id);
core::Status SaveForgeSettings(ApiContext& ctx, store::Id project_id, const ForgeSettings& f);
/// The Authorization header of the forge: GitHub "Bearer T", Gitea and Forgejo "token T".
std::string ForgeAuthorization(const ForgeSettings& f);

}  // namespace gantry::server
