#include "engine/runs_on.h"

#include <algorithm>

#include "core/strings.h"
#include "engine/contexts.h"

namespace gantry::engine {

core::Result<std::vector<std::string>> EvaluateRunsOn(const workflow::RunsOn& runs_on,
                                                      const expr::EvalContext& ctx,
                                                      const std::string& file) {
  std::vector<std::string> labels;
  if (runs_on.expression) {
    auto v = EvaluateText(*runs_on.expression, ctx, file);
    if (!v.ok()) return v.status();
    if (v->is_array()) {
      for (const expr::Value& item : v->array_value()) labels.push_back(item.ToString());
    } else if (v->is_primitive() && !v->is_null()) {
      labels.push_back(v->ToString());
    } else {
      return core::Status::InvalidArgument(
          Located(file, runs_on.expression->pos,
                  "runs-on must yield a label or a list of labels, got " + v->ToJsonText()));
    }
  }
  for (const workflow::Text& t : runs_on.labels) {
    auto s = EvaluateString(t, ctx, file);
    if (!s.ok()) return s.status();
    labels.push_back(*s);
  }
  for (std::string& l : labels) l = std::string(core::TrimSpace(l));
  labels.erase(std::remove(labels.begin(), labels.end(), std::string()), labels.end());
  return labels;
}

std::string WhyNotHere(const std::vector<std::string>& labels, const HostLabels& host) {
  const std::string arch = core::AsciiLower(host.arch);
  for (const std::string& label : labels) {
    const std::string l = core::AsciiLower(label);
    bool mapped = std::any_of(host.mapped.begin(), host.mapped.end(),
                              [&](const std::string& m) { return core::AsciiLower(m) == l; });
    if (mapped || l == "self-hosted" || l == arch || l == core::AsciiLower(host.os)) continue;
    if (l.starts_with("ubuntu-") && (!l.ends_with("-arm") || arch == "arm64")) continue;
    std::string kind = l.starts_with("windows") ? "a Windows runner"
                       : l.starts_with("macos") ? "a macOS runner"
                                                : "a label this machine does not have";
    return "runs-on " + FormatRunsOn(labels) + ": '" + label + "' is " + kind + ", this is " +
           host.os + " " + host.arch + " (give --runs-on " + label + "=host to run it here)";
  }
  return "";
}

std::string FormatRunsOn(const std::vector<std::string>& labels) {
  if (labels.size() == 1) return labels[0];
  std::string out = "[";
  for (const std::string& l : labels) out += (out.size() == 1 ? "" : ", ") + l;
  return out + "]";
}

}  // namespace gantry::engine
