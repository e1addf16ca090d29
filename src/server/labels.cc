#include "server/labels.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "engine/runs_on.h"

namespace gantry::server {

namespace {

std::string List(const std::vector<std::string>& labels) {
  std::string out = "[";
  for (const std::string& l : labels) out += (out.size() == 1 ? "" : ", ") + l;
  return out + "]";
}

}  // namespace

std::vector<std::string> LabelsOf(const nlohmann::json& array) {
  std::vector<std::string> out;
  if (!array.is_array()) return out;
  for (const auto& v : array) {
    if (v.is_string() && !v.get<std::string>().empty()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::vector<std::string> LabelsFromJson(const std::string& json) {
  return LabelsOf(nlohmann::json::parse(json, nullptr, false));
}

bool ExecutorTakes(const std::vector<std::string>& executor_labels,
                   const std::vector<std::string>& job_labels) {
  engine::HostLabels host;
  host.os = "Linux";
  host.arch = "X64";
  for (const std::string& l : executor_labels) {
    std::string lower = core::AsciiLower(l);
    if (lower == "arm64" || lower == "arm" || lower == "x86") host.arch = l;
  }
  for (const std::string& label : job_labels) {
    std::string l = core::AsciiLower(label);
    bool declared = std::any_of(executor_labels.begin(), executor_labels.end(),
                                [&](const std::string& e) { return core::AsciiLower(e) == l; });
    if (declared) continue;
    bool linux_executor =
        std::any_of(executor_labels.begin(), executor_labels.end(),
                    [](const std::string& e) { return core::AsciiLower(e) == "linux"; });
    if (linux_executor && l.starts_with("ubuntu-") && engine::WhyNotHere({label}, host).empty()) {
      continue;
    }
    return false;
  }
  return true;
}

std::string WaitingReason(const std::vector<store::Executor>& executors,
                          const std::vector<std::string>& job_labels) {
  std::string known;
  int enabled = 0;
  for (const store::Executor& e : executors) {
    if (e.state == "disabled") continue;
    ++enabled;
    std::vector<std::string> labels = LabelsFromJson(e.labels);
    if (ExecutorTakes(labels, job_labels)) return "";
    known += (known.empty() ? "" : ", ") + e.name + " " + List(labels);
  }
  if (enabled == 0) return "no executor is registered (or every one is disabled)";
  std::string wanted =
      job_labels.size() == 1 ? "the label " + job_labels[0] : "the labels " + List(job_labels);
  return "no executor has " + wanted + "; executors: " + known;
}

}  // namespace gantry::server
