#pragma once

// The artifacts of a job's run that earlier jobs uploaded to the server, brought into the
// job's artifact directory (the layout of actions/artifacts.h) when the job's
// actions/download-artifact first asks for them, so that a job that downloads nothing
// fetches nothing.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "executor/artifact_zip.h"
#include "executor/client.h"

namespace gantry::executor {

class RunArtifactFetcher {
 public:
  /// `client` must outlive the fetcher; artifacts go to `artifact_dir`.
  RunArtifactFetcher(ProtocolClient& client, int64_t job, std::string lease_id,
                     std::string artifact_dir);

  /// Lists the run's artifacts on the server and stores each one that `artifact_dir` does not
  /// hold yet as <artifact_dir>/<run_id>/<name>/{files/,artifact.json}. Done once: later
  /// calls return the first outcome. Errors of the protocol calls (IsLeaseLost among them),
  /// or Internal naming the artifact that could not be unpacked. Thread-safe.
  core::Status FetchAll(const std::string& run_id,
                        const std::function<void(std::string_view)>& log = {});

  /// True when `artifact` is one this fetcher stored and the job has not replaced it since
  /// (so it need not be uploaded again).
  bool Unchanged(const StoredArtifact& artifact) const;

 private:
  core::Status Fetch(const std::string& run_id, const std::function<void(std::string_view)>& log);

  ProtocolClient& client_;
  const int64_t job_;
  const std::string lease_id_;
  const std::string artifact_dir_;
  mutable std::mutex mu_;
  std::optional<core::Status> outcome_;         // GUARDED_BY(mu_)
  std::map<std::string, std::string> fetched_;  // files dir -> its artifact.json; GUARDED_BY(mu_)
};

}  // namespace gantry::executor
