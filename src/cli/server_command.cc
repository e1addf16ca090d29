#include "cli/server_command.h"

#include <signal.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "backend/docker/http.h"
#include "server/crypto.h"
#include "store/store.h"

namespace gantry::cli {
namespace {

std::string DefaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/gantry";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/gantry";
}

// Every setting: the flag name (without --), its GANTRY_* variable and its help line.
struct Setting {
  const char* flag;
  const char* env;
  const char* help;
};

constexpr Setting kSettings[] = {
    {"listen", "GANTRY_LISTEN",
     "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one)"},
    {"data-dir", "GANTRY_DATA_DIR",
     "where the database, mirrors, logs, artifacts and the server key live (default "
     "~/.local/share/gantry)"},
    {"database", "GANTRY_DATABASE",
     "sqlite:///path.db (default: gantry.db in --data-dir) or postgres://user:pass@host:port/db"},
    {"redis", "GANTRY_REDIS_URL",
     "redis://[:password@]host:port[/db]: wake-ups and login rate limits shared by several "
     "servers on one PostgreSQL (optional; losing Redis loses nothing, the servers poll the "
     "database meanwhile)"},
    {"external-url", "GANTRY_EXTERNAL_URL",
     "the URL users and webhooks reach the server at (default: the listening URL)"},
    {"signup", "GANTRY_SIGNUP",
     "open (default) or closed: whether anyone may sign up (the first user, the admin, always "
     "may)"},
    {"tls-cert", "GANTRY_TLS_CERT", "PEM certificate (chain): serve HTTPS"},
    {"tls-key", "GANTRY_TLS_KEY", "PEM private key of --tls-cert"},
    {"embedded-executor", "GANTRY_EMBEDDED_EXECUTOR",
     "true (default): run jobs in this process; false: only on registered executors"},
    {"executor-capacity", "GANTRY_EXECUTOR_CAPACITY",
     "jobs the embedded executor runs at once (default: the number of CPUs)"},
    {"executor-work-dir", "GANTRY_EXECUTOR_WORK_DIR",
     "where the embedded executor's jobs get their workspaces (default DATA/work)"},
    {"lease-seconds", "GANTRY_LEASE_SECONDS",
     "a job whose executor sends no heartbeat for this long fails (default 60)"},
    {"lease-ack-seconds", "GANTRY_LEASE_ACK_SECONDS",
     "a job whose executor never acknowledges its lease within this long is queued again "
     "(default 15)"},
    {"replica-id", "GANTRY_REPLICA_ID",
     "this server's name among replicas sharing one database (default: made once and kept in "
     "DATA/replica-id)"},
    {"replica-claim-seconds", "GANTRY_REPLICA_CLAIM_SECONDS",
     "a replica renews its claim on the runs it drives every third of this; runs of a replica "
     "silent this long are taken over by another (default 15)"},
    {"key-file", "GANTRY_KEY_FILE",
     "the key that encrypts secrets (default DATA/server.key; replicas must share one)"},
    {"storage-dir", "GANTRY_STORAGE_DIR",
     "where artifacts and caches are stored (default DATA; replicas must share one)"},
    {"requeue-labels", "GANTRY_REQUEUE_LABELS",
     "comma-separated runs-on labels (e.g. spot) whose jobs are queued again, up to twice, when "
     "their executor is lost, instead of failing"},
    {"approval-timeout", "GANTRY_APPROVAL_TIMEOUT",
     "a job waiting this long for its environment's reviewers is rejected (default 30d; "
     "90s, 15m, 12h, 30d; 0 = never)"},
    {"max-body", "GANTRY_MAX_BODY", "largest request body in bytes (default 268435456)"},
    {"http-workers", "GANTRY_HTTP_WORKERS", "threads that serve requests (default 16)"},
    {"login-attempts", "GANTRY_LOGIN_ATTEMPTS",
     "failed logins allowed per account per 5 minutes (an address gets 5 times as many; default "
     "10)"},
    {"web-dir", "GANTRY_WEB_DIR",
     "the built web UI served at / (default: the source tree's web/dist, then "
     "PREFIX/share/gantry/web; make web builds it)"},
    {"smtp-url", "GANTRY_SMTP_URL",
     "smtp://host[:port] or smtps://host[:port]: the relay that sends e-mail notifications "
     "(default: none, e-mail deliveries fail)"},
    {"smtp-user", "GANTRY_SMTP_USER", "user name for SMTP AUTH (default: no AUTH)"},
    {"smtp-password", "GANTRY_SMTP_PASSWORD", "password for SMTP AUTH"},
    {"smtp-password-file", "GANTRY_SMTP_PASSWORD_FILE",
     "a file whose first line is the SMTP password (wins over --smtp-password)"},
    {"smtp-from", "GANTRY_SMTP_FROM",
     "the From address of e-mail notifications, e.g. 'Gantry <ci@example.org>'"},
    {"smtp-ca-file", "GANTRY_SMTP_CA_FILE",
     "PEM file of the authorities the SMTP relay's certificate must chain to (default: the "
     "system's)"},
    {"smtp-starttls", "GANTRY_SMTP_STARTTLS",
     "auto (default: STARTTLS when the server offers it), always (refuse without it) or never"},
    {"delivery-backoff", "GANTRY_DELIVERY_BACKOFF",
     "delays between attempts of a failed delivery, the last repeating (default "
     "5s,30s,2m,10m,30m,1h)"},
    {"delivery-attempts", "GANTRY_DELIVERY_ATTEMPTS",
     "attempts of a delivery before it is failed for good (default 8)"},
    {"delivery-timeout", "GANTRY_DELIVERY_TIMEOUT",
     "seconds one attempt of a delivery may take (default 15)"},
};

volatile sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }

}  // namespace

void ServerCommands::Register(CLI::App& app) {
  server_ = app.add_subcommand(
      "server",
      "Run the Gantry server: API, webhooks, scheduler, live logs, and an embedded executor.\n"
      "Example: gantry server --data-dir /var/lib/gantry --listen 0.0.0.0:8080\n"
      "Every setting is a flag, a GANTRY_* environment variable, or a key of --config (a YAML "
      "file of flag: value); flags win over the environment, which wins over the file. See "
      "docs/server.md.");
  server_->add_option("--config", config_file_, "YAML file of settings (keys are the flag names)")
      ->envname("GANTRY_CONFIG");
  auto opt = [&](const char* flag, auto& target) {
    const Setting* s = nullptr;
    for (const Setting& x : kSettings) {
      if (std::string(x.flag) == flag) s = &x;
    }
    return server_->add_option(std::string("--") + flag, target, s->help)->envname(s->env);
  };
  opt("listen", config_.listen);
  opt("data-dir", config_.data_dir);
  opt("database", config_.database);
  opt("redis", config_.redis);
  opt("external-url", config_.external_url);
  opt("signup", signup_)->check(CLI::IsMember({"open", "closed"}));
  opt("tls-cert", config_.tls_cert);
  opt("tls-key", config_.tls_key);
  opt("embedded-executor", embedded_)->check(CLI::IsMember({"true", "false"}));
  opt("executor-capacity", config_.executor_capacity)->check(CLI::NonNegativeNumber);
  opt("executor-work-dir", config_.executor_work_dir);
  opt("lease-seconds", config_.lease_seconds)->check(CLI::Range(5, 3600));
  opt("lease-ack-seconds", config_.lease_ack_seconds)->check(CLI::Range(1, 3600));
  opt("replica-id", config_.replica_id);
  opt("replica-claim-seconds", config_.replica_claim_seconds)->check(CLI::Range(3, 3600));
  opt("key-file", config_.key_file);
  opt("storage-dir", config_.storage_dir);
  opt("requeue-labels", config_.requeue_labels);
  opt("approval-timeout", config_.approval_timeout);
  opt("max-body", config_.max_body_bytes)->check(CLI::Range(int64_t{1024}, int64_t{1} << 40));
  opt("http-workers", config_.http_workers)->check(CLI::Range(2, 1024));
  opt("login-attempts", config_.login_attempts)->check(CLI::Range(1, 100000));
  opt("web-dir", config_.web_dir);
  opt("smtp-url", config_.smtp_url);
  opt("smtp-user", config_.smtp_user);
  opt("smtp-password", config_.smtp_password);
  opt("smtp-password-file", config_.smtp_password_file);
  opt("smtp-from", config_.smtp_from);
  opt("smtp-ca-file", config_.smtp_ca_file);
  opt("smtp-starttls", config_.smtp_starttls)->check(CLI::IsMember({"auto", "always", "never"}));
  opt("delivery-backoff", config_.delivery_backoff);
  opt("delivery-attempts", config_.delivery_attempts)->check(CLI::Range(1, 100));
  opt("delivery-timeout", config_.delivery_timeout_seconds)->check(CLI::Range(1, 600));

  migrate_ = app.add_subcommand(
      "migrate",
      "Apply the database migrations (the server also applies them when it starts) and print "
      "the schema version.\nExample: gantry migrate --database postgres://gantry@db/gantry");
  migrate_
      ->add_option("--database", migrate_db_,
                   "sqlite:///path.db or postgres://… (default: gantry.db in the default "
                   "data directory)")
      ->envname("GANTRY_DATABASE");

  hook_ = app.add_subcommand(
      "hook",
      "Git hooks for plain git servers.\nExample, in the bare repository's hooks/post-receive:\n"
      "  exec gantry hook post-receive https://ci.example.org/api/v1/hooks/alice/shop \"$SECRET\"");
  CLI::App* post = hook_->add_subcommand(
      "post-receive",
      "Read git's post-receive lines (OLD NEW REF) on stdin and deliver a signed GitHub-style "
      "push webhook for each");
  post->add_option("URL", hook_url_, "the project's webhook_url")->required();
  post->add_option("SECRET", hook_secret_, "the project's webhook_secret")->required();
  hook_->require_subcommand(1);
}

bool ServerCommands::Parsed() const {
  return (server_ != nullptr && server_->parsed()) || (migrate_ != nullptr && migrate_->parsed()) ||
         (hook_ != nullptr && hook_->parsed());
}

int ServerCommands::Run() {
  if (server_->parsed()) return RunServer();
  if (migrate_->parsed()) return RunMigrate();
  return RunHook();
}

int ServerCommands::RunServer() {
  // The config file fills what neither a flag nor the environment set.
  if (!config_file_.empty()) {
    YAML::Node file;
    try {
      file = YAML::LoadFile(config_file_);
    } catch (const YAML::Exception& e) {
      std::cerr << "gantry server: --config " << config_file_ << ": " << e.what() << "\n";
      return 2;
    }
    // An empty (or all-comments) file sets nothing.
    if (!file.IsNull() && !file.IsMap()) {
      std::cerr << "gantry server: --config " << config_file_
                << ": expected a mapping of settings\n";
      return 2;
    }
    std::set<std::string> seen;
    for (const auto& entry : file) {
      std::string key = entry.first.as<std::string>();
      if (!seen.insert(key).second) {
        std::cerr << "gantry server: --config " << config_file_ << ":"
                  << entry.first.Mark().line + 1 << ": '" << key << "' is set twice\n";
        return 2;
      }
      CLI::Option* o = nullptr;
      for (const Setting& s : kSettings) {
        if (key == s.flag) o = server_->get_option(std::string("--") + s.flag);
      }
      if (o == nullptr) {
        std::cerr << "gantry server: --config " << config_file_ << ":"
                  << entry.first.Mark().line + 1 << ": unknown setting '" << key << "'\n";
        return 2;
      }
      // The environment wins when it sets a value (an empty variable sets none, as for the
      // flags), and an empty value in the file (`key:`) leaves the default.
      const char* env = std::getenv(o->get_envname().c_str());
      if (o->count() > 0 || (env != nullptr && *env != '\0') || entry.second.IsNull()) continue;
      if (!entry.second.IsScalar()) {
        std::cerr << "gantry server: --config " << config_file_ << ":"
                  << entry.second.Mark().line + 1 << ": " << key
                  << ": expected a single value (a string, number or boolean)\n";
        return 2;
      }
      try {
        o->add_result(entry.second.as<std::string>());
        o->run_callback();
      } catch (const std::exception& e) {
        std::cerr << "gantry server: --config " << config_file_ << ":"
                  << entry.second.Mark().line + 1 << ": " << key << ": " << e.what() << "\n";
        return 2;
      }
    }
  }
  if (config_.data_dir.empty()) config_.data_dir = DefaultDataDir();
  config_.signup_open = signup_ == "open";
  config_.embedded_executor = embedded_ == "true";
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  auto app = server::ServerApp::Start(config_);
  if (!app.ok()) {
    std::cerr << "gantry server: " << app.status().message() << "\n";
    return 1;
  }
  while (g_signal == 0) ::pause();
  std::cerr << "gantry server: shutting down\n";
  app.value()->Shutdown();
  return 0;
}

int ServerCommands::RunMigrate() {
  std::string db =
      migrate_db_.empty() ? "sqlite://" + DefaultDataDir() + "/gantry.db" : migrate_db_;
  auto r = store::Migrate(db);
  if (!r.ok()) {
    std::cerr << "gantry migrate: " << r.status().message() << "\n";
    return 1;
  }
  std::cout << "schema version " << r.value().first << " -> " << r.value().second << "\n";
  return 0;
}

int ServerCommands::RunHook() {
  if (auto s = server::crypto::Init(); !s.ok()) {
    std::cerr << "gantry hook: " << s.message() << "\n";
    return 1;
  }
  int failures = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string before, after, ref;
    if (!(in >> before >> after >> ref)) continue;
    nlohmann::json payload = {
        {"ref", ref},
        {"before", before},
        {"after", after},
        {"pusher", {{"name", std::getenv("USER") ? std::getenv("USER") : "git"}}}};
    std::string body = payload.dump();
    std::string signature = "sha256=" + server::crypto::HmacSha256Hex(hook_secret_, body);
    std::string delivery = server::crypto::RandomHex(16);
    std::string answer;
    auto client = backend::docker::HttpClient::ForBaseUrl(hook_url_);
    auto r = client.Stream("POST", "", body, "application/json",
                           [&answer](std::string_view data) { answer.append(data); }, {},
                           {"X-GitHub-Event: push", "X-GitHub-Delivery: " + delivery,
                            "X-Hub-Signature-256: " + signature});
    if (!r.ok()) {
      std::cerr << "gantry hook: " << ref << ": " << r.status().message() << "\n";
      ++failures;
    } else if (!r.value().ok()) {
      std::cerr << "gantry hook: " << ref << ": HTTP " << r.value().status << ": " << r.value().body
                << "\n";
      ++failures;
    } else {
      std::cerr << "gantry: " << ref << ": " << answer << "\n";
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace gantry::cli
