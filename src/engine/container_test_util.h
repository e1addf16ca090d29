#pragma once

// A fake ContainerHost for the engine's tests of services, job containers and Docker actions:
// it records what the engine asked for, runs the job container's processes with the
// FakeBackend after translating container paths back through the mounts the engine gave, and
// answers the engine's probe like an image without bash. The real host is tested in actions/
// and tests/exec/.

#include <poll.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/path_map.h"
#include "engine/runner_test_util.h"
#include "engine/services.h"

namespace gantry::engine::testing {

/// Mounts "host:container[:ro]" as a PathMap (container -> host through ToHost).
inline PathMap MapOfMounts(const std::vector<std::string>& mounts) {
  PathMap m;
  for (const std::string& mount : mounts) {
    size_t colon = mount.find(':');
    std::string container = mount.substr(colon + 1);
    container = container.substr(0, container.find(':'));
    m.Add(mount.substr(0, colon), container);
  }
  return m;
}

/// Services get container "c-<id>" and publish container port P on host port 40000 + P; the
/// network is "net-1"; the job container is "job-c". A service whose image is `fail_image_`
/// fails the start (after logging "last logs of <id>").
class FakeContainerHost : public ContainerHost {
 public:
  core::Status Start(const JobContainerSpec* job_container,
                     const std::vector<ServiceSpec>& services, const std::string& network_name,
                     const EnvList& labels, const ServiceLog& log,
                     const backend::CancelToken& cancel, StartedServices& started) override {
    if (block_start_) {
      // Waits (at most 10 s) for the engine to cancel the start.
      pollfd fd{cancel.wait_fd(), POLLIN, 0};
      start_cancelled_ = ::poll(&fd, 1, 10000) > 0;
    }
    std::lock_guard lock(mu_);
    specs_ = services;
    network_name_ = network_name;
    labels_ = labels;
    started.network_id = "net-1";
    if (job_container != nullptr) {
      job_ = *job_container;
      started.container_id = "job-c";
      started.container_ids.push_back("job-c");
    }
    for (const ServiceSpec& s : services) {
      started.container_ids.push_back("c-" + s.id);
      if (s.image == fail_image_) {
        log("last logs of " + s.id);
        return core::Status::Unavailable("service '" + s.id + "' did not become healthy");
      }
      StartedService out{s.id, "c-" + s.id, {}};
      for (const std::string& p : s.ports) {
        std::string container = p.substr(p.find(':') + 1);
        container = container.substr(0, container.find('/'));
        out.ports[container] = std::to_string(40000 + std::stoi(container));
      }
      started.services.push_back(std::move(out));
    }
    return core::Status::Ok();
  }
  void Stop(const StartedServices& started, const ServiceLog& /*log*/) override {
    std::lock_guard lock(mu_);
    stopped_.insert(stopped_.end(), started.container_ids.begin(), started.container_ids.end());
    stopped_.push_back(started.network_id);
  }
  std::unique_ptr<backend::Backend> JobBackend(const StartedServices& /*started*/) override {
    std::lock_guard lock(mu_);
    return std::make_unique<Mounted>(*this, MapOfMounts(job_.mounts));
  }
  core::Status PrepareImage(const std::string& image, const ServiceLog& /*log*/,
                            const backend::CancelToken& /*cancel*/) override {
    std::lock_guard lock(mu_);
    prepared_.push_back(image);
    return core::Status::Ok();
  }
  core::Result<std::string> BuildImage(const std::string& context_dir,
                                       const std::string& dockerfile, const ServiceLog& /*log*/,
                                       const backend::CancelToken& /*cancel*/) override {
    std::lock_guard lock(mu_);
    built_.push_back(context_dir + "|" + dockerfile);
    return std::string("gantry-action:abc");
  }
  /// Prints what it was asked to run and writes greeting=hi to $GITHUB_OUTPUT through the
  /// file-command mount.
  core::Result<backend::ProcessResult> RunContainer(
      const ActionContainerSpec& spec, std::chrono::milliseconds /*kill_grace*/,
      const backend::OutputSink& output, const backend::CancelToken& /*cancel*/) override {
    std::lock_guard lock(mu_);
    actions_.push_back(spec);
    std::string args;
    for (const std::string& a : spec.args) args += "[" + a + "]";
    output("image=" + spec.image + " args=" + args + " wd=" + spec.working_dir + "\n");
    PathMap m = MapOfMounts(spec.mounts);
    for (const auto& [k, v] : spec.env) {
      if (k == "GITHUB_OUTPUT") std::ofstream(m.ToHost(v), std::ios::app) << "greeting=hi\n";
    }
    return backend::ProcessResult{};
  }

  std::string fail_image_;
  bool block_start_ = false;  // Start waits until cancelled, like a service never healthy
  bool start_cancelled_ = false;
  std::mutex mu_;
  FakeBackend fake_;  // runs the job container's scripts
  std::vector<ServiceSpec> specs_;
  std::string network_name_;
  EnvList labels_;
  JobContainerSpec job_;
  std::vector<backend::ProcessSpec> seen_;  // what ran in the job container, as given
  std::vector<std::string> stopped_, prepared_, built_;
  std::vector<ActionContainerSpec> actions_;

 private:
  class Mounted : public backend::Backend {
   public:
    Mounted(FakeContainerHost& host, PathMap mounts) : host_(host), mounts_(std::move(mounts)) {}
    core::Result<backend::ProcessResult> Run(const backend::ProcessSpec& spec,
                                             const backend::OutputSink& output,
                                             const backend::CancelToken& cancel) override {
      {
        std::lock_guard lock(host_.mu_);
        host_.seen_.push_back(spec);
      }
      if (spec.argv.size() > 2 && spec.argv[0] == "sh" && spec.argv[1] == "-c") {
        output(
            "/usr/local/bin:/usr/bin:/bin\nbash=\nsh=/bin/sh\npython3=\npython=\npwsh=\nnode=\n");
        return backend::ProcessResult{};
      }
      backend::ProcessSpec local = spec;
      for (std::string& a : local.argv) a = mounts_.ToHost(a);
      for (auto& [k, v] : local.env) v = mounts_.ToHost(v);
      local.cwd = mounts_.ToHost(local.cwd);
      return host_.fake_.Run(local, output, cancel);
    }

   private:
    FakeContainerHost& host_;
    PathMap mounts_;
  };
};

}  // namespace gantry::engine::testing
