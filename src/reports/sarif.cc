#include "reports/sarif.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/sha256.h"
#include "core/strings.h"
#include "reports/coverage.h"

namespace gantry::reports {

namespace {

// Ordered: "partialFingerprints' first value" is the first in the file.
using Json = nlohmann::ordered_json;

const Json* Find(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string StringAt(const Json& obj, std::string_view key) {
  const Json* v = Find(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (s[i] == '%' && i + 2 < s.size() + 0 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A file URI of the location, resolved through originalUriBaseIds, relative to the workspace
// when inside it.
std::string ResolveUri(const Json& artifact, const Json& run, const std::string& workspace) {
  std::string uri = StringAt(artifact, "uri");
  std::string base_id = StringAt(artifact, "uriBaseId");
  // A base may itself name a base; a few hops are plenty (and stop a cycle).
  for (int hop = 0; hop < 4 && !base_id.empty() && uri.find("://") == std::string::npos; ++hop) {
    const Json* bases = Find(run, "originalUriBaseIds");
    const Json* base = bases != nullptr ? Find(*bases, base_id) : nullptr;
    if (base == nullptr) break;
    std::string prefix = StringAt(*base, "uri");
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    uri = prefix + uri;
    base_id = StringAt(*base, "uriBaseId");
  }
  if (uri.starts_with("file://")) {
    uri = uri.substr(7);
    // file://host/path: only the local host is meaningful.
    if (!uri.starts_with("/")) uri = uri.substr(std::min(uri.find('/'), uri.size()));
  }
  uri = PercentDecode(uri);
  if (!uri.starts_with("/")) return uri;
  std::string path = std::filesystem::path(uri).lexically_normal().generic_string();
  std::string ws = std::filesystem::path(workspace).lexically_normal().generic_string();
  while (ws.size() > 1 && ws.back() == '/') ws.pop_back();
  if (!ws.empty() && path.starts_with(ws + "/")) return path.substr(ws.size() + 1);
  return path;
}

// The Trivy-style severity word in the rule's properties, "" when none.
std::string SeverityWord(const Json& properties) {
  auto word = [](std::string s) -> std::string {
    s = core::AsciiLower(s);
    if (s == "critical" || s == "high" || s == "medium" || s == "low") return s;
    return "";
  };
  if (std::string s = word(StringAt(properties, "severity")); !s.empty()) return s;
  if (const Json* tags = Find(properties, "tags"); tags != nullptr && tags->is_array()) {
    for (const Json& t : *tags) {
      if (!t.is_string()) continue;
      if (std::string s = word(t.get<std::string>()); !s.empty()) return s;
    }
  }
  return "";
}

std::string Severity(const Json& result, const Json* rule) {
  const Json* props = rule != nullptr ? Find(*rule, "properties") : nullptr;
  const Json* result_props = Find(result, "properties");
  for (const Json* p : {props, result_props}) {
    const Json* score = p != nullptr ? Find(*p, "security-severity") : nullptr;
    if (score == nullptr) continue;
    double value = -1;
    if (score->is_number()) {
      value = score->get<double>();
    } else if (score->is_string()) {
      char* end = nullptr;
      std::string text = score->get<std::string>();
      value = std::strtod(text.c_str(), &end);
      if (end == text.c_str()) value = -1;
    }
    if (value >= 0) return SeverityOfScore(value);
  }
  if (props != nullptr) {
    if (std::string s = SeverityWord(*props); !s.empty()) return s;
  }
  std::string level = StringAt(result, "level");
  if (level.empty() && rule != nullptr) {
    if (const Json* config = Find(*rule, "defaultConfiguration"))
      level = StringAt(*config, "level");
  }
  std::string s = SeverityOfLevel(level.empty() ? "warning" : level);
  return s.empty() ? "medium" : s;
}

// message.text, else the rule's messageStrings[message.id], with {0}… replaced by arguments.
std::string MessageOf(const Json& result, const Json* rule) {
  const Json* message = Find(result, "message");
  if (message == nullptr) return "";
  std::string text = StringAt(*message, "text");
  if (text.empty() && rule != nullptr) {
    std::string id = StringAt(*message, "id");
    const Json* strings = Find(*rule, "messageStrings");
    const Json* entry = strings != nullptr && !id.empty() ? Find(*strings, id) : nullptr;
    if (entry != nullptr) text = StringAt(*entry, "text");
  }
  if (const Json* args = Find(*message, "arguments"); args != nullptr && args->is_array()) {
    for (std::size_t i = 0; i < args->size(); ++i) {
      if (!(*args)[i].is_string()) continue;
      std::string placeholder = "{" + std::to_string(i) + "}";
      for (std::size_t at = text.find(placeholder); at != std::string::npos;
           at = text.find(placeholder, at)) {
        text.replace(at, placeholder.size(), (*args)[i].get<std::string>());
        at += (*args)[i].get<std::string>().size();
      }
    }
  }
  return text;
}

}  // namespace

int SeverityRank(std::string_view severity) {
  for (int i = 0; i < 5; ++i) {
    if (kSeverities[i] == severity) return i;
  }
  return 5;
}

std::string SeverityOfScore(double score) {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  if (score > 0) return "low";
  return "note";
}

std::string SeverityOfLevel(std::string_view level) {
  if (level == "error") return "high";
  if (level == "warning") return "medium";
  if (level == "note") return "low";
  if (level == "none") return "note";
  return "";
}

std::string FindingFingerprint(const Finding& f) {
  core::Sha256 h;
  h.Update(f.tool + "\n" + f.rule_id + "\n" + f.file + "\n" + f.message);
  return core::Sha256::Hex(h.Finish());
}

core::Result<SecurityReport> ParseSarif(std::string_view content, std::string_view name,
                                        const std::string& workspace) {
  Json j;
  try {
    j = Json::parse(content);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    std::size_t colon = what.find(": ", what.find("parse error"));
    return core::Status::InvalidArgument(
        std::string(name) + ":" +
        std::to_string(LineOfOffset(content, e.byte > 0 ? e.byte - 1 : 0)) +
        ": SARIF: invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)));
  }
  auto shape = [&](const std::string& what) {
    return core::Status::InvalidArgument(std::string(name) + ": SARIF: " + what);
  };
  const Json* runs = Find(j, "runs");
  if (runs == nullptr || !runs->is_array())
    return shape("'runs' must be an array (is this a SARIF 2.1.0 log?)");
  SecurityReport report;
  for (std::size_t r = 0; r < runs->size(); ++r) {
    const Json& run = (*runs)[r];
    std::string where = "runs[" + std::to_string(r) + "]";
    const Json* tool = Find(run, "tool");
    const Json* driver = tool != nullptr ? Find(*tool, "driver") : nullptr;
    if (driver == nullptr) return shape(where + ".tool.driver is missing");
    std::string tool_name = StringAt(*driver, "name");
    const Json* rules = Find(*driver, "rules");
    if (rules != nullptr && !rules->is_array())
      return shape(where + ".tool.driver.rules is not an array");
    const Json* results = Find(run, "results");
    if (results == nullptr || results->is_null()) continue;
    if (!results->is_array()) return shape(where + ".results is not an array");
    for (std::size_t i = 0; i < results->size(); ++i) {
      const Json& result = (*results)[i];
      if (!result.is_object())
        return shape(where + ".results[" + std::to_string(i) + "] is not an object");
      // A suppressed result (an accepted `// lgtm`, a baseline) is not a finding.
      if (const Json* s = Find(result, "suppressions");
          s != nullptr && s->is_array() && !s->empty())
        continue;
      Finding f;
      f.tool = tool_name;
      f.rule_id = StringAt(result, "ruleId");
      const Json* rule_ref = Find(result, "rule");
      if (f.rule_id.empty() && rule_ref != nullptr) f.rule_id = StringAt(*rule_ref, "id");
      // The rule lives in the driver, or (CodeQL with query packs) in the extension that
      // rule.toolComponent.index names.
      const Json* rule_list = rules;
      const Json* component = rule_ref != nullptr ? Find(*rule_ref, "toolComponent") : nullptr;
      const Json* component_index = component != nullptr ? Find(*component, "index") : nullptr;
      const Json* extensions = Find(*tool, "extensions");
      if (component_index != nullptr && component_index->is_number_unsigned() &&
          extensions != nullptr && extensions->is_array() &&
          component_index->get<std::size_t>() < extensions->size()) {
        rule_list = Find((*extensions)[component_index->get<std::size_t>()], "rules");
      }
      const Json* rule = nullptr;
      if (rule_list != nullptr && rule_list->is_array()) {
        const Json* index = Find(result, "ruleIndex");
        if (index == nullptr && rule_ref != nullptr) index = Find(*rule_ref, "index");
        if (index != nullptr && index->is_number_unsigned() &&
            index->get<std::size_t>() < rule_list->size()) {
          rule = &(*rule_list)[index->get<std::size_t>()];
        } else {
          for (const Json& candidate : *rule_list) {
            if (StringAt(candidate, "id") == f.rule_id && !f.rule_id.empty()) rule = &candidate;
          }
        }
        if (rule != nullptr && f.rule_id.empty()) f.rule_id = StringAt(*rule, "id");
      }
      f.severity = Severity(result, rule);
      f.message = MessageOf(result, rule);
      const Json* locations = Find(result, "locations");
      if (locations != nullptr && locations->is_array() && !locations->empty()) {
        if (const Json* physical = Find((*locations)[0], "physicalLocation")) {
          if (const Json* artifact = Find(*physical, "artifactLocation"))
            f.file = ResolveUri(*artifact, run, workspace);
          if (const Json* region = Find(*physical, "region")) {
            const Json* line = Find(*region, "startLine");
            if (line != nullptr && line->is_number_integer()) f.line = line->get<int>();
          }
        }
      }
      if (const Json* fps = Find(result, "partialFingerprints");
          fps != nullptr && fps->is_object()) {
        for (const auto& [key, value] : fps->items()) {
          if (value.is_string() && !value.get<std::string>().empty()) {
            f.fingerprint = value.get<std::string>();
            break;
          }
        }
      }
      if (f.fingerprint.empty()) f.fingerprint = FindingFingerprint(f);
      report.findings.push_back(std::move(f));
    }
  }
  return report;
}

}  // namespace gantry::reports
