#pragma once

// The `needs` graph of a run's workflow, for drawing it (the run page's DAG): every job under
// `jobs:` in file order with the ids it needs, whether or not the scheduler has made its rows
// yet (it makes a job's rows only once the job can run or is skipped).

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "server/api.h"
#include "workflow/model.h"

namespace gantry::server {

/// One job of a workflow.
struct GraphJob {
  std::string id;                  // the id under `jobs:`
  std::string name;                // its `name:` when that is plain text, else the id
  std::vector<std::string> needs;  // ids, as written
  bool matrix = false;             // has a `strategy` (a matrix: one row per combination)
};

/// The jobs of `workflow` in the order written.
std::vector<GraphJob> JobGraph(const workflow::Workflow& workflow);

/// `[{"id","name","needs":[…],"matrix"}, …]`.
nlohmann::json GraphJson(const std::vector<GraphJob>& graph);

/// The ids `job_id` needs according to `graph`; nullopt when the graph has no such job.
std::optional<std::vector<std::string>> NeedsOf(const std::vector<GraphJob>& graph,
                                                const std::string& job_id);

/// The graphs of runs' workflows, read from the project's mirror at the run's commit and kept
/// (a few hundred, by project, commit and file: they never change). Thread-safe.
class JobGraphs {
 public:
  /// The graph of `run`'s workflow; an error when its file cannot be read or loaded.
  core::Result<std::shared_ptr<const std::vector<GraphJob>>> ForRun(ApiContext& ctx,
                                                                    const store::Project& project,
                                                                    const store::Run& run);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::vector<GraphJob>>> cache_;  // guarded by mu_
};

}  // namespace gantry::server
