#include "engine/plan.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "engine/matrix.h"
#include "expr/unicode.h"
#include "workflow/diagnostic.h"

namespace gantry::engine {
namespace {

using expr::Object;
using expr::Value;

// GitHub's JobNameBuilder cuts display names to 100 UTF-16 code units, the last three "...".
constexpr std::size_t kMaxNameUnits = 100;

std::string Located(const std::string& file, const workflow::Position& pos,
                    const std::string& message) {
  return workflow::Diagnostic{file, pos, message, ""}.ToString();
}

// The job with `id` (exact match first, then ignoring case as GitHub's job ids do), or -1.
int IndexOf(const workflow::Workflow& workflow, std::string_view id) {
  const auto& jobs = workflow.jobs;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].id == id) return static_cast<int>(i);
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (expr::EqualsIgnoreCase(jobs[i].id, id)) return static_cast<int>(i);
  }
  return -1;
}

// Longest path from a root to each job, over the selected jobs; fails on a cycle.
class StageSolver {
 public:
  StageSolver(const workflow::Workflow& workflow, const std::vector<std::vector<int>>& needs)
      : workflow_(workflow), needs_(needs), stage_(needs.size(), -1), state_(needs.size(), 0) {}

  core::Result<int> Stage(int job) {
    if (state_[job] == 2) return stage_[job];
    if (state_[job] == 1) {
      return core::Status::InvalidArgument(
          Located(workflow_.file, workflow_.jobs[job].pos,
                  "Job '" + workflow_.jobs[job].id + "' depends on itself through its needs"));
    }
    state_[job] = 1;
    int stage = 0;
    for (int need : needs_[job]) {
      auto s = Stage(need);
      if (!s.ok()) return s;
      stage = std::max(stage, *s + 1);
    }
    state_[job] = 2;
    stage_[job] = stage;
    return stage;
  }

 private:
  const workflow::Workflow& workflow_;
  const std::vector<std::vector<int>>& needs_;
  std::vector<int> stage_;
  std::vector<int> state_;  // 0 unvisited, 1 on the current path, 2 done
};

bool ContextsAvailable(const workflow::Strategy& strategy, const expr::EvalContext& ctx) {
  for (const std::string& name : StrategyReferencedContexts(strategy)) {
    if (ctx.contexts.Find(name) == nullptr) return false;
  }
  return true;
}

// Expands the job's strategy now when everything it reads is known at plan time.
core::Status PlanStrategy(const workflow::Workflow& workflow, const workflow::Job& job,
                          const expr::EvalContext& ctx, PlannedJob& out) {
  if (!job.strategy) {
    out.instances = std::vector<MatrixInstance>{MatrixInstance{Value(Object())}};
    out.settings = StrategySettings{};
    return core::Status::Ok();
  }
  const workflow::Strategy& strategy = *job.strategy;
  if (!ContextsAvailable(strategy, ctx)) return core::Status::Ok();  // the runner expands it
  auto fail = [&](const core::Status& status) {
    workflow::Position pos = strategy.matrix ? strategy.matrix->pos : strategy.pos;
    return core::Status::InvalidArgument(
        Located(workflow.file, pos,
                "Error when evaluating 'strategy' for job '" + job.id + "'. " + status.message()));
  };
  auto instances = ExpandMatrix(strategy, ctx);
  if (!instances.ok()) return fail(instances.status());
  auto settings = EvaluateStrategySettings(strategy, ctx);
  if (!settings.ok()) return fail(settings.status());
  out.instances = std::move(instances).value();
  out.settings = *settings;
  return core::Status::Ok();
}

void AppendSegments(const Value& v, std::vector<std::string>& out) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return;
    case Value::Kind::kBoolean:
      out.emplace_back(v.bool_value() ? "true" : "false");
      return;
    case Value::Kind::kNumber:
      out.push_back(expr::FormatNumber(v.number_value()));
      return;
    case Value::Kind::kString:
      if (!v.string_value().empty()) out.push_back(v.string_value());
      return;
    case Value::Kind::kArray:
      for (const Value& item : v.array_value()) AppendSegments(item, out);
      return;
    case Value::Kind::kObject:
      for (const auto& [key, item] : v.object_value().entries()) AppendSegments(item, out);
      return;
  }
}

// Cuts `name` to GitHub's limit, counting UTF-16 code units and never splitting a character.
std::string Truncate(const std::string& name) {
  std::size_t units = 0;
  std::size_t cut = std::string::npos;  // byte offset where the kept prefix ends
  for (std::size_t i = 0; i < name.size();) {
    auto lead = static_cast<unsigned char>(name[i]);
    std::size_t bytes = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    std::size_t width = bytes == 4 ? 2 : 1;
    if (cut == std::string::npos && units + width > kMaxNameUnits - 3) cut = i;
    units += width;
    i += bytes;
  }
  if (units <= kMaxNameUnits) return name;
  return name.substr(0, cut) + "...";
}

}  // namespace

const PlannedJob* Plan::Find(std::string_view id) const {
  for (const PlannedJob& job : jobs) {
    if (job.id == id) return &job;
  }
  return nullptr;
}

core::Result<Plan> BuildPlan(std::shared_ptr<const workflow::Workflow> workflow,
                             const PlanOptions& options) {
  if (!workflow) return core::Status::InvalidArgument("no workflow to plan");
  Plan plan;
  plan.workflow = std::move(workflow);
  const workflow::Workflow& wf = *plan.workflow;
  const auto& jobs = wf.jobs;
  const std::size_t n = jobs.size();

  std::vector<std::vector<int>> needs(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const workflow::Text& need : jobs[i].needs) {
      int target = IndexOf(wf, need.value);
      if (target < 0) {
        return core::Status::InvalidArgument(
            Located(wf.file, need.pos,
                    "Job '" + jobs[i].id + "' depends on unknown job '" + need.value + "'."));
      }
      needs[i].push_back(target);
    }
  }

  std::vector<bool> selected(n, options.only_jobs.empty());
  std::vector<int> pending;
  for (const std::string& id : options.only_jobs) {
    int root = IndexOf(wf, id);
    if (root < 0) {
      return core::Status::NotFound("Could not find any job with id '" + id + "' in " + wf.file);
    }
    selected[root] = true;
    pending.push_back(root);
  }
  if (options.no_deps) {
    // Needs between the chosen jobs still order them; the others are dropped.
    for (int job : pending) {
      std::erase_if(needs[job], [&](int need) { return !selected[need]; });
    }
  } else {
    while (!pending.empty()) {
      int job = pending.back();
      pending.pop_back();
      for (int need : needs[job]) {
        if (!selected[need]) pending.push_back(need);
        selected[need] = true;
      }
    }
  }

  StageSolver solver(wf, needs);
  std::vector<int> order;
  std::vector<int> stage(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (!selected[i]) continue;
    auto s = solver.Stage(static_cast<int>(i));
    if (!s.ok()) return s.status();
    stage[i] = *s;
    order.push_back(static_cast<int>(i));
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return stage[a] < stage[b]; });

  for (int i : order) {
    PlannedJob planned;
    planned.job = &jobs[i];
    planned.id = jobs[i].id;
    for (int need : needs[i]) planned.needs.push_back(jobs[need].id);
    planned.stage = stage[i];
    GANTRY_RETURN_IF_ERROR(PlanStrategy(wf, jobs[i], options.context, planned));
    plan.stage_count = std::max(plan.stage_count, planned.stage + 1);
    plan.jobs.push_back(std::move(planned));
  }
  return plan;
}

std::string InstanceDisplayName(const std::string& base_name, const MatrixInstance& instance,
                                bool name_uses_matrix) {
  if (name_uses_matrix) return base_name;
  std::vector<std::string> segments;
  if (instance.values.is_object()) {
    const auto& entries = instance.values.object_value().entries();
    std::size_t count = entries.size();
    if (instance.name_key_count >= 0) {
      count = std::min(count, static_cast<std::size_t>(instance.name_key_count));
    }
    for (std::size_t i = 0; i < count; ++i) AppendSegments(entries[i].second, segments);
  }
  std::string name = base_name;
  if (!segments.empty()) {
    name += " (";
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (i > 0) name += ", ";
      name += segments[i];
    }
    name += ")";
  }
  return Truncate(name);
}

}  // namespace gantry::engine
