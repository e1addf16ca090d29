#pragma once

// Which executor may take which job: a job's evaluated `runs-on` labels against the labels an
// executor registered with. As on GitHub, every label of the job must be one of the
// executor's (any case); like `gantry exec`, a Linux executor also answers to GitHub's hosted
// Linux labels (`ubuntu-latest`, `ubuntu-24.04`; `ubuntu-*-arm` on arm64 only), since it runs
// such jobs the way a hosted runner would.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/store.h"

namespace gantry::server {

/// The non-empty strings of `array` (anything else in it, or a non-array, gives none).
std::vector<std::string> LabelsOf(const nlohmann::json& array);

/// The labels of `json` (a JSON array of strings as stored in jobs.labels and
/// executors.labels); malformed or empty text gives none.
std::vector<std::string> LabelsFromJson(const std::string& json);

/// Whether an executor with `executor_labels` may take a job that asks for `job_labels` (no
/// labels: any executor).
bool ExecutorTakes(const std::vector<std::string>& executor_labels,
                   const std::vector<std::string>& job_labels);

/// For a queued job: "" when an enabled executor among `executors` may take it, else why it
/// waits ("no executor has the labels [self-hosted, gpu]; executors: embedded [self-hosted,
/// linux, x64]" or "no executor is registered").
std::string WaitingReason(const std::vector<store::Executor>& executors,
                          const std::vector<std::string>& job_labels);

}  // namespace gantry::server
