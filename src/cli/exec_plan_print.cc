#include "cli/exec_plan_print.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "expr/expression.h"

namespace gantry::cli {
namespace {

using json = nlohmann::ordered_json;

expr::Value WithMatrix(const expr::Value& contexts, const expr::Value& matrix) {
  expr::Object obj = contexts.is_object() ? contexts.object_value() : expr::Object();
  obj.Set("matrix", matrix);
  return expr::Value(std::move(obj));
}

std::string StepLabel(const workflow::Step& step) {
  if (step.name) return step.name->value;
  if (step.uses) return step.uses->value;
  if (step.run) {
    std::string first = step.run->value.substr(0, step.run->value.find('\n'));
    return "Run " + first;
  }
  return "(empty step)";
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace

std::vector<std::string> InstanceNames(const engine::PlannedJob& job, const expr::Value& contexts) {
  std::string base = job.id;
  std::optional<expr::Template> tmpl;
  bool uses_matrix = false;
  if (job.job->name) {
    base = job.job->name->value;
    auto parsed = expr::Template::Parse(job.job->name->value);
    if (parsed.ok()) {
      for (const auto& e : parsed->expressions()) {
        const auto& refs = e.referenced_contexts();
        uses_matrix = uses_matrix || std::find(refs.begin(), refs.end(), "matrix") != refs.end();
      }
      tmpl = std::move(*parsed);
    }
  }
  if (!job.instances) {
    return {base + " (matrix expanded when its needs finish)"};
  }
  std::vector<std::string> names;
  for (const auto& inst : *job.instances) {
    std::string name = base;
    if (tmpl && !tmpl->IsLiteral()) {
      expr::EvalContext ctx;
      ctx.contexts = WithMatrix(contexts, inst.values);
      auto v = tmpl->Evaluate(ctx);
      if (v.ok()) name = v->ToString();
    }
    names.push_back(engine::InstanceDisplayName(name, inst, uses_matrix));
  }
  return names;
}

std::vector<InstanceRunsOn> InstanceRunsOns(const engine::PlannedJob& job,
                                            const expr::Value& contexts,
                                            const engine::HostLabels& host) {
  std::vector<expr::Value> matrices;
  if (job.instances) {
    for (const auto& inst : *job.instances) matrices.push_back(inst.values);
  } else {
    matrices.emplace_back(expr::Object());
  }
  std::vector<InstanceRunsOn> out;
  for (const expr::Value& matrix : matrices) {
    InstanceRunsOn r;
    if (job.job->runs_on) {
      expr::EvalContext ctx;
      ctx.contexts = WithMatrix(contexts, matrix);
      auto labels = engine::EvaluateRunsOn(*job.job->runs_on, ctx, "");
      if (labels.ok()) {
        r.labels = engine::FormatRunsOn(*labels);
        r.not_here = engine::WhyNotHere(*labels, host);
      } else {
        // Not known before the run (e.g. it reads needs): decided when the job starts.
        r.labels = job.job->runs_on->expression ? job.job->runs_on->expression->value : "?";
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

void PrintPlans(const std::vector<PlannedWorkflow>& plans, const std::string& event, bool steps,
                bool as_json, const engine::HostLabels& host, std::ostream& out) {
  if (as_json) {
    json doc;
    doc["type"] = "plan";
    doc["event"] = event;
    doc["dry_run"] = steps;
    json workflows = json::array();
    for (const auto& pw : plans) {
      json w;
      w["workflow"] = pw.name;
      w["file"] = pw.file;
      w["stages"] = pw.plan.stage_count;
      json jobs = json::array();
      for (const auto& job : pw.plan.jobs) {
        json j;
        j["job"] = job.id;
        j["stage"] = job.stage + 1;
        j["needs"] = job.needs;
        j["instances"] = InstanceNames(job, pw.contexts);
        json runs_on = json::array();
        json not_here = json::array();
        for (const auto& r : InstanceRunsOns(job, pw.contexts, host)) {
          runs_on.push_back(r.labels);
          not_here.push_back(r.not_here);
        }
        j["runs_on"] = std::move(runs_on);
        j["not_here"] = std::move(not_here);
        if (job.job->if_condition) j["if"] = job.job->if_condition->value;
        if (steps) {
          json s = json::array();
          for (const auto& step : job.job->steps) {
            json st;
            st["name"] = StepLabel(step);
            if (step.if_condition) st["if"] = step.if_condition->value;
            s.push_back(std::move(st));
          }
          if (job.job->IsReusableCall()) j["uses"] = job.job->uses->value;
          j["steps"] = std::move(s);
        }
        jobs.push_back(std::move(j));
      }
      w["jobs"] = std::move(jobs);
      workflows.push_back(std::move(w));
    }
    doc["workflows"] = std::move(workflows);
    out << doc.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
    return;
  }

  for (const auto& pw : plans) {
    size_t instances = 0;
    for (const auto& job : pw.plan.jobs) instances += job.instances ? job.instances->size() : 1;
    out << (pw.name == pw.file ? pw.file : pw.name + " (" + pw.file + ")") << " on " << event
        << ": " << pw.plan.jobs.size() << (pw.plan.jobs.size() == 1 ? " job, " : " jobs, ")
        << instances << (instances == 1 ? " instance, " : " instances, ") << pw.plan.stage_count
        << (pw.plan.stage_count == 1 ? " stage" : " stages") << (steps ? " (dry run)" : "") << '\n';
    for (int stage = 0; stage < pw.plan.stage_count; ++stage) {
      out << "  stage " << stage + 1 << '\n';
      for (const auto& job : pw.plan.jobs) {
        if (job.stage != stage) continue;
        out << "    " << job.id;
        if (!job.needs.empty()) out << "  needs: " << Join(job.needs, ", ");
        if (job.job->if_condition) out << "  if: " << job.job->if_condition->value;
        std::vector<InstanceRunsOn> runs_on = InstanceRunsOns(job, pw.contexts, host);
        bool same = std::all_of(runs_on.begin(), runs_on.end(), [&](const InstanceRunsOn& r) {
          return r.labels == runs_on[0].labels;
        });
        if (same && !runs_on.empty() && !runs_on[0].labels.empty()) {
          out << "  runs-on: " << runs_on[0].labels;
        }
        out << '\n';
        std::vector<std::string> names = InstanceNames(job, pw.contexts);
        std::vector<std::string> reasons;  // each said once per job
        for (size_t i = 0; i < names.size(); ++i) {
          out << "      - " << names[i];
          if (i < runs_on.size()) {
            if (!same) out << "  runs-on: " << runs_on[i].labels;
            if (!runs_on[i].not_here.empty()) {
              out << "  (not run here)";
              if (std::find(reasons.begin(), reasons.end(), runs_on[i].not_here) == reasons.end())
                reasons.push_back(runs_on[i].not_here);
            }
          }
          out << '\n';
        }
        for (const auto& r : reasons) out << "      not run here: " << r << '\n';
        if (!steps) continue;
        if (job.job->IsReusableCall()) {
          out << "        calls " << job.job->uses->value << '\n';
          continue;
        }
        int index = 0;
        for (const auto& step : job.job->steps) {
          out << "        " << ++index << ". " << StepLabel(step);
          if (step.if_condition) out << "  if: " << step.if_condition->value;
          out << '\n';
        }
      }
    }
  }
}

}  // namespace gantry::cli
