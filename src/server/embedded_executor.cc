#include "server/embedded_executor.h"

#include <unistd.h>

#include <iostream>
#include <thread>

#include "core/strings.h"
#include "engine/contexts.h"

namespace gantry::server {

EmbeddedExecutor::EmbeddedExecutor(std::unique_ptr<executor::Agent> agent)
    : agent_(std::move(agent)) {
  thread_ = std::thread([this] {
    if (auto s = agent_->Run(stop_); !s.ok()) {
      std::cerr << "gantry server: the embedded executor stopped: " << s.message() << "\n";
    }
  });
}

EmbeddedExecutor::~EmbeddedExecutor() { Stop(); }

void EmbeddedExecutor::Stop() {
  stop_.Cancel();
  if (thread_.joinable()) thread_.join();
}

core::Result<std::unique_ptr<EmbeddedExecutor>> StartEmbeddedExecutor(ApiContext& ctx,
                                                                      const std::string& url,
                                                                      const ServerConfig& config) {
  std::string token = crypto::RandomToken("gne_");
  int capacity = config.executor_capacity;
  if (capacity <= 0) capacity = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  auto list = ctx.store->ListExecutors();
  if (!list.ok()) return list.status();
  store::Executor row;
  bool found = false;
  for (const store::Executor& e : list.value()) {
    if (e.name == "embedded") {
      row = e;
      found = true;
    }
  }
  row.name = "embedded";
  row.token_hash = crypto::Sha256Hex(token);
  // The architecture label is runner.arch in lower case (x64, arm64, x86, arm), as GitHub
  // labels its runners.
  const std::vector<std::string> labels = {"self-hosted", "linux",
                                           core::AsciiLower(engine::DetectRunner().arch)};
  row.labels = nlohmann::json(labels).dump();
  row.version = GANTRY_SERVER_VERSION;
  row.state = "online";
  row.capacity = capacity;
  row.last_seen = ctx.now_ms();
  if (found) {
    if (auto s = ctx.store->UpdateExecutor(row); !s.ok()) return s;
  } else {
    row.created_at = ctx.now_ms();
    auto created = ctx.store->CreateExecutor(row);
    if (!created.ok()) return created.status();
  }
  executor::AgentOptions options;
  options.server_url = url;
  options.token = token;
  options.labels = labels;
  options.capacity = capacity;
  options.work_dir =
      config.executor_work_dir.empty() ? config.data_dir + "/work" : config.executor_work_dir;
  auto agent = executor::Agent::Make(options);
  if (!agent.ok()) return agent.status();
  return std::make_unique<EmbeddedExecutor>(std::move(agent).value());
}

}  // namespace gantry::server
