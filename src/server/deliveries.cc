#include "server/deliveries.h"

#include <iostream>

#include "queue/notifier.h"
#include "server/notify.h"

namespace gantry::server {
namespace {

using json = nlohmann::json;

// Never lets a credential reach last_error or the log, whatever a server echoed back.
std::string Scrub(std::string text, const std::string& secret) {
  if (secret.size() < 4) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

// An HTTP answer as a delivery outcome: 2xx delivered; 408, 429 and 5xx worth retrying; other
// 4xx (bad token, unknown repository) are not.
core::Status Judge(const core::Result<OutboundResponse>& r, bool* permanent) {
  if (!r.ok()) return r.status();
  if (r->status >= 200 && r->status < 300) return core::Status::Ok();
  *permanent = r->status >= 400 && r->status < 500 && r->status != 408 && r->status != 429;
  std::string body = r->body.substr(0, 300);
  return core::Status::Unavailable("HTTP " + std::to_string(r->status) +
                                   (body.empty() ? "" : ": " + body));
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string HexOf(const std::vector<uint8_t>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::vector<uint8_t> BytesOfHex(const std::string& hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = digit(hex[i]);
    int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

core::Result<ForgeSettings> LoadForgeSettings(ApiContext& ctx, store::Id project_id) {
  auto sealed = ctx.store->GetDeliverySetting("forge", project_id);
  if (!sealed.ok()) return sealed.status();
  auto text = ctx.box->Open(sealed.value());
  if (!text.ok()) return core::Status::Internal("the forge settings do not decrypt");
  json j = json::parse(text.value(), nullptr, false);
  if (!j.is_object()) return core::Status::Internal("the forge settings are not JSON");
  ForgeSettings f;
  f.kind = j.value("kind", "");
  f.base_url = j.value("base_url", "");
  f.token = j.value("token", "");
  f.repository = j.value("repository", "");
  f.statuses = j.value("statuses", true);
  f.comments = j.value("comments", false);
  return f;
}

core::Status SaveForgeSettings(ApiContext& ctx, store::Id project_id, const ForgeSettings& f) {
  json j = {{"kind", f.kind},         {"base_url", f.base_url},
            {"token", f.token},       {"repository", f.repository},
            {"statuses", f.statuses}, {"comments", f.comments}};
  return ctx.store->PutDeliverySetting("forge", project_id, ctx.box->Seal(j.dump()), ctx.now_ms());
}

std::string ForgeAuthorization(const ForgeSettings& f) {
  return f.kind == "github" ? "Authorization: Bearer " + f.token
                            : "Authorization: token " + f.token;
}

DeliveryWorker::DeliveryWorker(ApiContext& ctx, DeliveryOptions options,
                               std::unique_ptr<DeliveryTransport> transport)
    : ctx_(ctx), options_(std::move(options)), transport_(std::move(transport)) {}

DeliveryWorker::~DeliveryWorker() { Stop(); }

void DeliveryWorker::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void DeliveryWorker::Stop() {
  stop_.Cancel();
  ctx_.notifier->Publish(kDeliveriesTopic);
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::Loop() {
  uint64_t seen = ctx_.notifier->Version(kDeliveriesTopic);
  while (!stop_.cancelled()) {
    // Keep going while there is work; otherwise wait for an enqueue (or a second, for rows
    // another replica enqueued or a retry falling due).
    if (RunOnce() > 0) continue;
    seen = ctx_.notifier->Wait(kDeliveriesTopic, seen, std::chrono::milliseconds(500));
  }
}

int DeliveryWorker::RunOnce() {
  const int64_t now = ctx_.now_ms();
  auto claimed = ctx_.store->ClaimDeliveries(options_.claimer, now,
                                             now + int64_t{options_.claim_seconds} * 1000, 16);
  if (!claimed.ok()) {
    std::cerr << "gantry server: deliveries: " << claimed.status().message() << "\n";
    return 0;
  }
  for (store::OutboundDelivery d : claimed.value()) {
    if (stop_.cancelled()) break;  // the claim expires and another start sends it
    bool permanent = false;
    core::Status sent = Send(d, &permanent);
    d.attempts += 1;
    if (sent.ok()) {
      d.state = "delivered";
      d.last_error.clear();
      d.delivered_at = ctx_.now_ms();
    } else {
      d.last_error = sent.message().substr(0, 1000);
      if (permanent || d.attempts >= options_.max_attempts) {
        d.state = "failed";
      } else {
        d.next_attempt_at = ctx_.now_ms() + notify::BackoffDelayMs(options_.backoff_ms, d.attempts);
      }
    }
    if (auto s = ctx_.store->FinishDelivery(d, options_.claimer); !s.ok()) {
      std::cerr << "gantry server: delivery " << d.id << ": " << s.message() << "\n";
    }
  }
  return static_cast<int>(claimed.value().size());
}

core::Status DeliveryWorker::Send(const store::OutboundDelivery& d, bool* permanent) {
  if (d.kind == "commit_status") return SendCommitStatus(d, permanent);
  if (d.kind == "pr_comment") return SendPrComment(d, permanent);
  if (d.kind == "email") return SendEmail(d, permanent);
  if (d.kind == "webhook" || d.kind == "slack") return SendWebhook(d, permanent);
  *permanent = true;
  return core::Status::InvalidArgument("unknown delivery kind '" + d.kind + "'");
}

core::Status DeliveryWorker::SendCommitStatus(const store::OutboundDelivery& d, bool* permanent) {
  auto forge = LoadForgeSettings(ctx_, d.project_id);
  if (!forge.ok()) {
    *permanent = true;
    return core::Status::NotFound("the project has no forge settings any more");
  }
  json p = json::parse(d.payload, nullptr, false);
  OutboundRequest req;
  req.method = "POST";
  req.url = TrimSlash(forge->base_url) + "/repos/" + p.value("repository", "") + "/statuses/" +
            p.value("sha", "");
  req.headers = {ForgeAuthorization(*forge)};
  req.body = json{{"state", p.value("state", "")},
                  {"target_url", p.value("target_url", "")},
                  {"description", p.value("description", "")},
                  {"context", p.value("context", "")}}
                 .dump();
  core::Status s = Judge(transport_->Http(req), permanent);
  return s.ok() ? s : core::Status(s.code(), Scrub(s.message(), forge->token));
}

core::Status DeliveryWorker::SendPrComment(const store::OutboundDelivery& d, bool* permanent) {
  auto forge = LoadForgeSettings(ctx_, d.project_id);
  if (!forge.ok()) {
    *permanent = true;
    return core::Status::NotFound("the project has no forge settings any more");
  }
  json p = json::parse(d.payload, nullptr, false);
  const std::string repo = p.value("repository", "");
  const int64_t number = p.value("number", int64_t{0});
  const std::string scope = "pr_comment:" + repo + "#" + std::to_string(number);
  const std::string base = TrimSlash(forge->base_url) + "/repos/" + repo + "/issues/";
  OutboundRequest req;
  req.headers = {ForgeAuthorization(*forge)};
  req.body = json{{"body", p.value("body", "")}}.dump();
  // The comment posted before for this pull request is updated; a new one is posted when
  // there is none or it was deleted meanwhile.
  auto remembered = ctx_.store->GetDeliverySetting(scope, d.project_id);
  if (remembered.ok()) {
    req.method = "PATCH";
    req.url =
        base + "comments/" + std::string(remembered.value().begin(), remembered.value().end());
    auto r = transport_->Http(req);
    if (!r.ok() || r->status != 404) {
      core::Status s = Judge(r, permanent);
      return s.ok() ? s : core::Status(s.code(), Scrub(s.message(), forge->token));
    }
  }
  req.method = "POST";
  req.url = base + std::to_string(number) + "/comments";
  auto r = transport_->Http(req);
  core::Status s = Judge(r, permanent);
  if (!s.ok()) return core::Status(s.code(), Scrub(s.message(), forge->token));
  json answer = json::parse(r->body, nullptr, false);
  if (answer.is_object() && answer.contains("id") && answer["id"].is_number_integer()) {
    std::string id = std::to_string(answer["id"].get<int64_t>());
    (void)ctx_.store->PutDeliverySetting(scope, d.project_id,
                                         std::vector<uint8_t>(id.begin(), id.end()), ctx_.now_ms());
  }
  return core::Status::Ok();
}

core::Status DeliveryWorker::SendEmail(const store::OutboundDelivery& d, bool* permanent) {
  if (options_.smtp.url.empty()) {
    if (!warned_smtp_) {
      warned_smtp_ = true;
      std::cerr << "gantry server: warning: an e-mail notification cannot be sent: no SMTP "
                   "server is configured (--smtp-url)\n";
    }
    *permanent = true;
    return core::Status::Unavailable(
        "no SMTP server is configured: set --smtp-url (GANTRY_SMTP_URL) and --smtp-from");
  }
  json p = json::parse(d.payload, nullptr, false);
  std::vector<std::string> to = p.value("to", std::vector<std::string>{});
  std::string from = options_.smtp.from.empty() ? "gantry@localhost" : options_.smtp.from;
  std::string message =
      notify::EmailMessage(from, to, p.value("subject", ""), p.value("body", ""), ctx_.now_ms(),
                           "gantry." + std::to_string(d.id) + "." + std::to_string(d.created_at));
  core::Status s = transport_->Mail(options_.smtp, to, message);
  if (s.ok()) return s;
  return core::Status(s.code(), Scrub(s.message(), options_.smtp.password));
}

core::Status DeliveryWorker::SendWebhook(const store::OutboundDelivery& d, bool* permanent) {
  json p = json::parse(d.payload, nullptr, false);
  OutboundRequest req;
  req.method = "POST";
  req.url = p.value("url", "");
  req.body = p.value("body", "");
  std::string secret;
  if (std::string sealed = p.value("secret_sealed", ""); !sealed.empty()) {
    auto opened = ctx_.box->Open(BytesOfHex(sealed));
    if (!opened.ok()) {
      *permanent = true;
      return core::Status::Internal("the webhook's secret does not decrypt");
    }
    secret = std::move(opened).value();
    req.headers.emplace_back("X-Gantry-Signature-256: sha256=" +
                             crypto::HmacSha256Hex(secret, req.body));
  }
  req.headers.emplace_back("X-Gantry-Event: run.completed");
  req.headers.emplace_back("X-Gantry-Delivery: " + std::to_string(d.id));
  core::Status s = Judge(transport_->Http(req), permanent);
  return s.ok() ? s : core::Status(s.code(), Scrub(s.message(), secret));
}

}  // namespace gantry::server
