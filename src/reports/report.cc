#include "reports/report.h"

#include <nlohmann/json.hpp>

namespace gantry::reports {

namespace {

using nlohmann::json;

// Reads a field of the wire format; a wrong type names the field.
template <typename T>
core::Status Read(const json& obj, const char* field, const std::string& where, T& out) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return core::Status::Ok();
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    return core::Status::InvalidArgument(where + field + ": wrong type");
  }
  return core::Status::Ok();
}

core::Result<json> ParseObject(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return core::Status::InvalidArgument("report: not a JSON object");
  return j;
}

core::Result<const json*> ArrayField(const json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_array()) return core::Status::InvalidArgument(std::string(field) + ": not an array");
  return &*it;
}

#define GANTRY_READ(obj, field, where, out)                                       \
  do {                                                                            \
    if (core::Status s = Read((obj), (field), (where), (out)); !s.ok()) return s; \
  } while (false)

}  // namespace

double CoverageReport::Percent() const {
  if (lines_total <= 0) return 100.0;
  return 100.0 * static_cast<double>(lines_covered) / static_cast<double>(lines_total);
}

const char* TestStatusName(TestStatus s) {
  switch (s) {
    case TestStatus::kPassed:
      return "passed";
    case TestStatus::kFailed:
      return "failed";
    case TestStatus::kSkipped:
      return "skipped";
  }
  return "passed";
}

std::string ToJson(const CoverageReport& r) {
  json files = json::array();
  for (const FileCoverage& f : r.files)
    files.push_back(
        {{"path", f.path}, {"lines_total", f.lines_total}, {"lines_covered", f.lines_covered}});
  json j = {{"format", r.format},
            {"lines_total", r.lines_total},
            {"lines_covered", r.lines_covered},
            {"percent", r.Percent()},
            {"files", std::move(files)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ToJson(const TestReport& r) {
  json cases = json::array();
  for (const TestCase& c : r.cases)
    cases.push_back({{"suite", c.suite},
                     {"classname", c.classname},
                     {"name", c.name},
                     {"file", c.file},
                     {"seconds", c.seconds},
                     {"status", TestStatusName(c.status)},
                     {"message", c.message},
                     {"details", c.details}});
  json j = {{"passed", r.passed},
            {"failed", r.failed},
            {"skipped", r.skipped},
            {"seconds", r.seconds},
            {"cases", std::move(cases)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ToJson(const SecurityReport& r) {
  json findings = json::array();
  for (const Finding& f : r.findings)
    findings.push_back({{"tool", f.tool},
                        {"rule_id", f.rule_id},
                        {"severity", f.severity},
                        {"message", f.message},
                        {"file", f.file},
                        {"line", f.line},
                        {"fingerprint", f.fingerprint}});
  json j = {{"findings", std::move(findings)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

core::Result<CoverageReport> CoverageFromJson(std::string_view text) {
  auto parsed = ParseObject(text);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  CoverageReport r;
  GANTRY_READ(j, "format", "", r.format);
  GANTRY_READ(j, "lines_total", "", r.lines_total);
  GANTRY_READ(j, "lines_covered", "", r.lines_covered);
  auto files = ArrayField(j, "files");
  if (!files.ok()) return files.status();
  if (*files != nullptr) {
    for (std::size_t i = 0; i < (*files)->size(); ++i) {
      const json& f = (**files)[i];
      std::string where = "files[" + std::to_string(i) + "].";
      if (!f.is_object()) return core::Status::InvalidArgument(where + ": not an object");
      FileCoverage fc;
      GANTRY_READ(f, "path", where, fc.path);
      GANTRY_READ(f, "lines_total", where, fc.lines_total);
      GANTRY_READ(f, "lines_covered", where, fc.lines_covered);
      r.files.push_back(std::move(fc));
    }
  }
  if (r.lines_total < 0 || r.lines_covered < 0 || r.lines_covered > r.lines_total)
    return core::Status::InvalidArgument("lines_covered: must lie between 0 and lines_total");
  return r;
}

core::Result<TestReport> TestsFromJson(std::string_view text) {
  auto parsed = ParseObject(text);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  TestReport r;
  GANTRY_READ(j, "passed", "", r.passed);
  GANTRY_READ(j, "failed", "", r.failed);
  GANTRY_READ(j, "skipped", "", r.skipped);
  GANTRY_READ(j, "seconds", "", r.seconds);
  auto cases = ArrayField(j, "cases");
  if (!cases.ok()) return cases.status();
  if (*cases != nullptr) {
    for (std::size_t i = 0; i < (*cases)->size(); ++i) {
      const json& c = (**cases)[i];
      std::string where = "cases[" + std::to_string(i) + "].";
      if (!c.is_object()) return core::Status::InvalidArgument(where + ": not an object");
      TestCase tc;
      std::string status = "passed";
      GANTRY_READ(c, "suite", where, tc.suite);
      GANTRY_READ(c, "classname", where, tc.classname);
      GANTRY_READ(c, "name", where, tc.name);
      GANTRY_READ(c, "file", where, tc.file);
      GANTRY_READ(c, "seconds", where, tc.seconds);
      GANTRY_READ(c, "status", where, status);
      GANTRY_READ(c, "message", where, tc.message);
      GANTRY_READ(c, "details", where, tc.details);
      if (status == "passed") {
        tc.status = TestStatus::kPassed;
      } else if (status == "failed") {
        tc.status = TestStatus::kFailed;
      } else if (status == "skipped") {
        tc.status = TestStatus::kSkipped;
      } else {
        return core::Status::InvalidArgument(where + "status: must be passed, failed or skipped");
      }
      r.cases.push_back(std::move(tc));
    }
  }
  return r;
}

core::Result<SecurityReport> SecurityFromJson(std::string_view text) {
  auto parsed = ParseObject(text);
  if (!parsed.ok()) return parsed.status();
  SecurityReport r;
  auto findings = ArrayField(*parsed, "findings");
  if (!findings.ok()) return findings.status();
  if (*findings != nullptr) {
    for (std::size_t i = 0; i < (*findings)->size(); ++i) {
      const json& f = (**findings)[i];
      std::string where = "findings[" + std::to_string(i) + "].";
      if (!f.is_object()) return core::Status::InvalidArgument(where + ": not an object");
      Finding fd;
      GANTRY_READ(f, "tool", where, fd.tool);
      GANTRY_READ(f, "rule_id", where, fd.rule_id);
      GANTRY_READ(f, "severity", where, fd.severity);
      GANTRY_READ(f, "message", where, fd.message);
      GANTRY_READ(f, "file", where, fd.file);
      GANTRY_READ(f, "line", where, fd.line);
      GANTRY_READ(f, "fingerprint", where, fd.fingerprint);
      if (fd.fingerprint.empty())
        return core::Status::InvalidArgument(where + "fingerprint: must not be empty");
      r.findings.push_back(std::move(fd));
    }
  }
  return r;
}

}  // namespace gantry::reports
