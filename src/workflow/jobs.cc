#include "workflow/jobs.h"

#include <string>
#include <vector>

#include "workflow/fields.h"
#include "workflow/matrix.h"
#include "workflow/reusable.h"
#include "workflow/sections.h"
#include "workflow/steps.h"

namespace gantry::workflow {
namespace {

enum JobShape { kRunnerJob = 0, kCallJob = 1 };

const std::vector<Shape>& JobShapes() {
  static const std::vector<Shape> shapes = {
      {{"needs", "if", "strategy", "name", "runs-on", "timeout-minutes", "cancel-timeout-minutes",
        "continue-on-error", "container", "services", "env", "environment", "permissions",
        "concurrency", "outputs", "defaults", "steps", "snapshot"},
       {"runs-on"}},
      {{"name", "uses", "with", "secrets", "needs", "if", "permissions", "concurrency", "strategy"},
       {"uses"}},
  };
  return shapes;
}

std::optional<Snapshot> ReadSnapshot(Reader& r, const YamlNodePtr& node) {
  if (!node) return std::nullopt;
  Snapshot out;
  out.pos = node->pos;
  if (node->IsScalar()) {
    auto name = ReadString(r, node, Place::kNoExpressions, true);
    if (!name) return std::nullopt;
    out.image_name = std::move(*name);
    return out;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "an image name or a mapping with 'image-name'");
    return std::nullopt;
  }
  CheckShape(r, *node, {{{"image-name", "if", "version"}, {"image-name"}}}, "snapshot");
  if (auto name = ReadString(r, node->Find("image-name"), Place::kNoExpressions, true)) {
    out.image_name = std::move(*name);
  }
  out.version = ReadString(r, node->Find("version"), Place::kNoExpressions, true);
  out.if_condition = ReadCondition(r, node->Find("if"), Place::kSnapshotIf);
  return out;
}

void ReadCallFields(Reader& r, const YamlNode& node, Job& job) {
  if (YamlNodePtr uses = node.Find("uses")) {
    job.uses = ReadString(r, uses, Place::kNoExpressions, true);
    // A reference folded from `${{ 'literal' }}` is accepted as GitHub does, unchecked.
    if (job.uses && !HasExpression(*uses)) CheckWorkflowRef(*job.uses, r);
  }
  if (YamlNodePtr with = node.Find("with")) {
    if (HasExpression(*with)) {
      CheckExpressions(r, *with, Place::kNoExpressions);
    } else {
      job.with = ReadTextMap(r, with, Place::kJob);
    }
  }
  if (YamlNodePtr secrets = node.Find("secrets")) {
    if (secrets->IsScalar() && !HasExpression(*secrets)) {
      if (secrets->scalar == "inherit") {
        job.secrets_inherit = true;
      } else {
        ReportUnexpected(r, *secrets, "'inherit' or a mapping of secrets");
      }
    } else if (HasExpression(*secrets)) {
      CheckExpressions(r, *secrets, Place::kNoExpressions);
    } else {
      job.secrets = ReadTextMap(r, secrets, Place::kJobSecrets);
    }
  }
}

void ReadRunnerFields(Reader& r, const YamlNode& node, Job& job) {
  job.runs_on = ReadRunsOn(r, node.Find("runs-on"));
  job.timeout_minutes = ReadNumber(r, node.Find("timeout-minutes"), Place::kJob);
  job.cancel_timeout_minutes = ReadNumber(r, node.Find("cancel-timeout-minutes"), Place::kJob);
  job.continue_on_error = ReadBool(r, node.Find("continue-on-error"), Place::kJob);
  job.container = ReadContainer(r, node.Find("container"), "");
  ReadServices(r, node.Find("services"), job);
  job.env = ReadTextMap(r, node.Find("env"), Place::kJobEnv);
  job.environment = ReadEnvironment(r, node.Find("environment"));
  job.outputs = ReadTextMap(r, node.Find("outputs"), Place::kJobOutputs);
  job.defaults = ReadDefaults(r, node.Find("defaults"), Place::kJobDefaultsRun);
  job.steps = ReadSteps(r, node.Find("steps"));
  job.snapshot = ReadSnapshot(r, node.Find("snapshot"));
}

void ReadJob(Reader& r, const YamlNode& key, const YamlNodePtr& node, Workflow& workflow) {
  Job job;
  job.id = key.scalar;
  job.pos = key.pos;
  if (key.scalar.empty()) {
    ReportUnexpected(r, key, "a job id");
  } else {
    std::string problem = CheckIdentifier(key.scalar);
    if (!problem.empty()) r.Error(key.pos, problem, "id");
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a job mapping with 'runs-on' and 'steps', or 'uses'");
    workflow.jobs.push_back(std::move(job));
    return;
  }
  int shape = CheckShape(r, *node, JobShapes(), "a job");
  job.name = ReadString(r, node->Find("name"), Place::kJob);
  if (YamlNodePtr needs = node->Find("needs")) {
    job.needs = ReadStringList(r, needs, Place::kNoExpressions, true);
  }
  job.if_condition = ReadCondition(r, node->Find("if"), Place::kJobIf);
  job.permissions = ReadPermissions(r, node->Find("permissions"));
  job.concurrency = ReadConcurrency(r, node->Find("concurrency"), Place::kJob, true);
  job.strategy = ReadStrategy(r, node->Find("strategy"));
  if (shape == kRunnerJob) ReadRunnerFields(r, *node, job);
  if (shape == kCallJob) ReadCallFields(r, *node, job);
  workflow.jobs.push_back(std::move(job));
}

}  // namespace

void ReadJobs(Reader& r, const YamlNodePtr& node, Workflow& workflow) {
  if (!node) return;
  if (!node->IsMapping()) {
    if (HasExpression(*node)) {
      CheckExpressions(r, *node, Place::kNoExpressions);
    } else {
      ReportUnexpected(r, *node, "a mapping of job ids to jobs");
    }
    return;
  }
  std::vector<bool> duplicate = CheckDuplicateKeys(r, *node);
  workflow.jobs.reserve(node->entries.size());
  for (size_t i = 0; i < node->entries.size(); ++i) {
    if (duplicate[i]) continue;
    const auto& [key, value] = node->entries[i];
    if (HasExpression(*key)) {
      CheckExpressions(r, *key, Place::kNoExpressions);
      continue;
    }
    ReadJob(r, *key, value, workflow);
  }
}

}  // namespace gantry::workflow
