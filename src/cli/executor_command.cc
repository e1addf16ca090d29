#include "cli/executor_command.h"

#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "cli/executor_signals.h"
#include "executor/client.h"

namespace gantry::cli {
namespace {

using core::Status;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The URL without trailing slashes: the transports append /api/v1/... to it.
std::string BaseUrl(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

void WarnIfOthersMayRead(const std::string& path, std::ostream& err) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    err << "gantry executor: warning: " << path
        << " holds the executor token but others may read it; chmod 600 " << path << "\n";
  }
}

}  // namespace

int RunExecutorRegister(const ExecutorRegisterOptions& options, executor::Transport& transport,
                        const std::string& version, std::ostream& out, std::ostream& err) {
  const std::string path = options.config.empty() ? DefaultExecutorConfigPath() : options.config;
  std::error_code ec;
  if (!options.replace && std::filesystem::exists(path, ec)) {
    err << "gantry executor register: " << path
        << " exists already: this machine is registered. Pass --replace to register anew "
           "and overwrite it, or --config FILE to register another executor\n";
    return 2;
  }
  executor::RegisterRequest request;
  request.registration_token = options.token;
  request.name = options.name.empty() ? HostName() : options.name;
  request.labels = ExecutorLabels(HostArchitectureLabel(), options.labels);
  request.version = version;
  request.capacity = options.capacity;
  executor::RetryPolicy retry;  // a person waits: a few attempts, not minutes of them
  retry.max_attempts = 3;
  executor::ProtocolClient client(transport, "", retry);
  auto registration = client.Register(request);
  if (!registration.ok()) {
    err << "gantry executor register: " << registration.status().message() << "\n";
    if (registration.status().code() == core::StatusCode::kPermissionDenied) {
      err << "A registration token is used once and expires; an admin creates a new one with "
             "POST /api/v1/executors/registration-tokens (docs/executors.md)\n";
    }
    return 1;
  }
  ExecutorConfig config;
  config.url = BaseUrl(options.url);
  config.name = request.name;
  config.token = registration->token;
  config.labels = request.labels;
  config.capacity = request.capacity;
  if (Status st = WriteExecutorConfig(path, config); !st.ok()) {
    err << "gantry executor register: registered as executor " << registration->id
        << ", but the configuration was not written: " << st.message()
        << "\nThe registration token is used now: remove executor " << registration->id
        << " on the server, create a new registration token and register again\n";
    return 1;
  }
  out << "Registered executor '" << config.name << "' (id " << registration->id << ") with "
      << config.url << "\n"
      << "  labels:   " << Join(config.labels) << "\n"
      << "  capacity: " << config.capacity << "\n"
      << "  config:   " << path << " (mode 0600: it holds the executor token)\n"
      << "Start it with: gantry executor run" << (options.config.empty() ? "" : " --config " + path)
      << "\n";
  return 0;
}

core::Result<executor::AgentOptions> ExecutorAgentOptions(const ExecutorConfig& config,
                                                          const ExecutorRunOptions& options) {
  executor::AgentOptions agent;
  agent.server_url = BaseUrl(config.url);
  agent.token = config.token;
  agent.labels = config.labels;
  agent.capacity = options.capacity > 0 ? options.capacity : config.capacity;
  agent.work_dir = options.work_dir.empty() ? DefaultExecutorWorkDir() : options.work_dir;
  agent.keep_failed = options.keep_failed;
  agent.verbose = options.verbose;
  if (options.backend == "host") {
    agent.backend = executor::BackendKind::kHost;
  } else if (options.backend == "sandbox") {
    agent.backend = executor::BackendKind::kSandbox;
  } else if (options.backend == "docker") {
    agent.backend = executor::BackendKind::kDocker;
  } else {
    return Status::InvalidArgument("--backend " + options.backend +
                                   ": expected host, sandbox or docker");
  }
  if (!options.docker_image.empty()) {
    if (agent.backend != executor::BackendKind::kDocker) {
      return Status::InvalidArgument("--docker-image " + options.docker_image +
                                     ": the image is for --backend docker, not " + options.backend);
    }
    agent.default_container_image = options.docker_image;
  }
  return agent;
}

void ExecutorCommands::Register(CLI::App& app) {
  executor_ = app.add_subcommand(
      "executor",
      "Run jobs of a Gantry server on this machine (a self-hosted runner).\n"
      "First register it once with a registration token an admin created, then run it:\n"
      "  gantry executor register --url https://ci.example.org --token TOKEN --labels gpu\n"
      "  gantry executor run\n"
      "See docs/executors.md.");
  executor_->require_subcommand(1);

  ExecutorRegisterOptions& r = register_options_;
  register_ = executor_->add_subcommand(
      "register",
      "Register this machine with a Gantry server and write the configuration file that "
      "`gantry executor run` reads (mode 0600: it holds the executor token).\n"
      "Example: gantry executor register --url https://ci.example.org --token TOKEN");
  register_->add_option("--url", r.url, "the server's URL, e.g. https://ci.example.org")
      ->envname("GANTRY_EXECUTOR_URL")
      ->required();
  register_
      ->add_option("--token", r.token,
                   "the one-time registration token an admin created (POST "
                   "/api/v1/executors/registration-tokens)")
      ->envname("GANTRY_EXECUTOR_REGISTRATION_TOKEN")
      ->required();
  register_
      ->add_option("--name", r.name,
                   "the executor's name in the server's list (default: this host's name)")
      ->envname("GANTRY_EXECUTOR_NAME");
  register_
      ->add_option("--labels", r.labels,
                   "extra labels jobs can ask for in `runs-on`, comma-separated (self-hosted, "
                   "linux and the architecture, e.g. x64, are always there)")
      ->envname("GANTRY_EXECUTOR_LABELS")
      ->delimiter(',')
      ->allow_extra_args(false);
  register_->add_option("--capacity", r.capacity, "jobs it runs at once (default 1)")
      ->envname("GANTRY_EXECUTOR_CAPACITY")
      ->check(CLI::PositiveNumber);
  register_
      ->add_option("--config", r.config,
                   "where to write the configuration (default: "
                   "$XDG_CONFIG_HOME/gantry/executor.yml, ~/.config/gantry/executor.yml)")
      ->envname("GANTRY_EXECUTOR_CONFIG");
  register_->add_flag("--replace", r.replace,
                      "overwrite an existing configuration file (its registration is then "
                      "unused: remove it on the server)");

  ExecutorRunOptions& o = run_options_;
  run_ = executor_->add_subcommand(
      "run",
      "Take jobs from the server this machine was registered with and run them, until "
      "SIGTERM or Ctrl-C: the first one drains (no new jobs; the running ones finish, up to "
      "--drain-timeout), a second one cancels the running jobs (their always() steps still "
      "run).\nExample: gantry executor run --capacity 4");
  run_->add_option("--config", o.config,
                   "the file `gantry executor register` wrote (default: "
                   "$XDG_CONFIG_HOME/gantry/executor.yml, ~/.config/gantry/executor.yml)")
      ->envname("GANTRY_EXECUTOR_CONFIG");
  run_->add_option("--capacity", o.capacity,
                   "jobs it runs at once (default: the capacity given at registration)")
      ->envname("GANTRY_EXECUTOR_CAPACITY")
      ->check(CLI::PositiveNumber);
  run_->add_option("--work-dir", o.work_dir,
                   "where jobs get their workspaces, and remote actions and caches are kept "
                   "(default: $XDG_DATA_HOME/gantry/executor, ~/.local/share/gantry/executor)")
      ->envname("GANTRY_EXECUTOR_WORK_DIR");
  run_->add_option("--backend", o.backend,
                   "where steps run: host (default: as this user, on this machine), sandbox "
                   "(under bubblewrap: the file system read-only except the work dir) or docker "
                   "(every job in a container: its own `container:`, else --docker-image; "
                   "needs a Docker engine, DOCKER_HOST)")
      ->envname("GANTRY_EXECUTOR_BACKEND");
  run_->add_option("--docker-image", o.docker_image,
                   "with --backend docker: the image jobs without `container:` run in (default "
                   "debian:bookworm)")
      ->envname("GANTRY_EXECUTOR_DOCKER_IMAGE");
  run_->add_flag("--keep-failed", o.keep_failed,
                 "keep the workspace of a job that failed, for a look at it (default: removed)")
      ->envname("GANTRY_EXECUTOR_KEEP_FAILED");
  run_->add_option("--drain-timeout", o.drain_timeout_seconds,
                   "seconds the running jobs get to finish after SIGTERM/Ctrl-C before they are "
                   "cancelled (default 600)")
      ->envname("GANTRY_EXECUTOR_DRAIN_TIMEOUT")
      ->check(CLI::NonNegativeNumber);
  run_->add_flag("-v,--verbose", o.verbose, "also send ::debug:: lines of every job")
      ->envname("GANTRY_EXECUTOR_VERBOSE");
}

bool ExecutorCommands::Parsed() const { return executor_ != nullptr && executor_->parsed(); }

int ExecutorCommands::Run() {
  if (register_->parsed()) {
    auto transport = executor::MakeTransport(BaseUrl(register_options_.url));
    return RunExecutorRegister(register_options_, *transport, version_, std::cout, std::cerr);
  }
  return RunAgent();
}

int ExecutorCommands::RunAgent() {
  const ExecutorRunOptions& o = run_options_;
  const std::string path = o.config.empty() ? DefaultExecutorConfigPath() : o.config;
  auto config = ReadExecutorConfig(path);
  if (!config.ok()) {
    std::cerr << "gantry executor run: " << config.status().message() << "\n";
    return 2;
  }
  WarnIfOthersMayRead(path, std::cerr);
  auto options = ExecutorAgentOptions(*config, o);
  if (!options.ok()) {
    std::cerr << "gantry executor run: " << options.status().message() << "\n";
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  auto agent = executor::Agent::Make(*options);
  if (!agent.ok()) {
    std::cerr << "gantry executor run: " << agent.status().message() << "\n";
    return 1;
  }
  std::cerr << "gantry executor: '" << config->name << "' takes jobs from " << options->server_url
            << " (labels " << Join(options->labels) << "; capacity " << options->capacity << "; "
            << o.backend << " backend"
            << (options->backend == executor::BackendKind::kDocker
                    ? " with " + options->default_container_image
                    : std::string())
            << "; work dir " << options->work_dir << ")\n";
  executor::Agent& a = **agent;
  backend::CancelToken stop;
  std::atomic<bool> cancelled{false};
  Status result;
  {
    DrainOnSignals signals(
        std::chrono::seconds(o.drain_timeout_seconds),
        [&] {
          std::cerr << "gantry executor: draining: no new jobs; running jobs get "
                    << o.drain_timeout_seconds << " s to finish (signal again to cancel them)\n";
          a.Drain();
        },
        [&](bool timed_out) {
          std::cerr << "gantry executor: " << (timed_out ? "the drain timeout passed: " : "")
                    << "cancelling the running jobs (their always() steps still run; signal "
                       "again to exit at once)\n";
          cancelled = true;
          stop.Cancel();
        });
    result = a.Run(stop);
  }
  if (!result.ok()) {
    std::cerr << "gantry executor run: " << result.message() << "\n";
    if (result.code() == core::StatusCode::kPermissionDenied) {
      std::cerr << "The server does not accept this executor's token (was it removed?): "
                   "register again (gantry executor register --replace ...)\n";
    }
    return 1;
  }
  std::cerr << "gantry executor: stopped\n";
  return cancelled ? 130 : 0;
}

}  // namespace gantry::cli
