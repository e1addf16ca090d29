#include "server/job_graph.h"

#include "server/git_mirrors.h"
#include "workflow/loader.h"

namespace gantry::server {
namespace {

constexpr size_t kMaxCached = 512;

}  // namespace

std::vector<GraphJob> JobGraph(const workflow::Workflow& workflow) {
  std::vector<GraphJob> graph;
  graph.reserve(workflow.jobs.size());
  for (const workflow::Job& job : workflow.jobs) {
    GraphJob node;
    node.id = job.id;
    // A name with an expression (`${{ matrix.os }} build`) has a value per instance only.
    node.name =
        job.name && job.name->value.find("${{") == std::string::npos && !job.name->value.empty()
            ? job.name->value
            : job.id;
    for (const workflow::Text& need : job.needs) node.needs.push_back(need.value);
    node.matrix = job.strategy.has_value();
    graph.push_back(std::move(node));
  }
  return graph;
}

nlohmann::json GraphJson(const std::vector<GraphJob>& graph) {
  nlohmann::json arr = nlohmann::json::array();
  for (const GraphJob& job : graph) {
    arr.push_back(
        {{"id", job.id}, {"name", job.name}, {"needs", job.needs}, {"matrix", job.matrix}});
  }
  return arr;
}

std::optional<std::vector<std::string>> NeedsOf(const std::vector<GraphJob>& graph,
                                                const std::string& job_id) {
  for (const GraphJob& job : graph) {
    if (job.id == job_id) return job.needs;
  }
  return std::nullopt;
}

core::Result<std::shared_ptr<const std::vector<GraphJob>>> JobGraphs::ForRun(
    ApiContext& ctx, const store::Project& project, const store::Run& run) {
  std::string key = std::to_string(project.id) + ":" + run.sha + ":" + run.workflow_file;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
  }
  auto yaml = ctx.mirrors->ReadFile(project.owner, project.name, run.sha, run.workflow_file);
  if (!yaml.ok()) return yaml.status();
  // Reusable workflows are not followed: a call is one job of the graph.
  workflow::LoadResult loaded = workflow::LoadWorkflow(yaml.value(), run.workflow_file);
  if (!loaded.ok()) {
    return core::Status::InvalidArgument("the workflow file " + run.workflow_file +
                                         " does not load at " + run.sha);
  }
  auto graph = std::make_shared<const std::vector<GraphJob>>(JobGraph(*loaded.workflow));
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[key] = graph;
  return graph;
}

}  // namespace gantry::server
