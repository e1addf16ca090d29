#pragma once

// The job SPEC of the executor protocol (docs/executor-protocol.md, "Lease"): everything an
// executor needs to run one job instance, resolved by the server.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "expr/value.h"

namespace gantry::executor {

/// Name/value pairs in the order the server sent them.
using NameValues = std::vector<std::pair<std::string, std::string>>;

/// One leased job, as the server resolved it.
struct JobSpec {
  int64_t id = 0;  // the server's job id (used in the job URLs)
  int64_t run_id = 0;
  int attempt = 1;
  std::string project;        // "alice/shop"
  std::string workflow_file;  // ".github/workflows/ci.yml" (names the file in messages)
  std::string workflow_yaml;  // the file's text at the commit
  std::string job_id;         // the id under `jobs:`
  int instance = 0;           // matrix combination index
  std::string display_name;   // "test (linux, 20)"
  expr::Value matrix;         // object; empty object without a matrix
  expr::Value strategy;       // the strategy context (object)
  expr::Value needs;          // the needs context (object)
  expr::Value github;         // the github context without the per-job fields
  NameValues secrets;
  NameValues vars;
  /// Inputs as text: strings as they are, other JSON values as their JSON text.
  NameValues inputs;
  expr::Value inputs_context;  // the inputs object as sent (typed), for expressions
  std::string repository_url;  // a clone URL or a local (bare) repository path; "" = none
  std::string repository_sha;
  std::string repository_ref;
};

/// Reads a SPEC object (ordered: a matrix keeps its key order). InvalidArgument naming the field
/// (e.g. "job.workflow.yaml: missing", "job.secrets.TOKEN: must be a string") when it is malformed.
/// Never throws.
core::Result<JobSpec> ParseJobSpec(const nlohmann::ordered_json& json);

/// Parses `text` as JSON, then as a SPEC.
core::Result<JobSpec> ParseJobSpecText(std::string_view text);

/// The SPEC of `spec` (ParseJobSpec(ToJson(s)) gives `s` back); for tests and fakes.
nlohmann::ordered_json JobSpecToJson(const JobSpec& spec);

}  // namespace gantry::executor
