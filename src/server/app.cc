#include "server/app.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "core/files.h"
#include "core/strings.h"
#include "queue/notifier.h"
#include "queue/redis_notifier.h"
#include "server/api.h"
#include "server/auth_api.h"
#include "server/badge_api.h"
#include "server/deliveries.h"
#include "server/deliveries_api.h"
#include "server/delivery_events.h"
#include "server/deployments.h"
#include "server/deployments_api.h"
#include "server/embedded_executor.h"
#include "server/environment_rules.h"
#include "server/executors_api.h"
#include "server/git_mirrors.h"
#include "server/github_api.h"
#include "server/hooks_api.h"
#include "server/job_graph.h"
#include "server/notify.h"
#include "server/projects_api.h"
#include "server/protocol_api.h"
#include "server/redis_rate_limiter.h"
#include "server/reports_api.h"
#include "server/runs_api.h"
#include "server/scheduler.h"
#include "server/web_ui.h"
#include "server/workflows.h"

namespace gantry::server {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// This server's name among replicas: --replica-id, or one made on the first start and kept in
// the data directory, so a restarted replica finds the runs it drove.
core::Result<std::string> ReplicaId(const ServerConfig& config) {
  if (!config.replica_id.empty()) return config.replica_id;
  const std::string path = config.data_dir + "/replica-id";
  std::ifstream in(path);
  std::string kept;
  std::getline(in, kept);
  if (!core::TrimSpace(kept).empty()) return std::string(core::TrimSpace(kept));
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string id = std::string(host) + "-" + crypto::RandomHex(4);
  if (auto s = core::WriteFileAtomically(path, id + "\n"); !s.ok()) return s;
  return id;
}

// The delivery worker's settings; errors name the setting.
core::Result<DeliveryOptions> DeliveryOptionsOf(const ServerConfig& config,
                                                const std::string& replica) {
  DeliveryOptions o;
  o.claimer = replica;
  auto backoff = notify::ParseBackoff(config.delivery_backoff);
  if (!backoff) {
    return core::Status::InvalidArgument("--delivery-backoff '" + config.delivery_backoff +
                                         "': expected delays like 5s,30s,2m,10m (ms, s, m, h)");
  }
  o.backoff_ms = *backoff;
  o.max_attempts = config.delivery_attempts;
  o.timeout_seconds = config.delivery_timeout_seconds;
  o.smtp.url = config.smtp_url;
  if (!o.smtp.url.empty() && o.smtp.url.rfind("smtp://", 0) != 0 &&
      o.smtp.url.rfind("smtps://", 0) != 0) {
    return core::Status::InvalidArgument(
        "--smtp-url must be smtp://host[:port] or "
        "smtps://host[:port]");
  }
  o.smtp.user = config.smtp_user;
  o.smtp.password = config.smtp_password;
  if (!config.smtp_password_file.empty()) {
    std::ifstream in(config.smtp_password_file);
    if (!in) {
      return core::Status::InvalidArgument("--smtp-password-file '" + config.smtp_password_file +
                                           "' cannot be read");
    }
    std::getline(in, o.smtp.password);
  }
  o.smtp.from = config.smtp_from;
  o.smtp.ca_file = config.smtp_ca_file;
  if (config.smtp_starttls == "always") {
    o.smtp.starttls = SmtpSettings::StartTls::kAlways;
  } else if (config.smtp_starttls == "never") {
    o.smtp.starttls = SmtpSettings::StartTls::kNever;
  } else if (config.smtp_starttls != "auto") {
    return core::Status::InvalidArgument("--smtp-starttls must be auto, always or never");
  }
  return o;
}

class App : public ServerApp {
 public:
  ~App() override { Shutdown(); }

  core::Status Init(const ServerConfig& config) {
    config_ = config;
    // Two malloc arenas instead of glibc's 8 per core: each of the server's threads (HTTP
    // workers, job threads) would otherwise keep an arena of its own with freed memory in it;
    // thread caches keep small allocations off the arenas' locks. MALLOC_ARENA_MAX overrides.
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
      return core::Status::InvalidArgument("cannot create --data-dir '" + config.data_dir +
                                           "': " + ec.message());
    }
    if (auto s = crypto::Init(); !s.ok()) return s;
    const std::string key_path =
        config.key_file.empty() ? config.data_dir + "/server.key" : config.key_file;
    const bool key_existed = std::filesystem::exists(key_path, ec);
    auto box = crypto::SecretBox::LoadOrCreate(key_path);
    if (!box.ok())
      return core::Status(box.status().code(), "--key-file: " + box.status().message());
    box_ = std::make_unique<crypto::SecretBox>(std::move(box).value());
    std::optional<queue::RedisUrl> redis;
    if (!config.redis.empty()) {
      auto url = queue::ParseRedisUrl(config.redis);
      if (!url.ok()) return core::Status(url.status().code(), "--redis: " + url.status().message());
      redis = std::move(url).value();
    }
    std::string db =
        config.database.empty() ? "sqlite://" + config.data_dir + "/gantry.db" : config.database;
    auto store = store::OpenStore(db);
    if (!store.ok()) {
      return core::Status(store.status().code(), "--database: " + store.status().message());
    }
    store_ = std::move(store).value();
    // A key made just now cannot open what the database holds (every project's webhook secret
    // is sealed): the old key is missing, e.g. not restored with the database.
    if (!key_existed) {
      auto projects = store_->ListProjects(0, true);
      if (projects.ok() && !projects->empty()) {
        std::filesystem::remove(key_path, ec);
        return core::Status::InvalidArgument(
            "--key-file: " + key_path + " is missing, but the database holds " +
            std::to_string(projects->size()) +
            " project(s) whose secrets are sealed with a server key: restore that key file "
            "(docs/install.md, \"Backups\"); a new key would leave every stored secret "
            "unreadable");
      }
    }
    StartNotifier(redis);
    mirrors_ = std::make_unique<GitMirrors>(config.data_dir + "/git", MakeGitBackend);
    mirrors_->SetOrigins(
        [this](const std::string& owner, const std::string& name) -> core::Result<std::string> {
          auto p = store_->GetProjectByName(owner, name);
          if (!p.ok()) return p.status();
          return p.value().repository;
        });
    RateLimiterOptions per_user;
    per_user.max_attempts = config.login_attempts;
    per_user.window_ms = 300000;
    RateLimiterOptions per_address = per_user;
    per_address.max_attempts = config.login_attempts * 5;
    if (redis) {
      login_by_user_ = std::make_unique<RedisRateLimiter>(*redis, "login-user", per_user);
      login_by_address_ = std::make_unique<RedisRateLimiter>(*redis, "login-address", per_address);
    } else {
      login_by_user_ = std::make_unique<RateLimiter>(per_user);
      login_by_address_ = std::make_unique<RateLimiter>(per_address);
    }
    ctx_.store = store_.get();
    ctx_.box = box_.get();
    ctx_.notifier = notifier_.get();
    ctx_.mirrors = mirrors_.get();
    graphs_ = std::make_unique<JobGraphs>();
    ctx_.graphs = graphs_.get();
    ctx_.login_by_user = login_by_user_.get();
    ctx_.login_by_address = login_by_address_.get();
    ctx_.config.data_dir = config.data_dir;
    ctx_.config.storage_dir = config.storage_dir.empty() ? config.data_dir : config.storage_dir;
    ctx_.config.signup_open = config.signup_open;
    ctx_.now_ms = NowMs;
    SchedulerOptions so;
    so.lease_seconds = config.lease_seconds;
    so.lease_ack_seconds = config.lease_ack_seconds;
    auto replica = ReplicaId(config);
    if (!replica.ok()) return replica.status();
    so.replica_id = replica.value();
    so.owner_seconds = config.replica_claim_seconds;
    auto approval_timeout = ParseDurationSeconds(config.approval_timeout);
    if (!approval_timeout.ok()) {
      return core::Status::InvalidArgument("--approval-timeout: " +
                                           approval_timeout.status().message());
    }
    so.approval_timeout_seconds = approval_timeout.value();
    std::istringstream labels(config.requeue_labels);
    for (std::string label; std::getline(labels, label, ',');) {
      label = std::string(core::TrimSpace(label));
      if (!label.empty()) so.requeue_labels.push_back(label);
    }
    scheduler_ = std::make_unique<Scheduler>(ctx_, so);
    ctx_.scheduler = scheduler_.get();
    auto delivery_options = DeliveryOptionsOf(config, so.replica_id);
    if (!delivery_options.ok()) return delivery_options.status();
    deliveries_ =
        std::make_unique<DeliveryWorker>(ctx_, std::move(delivery_options).value(),
                                         MakeCurlTransport(config.delivery_timeout_seconds));
    enqueuer_ = std::make_unique<DeliveryEnqueuer>(ctx_);
    deployments_ = std::make_unique<DeploymentRecorder>(ctx_);
    observers_ = std::make_unique<ObserverFanOut>(
        std::vector<SchedulerObserver*>{enqueuer_.get(), deployments_.get()});
    scheduler_->SetObserver(observers_.get());
    triggerer_ = std::make_unique<Triggerer>(ctx_);

    AddAuthRoutes(router_, ctx_);
    AddProjectRoutes(router_, ctx_);
    AddHookRoutes(router_, ctx_);
    AddRunRoutes(router_, ctx_);
    AddProtocolRoutes(router_, ctx_);
    AddExecutorRoutes(router_, ctx_);
    AddWorkflowRoutes(router_, ctx_);
    AddGitHubRoutes(router_, ctx_);
    AddBadgeRoutes(router_, ctx_);
    AddReportRoutes(router_, ctx_);
    AddDeliveryRoutes(router_, ctx_);
    AddDeploymentRoutes(router_, ctx_);
    router_.Add("GET", "/health", [](Request&) {
      return Response::Json(200, Dump({{"status", "ok"}, {"version", GANTRY_SERVER_VERSION}}));
    });
    router_.Add("GET", "/ready", [this](Request&) {
      if (auto s = store_->Ping(); !s.ok()) {
        return Response::Error(503, "not_ready", "the database does not answer: " + s.message());
      }
      return Response::Json(200, Dump({{"status", "ready"}, {"database", store_->Dialect()}}));
    });
    router_.Add("GET", "/metrics", [this](Request&) { return Metrics(); });
    StartWebUi(config);
    // --external-url as given (ctx_.config.base_url is only set once the server listens;
    // without one, the request's Host is the only origin).
    router_.SetGuard([external = config.external_url](const Request& request) {
      return CheckOrigin(request, external);
    });

    ServerOptions http;
    http.listen = config.listen;
    http.tls_cert = config.tls_cert;
    http.tls_key = config.tls_key;
    http.max_body_bytes = static_cast<size_t>(config.max_body_bytes);
    http.worker_threads = config.http_workers;
    auto server = HttpServer::Start(http, router_);
    if (!server.ok())
      return core::Status(server.status().code(), "--listen: " + server.status().message());
    http_ = std::move(server).value();
    ctx_.config.base_url = config.external_url.empty() ? http_->url() : config.external_url;
    while (!ctx_.config.base_url.empty() && ctx_.config.base_url.back() == '/') {
      ctx_.config.base_url.pop_back();
    }
    if (auto s = scheduler_->Start(); !s.ok()) return s;
    deliveries_->Start();
    triggerer_->Start();
    if (config.embedded_executor) {
      // Over TLS, the server's certificate may name only its public host, or come from an
      // authority this machine does not trust: the embedded executor talks to its own server
      // on a plain-HTTP listener bound to loopback instead (same routes, same tokens).
      std::string executor_url = http_->url();
      if (!config.tls_cert.empty()) {
        ServerOptions internal = http;
        internal.listen = "127.0.0.1:0";
        internal.tls_cert.clear();
        internal.tls_key.clear();
        internal.worker_threads = 2;
        auto listener = HttpServer::Start(internal, router_);
        if (!listener.ok()) return listener.status();
        internal_http_ = std::move(listener).value();
        executor_url = internal_http_->url();
      }
      auto executor = StartEmbeddedExecutor(ctx_, executor_url, config);
      if (!executor.ok()) return executor.status();
      executor_ = std::move(executor).value();
    }
    // Start-up's garbage (migrations, the route table's construction, the schema read) goes
    // back to the system instead of staying in an idle server's heap.
    malloc_trim(0);
    std::cerr << "gantry server listening on " << http_->url() << std::endl;
    return core::Status::Ok();
  }

  std::string url() const override { return http_ ? http_->url() : ""; }

  void Shutdown() override {
    if (shut_down_) return;
    shut_down_ = true;
    if (executor_) executor_->Stop();
    if (triggerer_) triggerer_->Stop();
    if (deliveries_) deliveries_->Stop();
    if (notifier_) notifier_->Shutdown();
    if (http_) http_->Shutdown(std::chrono::seconds(5));
    if (internal_http_) internal_http_->Shutdown(std::chrono::seconds(5));
    if (scheduler_) scheduler_->Stop();
    executor_.reset();
  }

 private:
  // Wake-ups: through Redis when configured; else, on PostgreSQL, other replicas may share the
  // database unheard, so waits poll it; a SQLite server is alone.
  void StartNotifier(const std::optional<queue::RedisUrl>& redis) {
    if (redis) {
      auto notifier = std::make_unique<queue::RedisNotifier>(*redis);
      // A moment for the first connection so that a working Redis is in use from the first
      // request; an unreachable one is not an error (the notifier polls and reconnects).
      (void)notifier->WaitFirstAttempt(std::chrono::seconds(2));
      notifier_ = std::move(notifier);
    } else if (store_->Dialect() == "postgres") {
      notifier_ = std::make_unique<queue::PollingNotifier>();
    } else {
      notifier_ = std::make_unique<queue::MemoryNotifier>();
    }
  }

  // The browser UI on the same port: GET and HEAD requests no route answers.
  void StartWebUi(const ServerConfig& config) {
    std::vector<std::string> candidates;
    if (!config.web_dir.empty()) {
      candidates.push_back(config.web_dir);
    } else {
      candidates = {GANTRY_WEB_SOURCE_DIR, GANTRY_WEB_INSTALL_DIR};
    }
    std::string dir = WebUi::FindDir(candidates);
    if (dir.empty()) {
      std::string looked;
      for (const std::string& c : candidates) looked += (looked.empty() ? "" : ", ") + c;
      std::cerr << "gantry server: the web UI is not built (no index.html in " << looked
                << "): run 'make web' or set --web-dir; / explains this meanwhile" << std::endl;
    } else {
      std::cerr << "gantry server: serving the web UI from " << dir << std::endl;
    }
    web_ui_ = std::make_unique<WebUi>(dir);
    router_.SetFallback([this](Request& request) { return web_ui_->Serve(request); });
  }

  Response Metrics() {
    std::string text = http_->MetricsText();
    auto queued = store_->ListQueuedJobs(100000);
    text += "# HELP gantry_queue_depth Jobs queued and not yet leased.\n";
    text += "# TYPE gantry_queue_depth gauge\n";
    text += "gantry_queue_depth " + std::to_string(queued.ok() ? queued.value().size() : 0) + "\n";
    text += "# HELP gantry_active_runs Runs the scheduler drives now.\n";
    text += "# TYPE gantry_active_runs gauge\n";
    text += "gantry_active_runs " + std::to_string(scheduler_->active_runs()) + "\n";
    text += scheduler_->MetricsText();
    text += "# HELP gantry_log_bytes_total Bytes of job logs stored.\n";
    text += "# TYPE gantry_log_bytes_total counter\n";
    text += "gantry_log_bytes_total " + std::to_string(LogBytesReceived()) + "\n";
    if (!config_.redis.empty()) {
      text +=
          "# HELP gantry_redis_connected 1 while wake-ups go through Redis, 0 while this "
          "server polls the database because Redis is unreachable.\n";
      text += "# TYPE gantry_redis_connected gauge\n";
      text += std::string("gantry_redis_connected ") + (notifier_->connected() ? "1" : "0") + "\n";
    }
    return Response::Text(200, std::move(text));
  }

  ServerConfig config_;
  ApiContext ctx_;
  std::unique_ptr<crypto::SecretBox> box_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<queue::Notifier> notifier_;
  std::unique_ptr<GitMirrors> mirrors_;
  std::unique_ptr<JobGraphs> graphs_;
  std::unique_ptr<AttemptLimiter> login_by_user_, login_by_address_;
  std::unique_ptr<DeliveryEnqueuer> enqueuer_;       // the scheduler's observers, in order
  std::unique_ptr<DeploymentRecorder> deployments_;  // (through observers_)
  std::unique_ptr<ObserverFanOut> observers_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<DeliveryWorker> deliveries_;
  std::unique_ptr<Triggerer> triggerer_;
  std::unique_ptr<WebUi> web_ui_;
  Router router_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpServer>
      internal_http_;  // loopback, plain HTTP: the embedded executor over TLS
  std::unique_ptr<EmbeddedExecutor> executor_;
  bool shut_down_ = false;
};

}  // namespace

core::Result<std::unique_ptr<ServerApp>> ServerApp::Start(const ServerConfig& config) {
  auto app = std::make_unique<App>();
  if (auto s = app->Init(config); !s.ok()) return s;
  return std::unique_ptr<ServerApp>(std::move(app));
}

}  // namespace gantry::server
