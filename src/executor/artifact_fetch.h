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
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "executor/artifact_zip.h"
#include "executor/client.h"

namespace gantry::executor {

class RunArtifactFetcher {
 public:
  /// `client` must outlive the fetcher; artifacts go to `artifact_dir`.
  RunArtifactFetcher(ProtocolClient& client, int64_t job, std::string lease_id,
                     std::string artifact_dir);

  /// Stores the run's artifacts on the server (listed once) as
  /// <artifact_dir>/<run_id>/<name>/{files/,artifact.json}: only the one named `only` when it
  /// is not empty, else all; each at most once, and none that `artifact_dir` already holds (the
  /// job's own upload of that name wins). Errors of the protocol calls (IsLeaseLost among
  /// them), or an error naming the artifact that could not be unpacked. Thread-safe.
  core::Status Fetch(const std::string& run_id, const std::string& only,
                     const std::function<void(std::string_view)>& log = {});

  /// True when `artifact` is one this fetcher stored and the job has not replaced it since
  /// (so it need not be uploaded again).
  bool Unchanged(const StoredArtifact& artifact) const;

 private:
  core::Status Store(const std::string& run_id, int64_t id, const std::string& name,
                     const std::string& zip);

  ProtocolClient& client_;
  const int64_t job_;
  const std::string lease_id_;
  const std::string artifact_dir_;
  mutable std::mutex mu_;
  std::optional<std::vector<RemoteArtifact>> listed_;  // GUARDED_BY(mu_)
  std::set<std::string> tried_;                 // names fetched or found at hand; GUARDED_BY(mu_)
  std::map<std::string, std::string> fetched_;  // files dir -> its artifact.json; GUARDED_BY(mu_)
};

}  // namespace gantry::executor
