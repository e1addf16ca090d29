// The coverage parsers of reports/coverage.h, one per format.

#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "reports/coverage.h"

namespace gantry::reports {

namespace {

using nlohmann::json;

core::Status Malformed(std::string_view name, int line, std::string_view format,
                       const std::string& message) {
  return core::Status::InvalidArgument(std::string(name) + ":" + std::to_string(line) + ": " +
                                       std::string(format) + ": " + message);
}

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Hit counts of some tools overflow into floats ("1.2e+06") or carry a sign; they are only
// compared with zero.
bool ParseHits(std::string_view s, std::int64_t& out) {
  if (ParseNumber(s, out)) return true;
  double d = 0;
  if (!ParseNumber(s, d)) return false;
  out = d > 0 ? static_cast<std::int64_t>(std::max(1.0, d)) : 0;
  return true;
}

core::Result<json> ParseJson(std::string_view content, std::string_view name,
                             std::string_view format) {
  try {
    return json::parse(content);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 4: syntax error ..."
    std::size_t colon = what.find(": ", what.find("parse error"));
    return Malformed(
        name, LineOfOffset(content, e.byte > 0 ? e.byte - 1 : 0), format,
        "invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)));
  }
}

}  // namespace

core::Result<CoverageData> ParseLcov(std::string_view content, std::string_view name) {
  CoverageData data;
  data.format = "lcov";
  FileLines* current = nullptr;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t nl = content.find('\n', pos);
    std::string_view line = content.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? content.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::size_t colon = line.find(':');
    std::string_view key = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (key == "SF") {
      if (value.empty()) return Malformed(name, line_no, "LCOV", "SF without a file name");
      current = &data.files[std::string(value)];
      continue;
    }
    if (key == "end_of_record") {
      if (current == nullptr) return Malformed(name, line_no, "LCOV", "end_of_record without SF");
      current = nullptr;
      continue;
    }
    if (key == "DA" || key == "LF" || key == "LH") {
      if (current == nullptr)
        return Malformed(name, line_no, "LCOV", std::string(key) + " outside an SF record");
      if (key == "DA") {
        std::size_t comma = value.find(',');
        std::size_t comma2 = comma == std::string_view::npos ? comma : value.find(',', comma + 1);
        int number = 0;
        std::int64_t hits = 0;
        if (comma == std::string_view::npos || !ParseNumber(value.substr(0, comma), number) ||
            !ParseHits(
                value.substr(comma + 1, comma2 == std::string_view::npos ? std::string_view::npos
                                                                         : comma2 - comma - 1),
                hits) ||
            number < 0) {
          return Malformed(name, line_no, "LCOV",
                           "DA must be 'DA:<line>,<hits>', got '" + std::string(line) + "'");
        }
        current->lines[number] += hits;
      } else {
        std::int64_t n = 0;
        if (!ParseNumber(value, n) || n < 0)
          return Malformed(name, line_no, "LCOV", std::string(key) + " is not a number");
        current->has_summary = true;
        (key == "LF" ? current->summary_total : current->summary_covered) = n;
      }
      continue;
    }
    // TN, FN, FNDA, FNF, FNH, BRDA, BRF, BRH, VER: functions and branches are not reported.
    if (colon == std::string_view::npos || key.empty() ||
        key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string_view::npos) {
      return Malformed(name, line_no, "LCOV", "unexpected line '" + std::string(line) + "'");
    }
  }
  if (current != nullptr) return Malformed(name, line_no, "LCOV", "missing end_of_record");
  return data;
}

core::Result<CoverageData> ParseCobertura(std::string_view content, std::string_view name) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(content.data(), content.size());
  if (!parsed) {
    return Malformed(name, LineOfOffset(content, static_cast<std::size_t>(parsed.offset)),
                     "Cobertura XML", parsed.description());
  }
  pugi::xml_node root = doc.child("coverage");
  if (!root) {
    return core::Status::InvalidArgument(
        std::string(name) +
        ": not a coverage report this action reads (an XML file whose root "
        "is not <coverage>; JUnit XML goes to gantry/test-report)");
  }
  std::vector<std::string> sources;
  for (pugi::xml_node s : root.child("sources").children("source")) {
    std::string text = s.text().get();
    std::size_t b = text.find_first_not_of(" \t\r\n");
    std::size_t e = text.find_last_not_of(" \t\r\n");
    if (b != std::string::npos) sources.push_back(text.substr(b, e - b + 1));
  }
  CoverageData data;
  data.format = "cobertura";
  for (pugi::xml_node package : root.child("packages").children("package")) {
    for (pugi::xml_node cls : package.child("classes").children("class")) {
      std::string file = cls.attribute("filename").value();
      if (file.empty()) continue;
      // The filename is relative to one of <sources>: the first under which it exists.
      if (file[0] != '/' && !sources.empty()) {
        std::string chosen = sources[0];
        for (const std::string& s : sources) {
          std::error_code ec;
          if (std::filesystem::exists(s + "/" + file, ec)) {
            chosen = s;
            break;
          }
        }
        file = chosen + "/" + file;
      }
      FileLines& f = data.files[file];
      for (pugi::xml_node l : cls.child("lines").children("line")) {
        int number = 0;
        std::int64_t hits = 0;
        if (!ParseNumber(l.attribute("number").value(), number) ||
            !ParseHits(l.attribute("hits").value(), hits)) {
          return Malformed(name, LineOfOffset(content, static_cast<std::size_t>(l.offset_debug())),
                           "Cobertura XML", "<line> needs numeric 'number' and 'hits' attributes");
        }
        f.lines[number] += hits;
      }
    }
  }
  return data;
}

core::Result<CoverageData> ParseCoveragePy(std::string_view content, std::string_view name) {
  auto parsed = ParseJson(content, name, "coverage.py JSON");
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  auto shape = [&](const std::string& what) {
    return core::Status::InvalidArgument(std::string(name) + ": coverage.py JSON: " + what);
  };
  if (!j.is_object() || !j.contains("files") || !j["files"].is_object())
    return shape("'files' must be an object of file → coverage");
  CoverageData data;
  data.format = "coverage.py";
  for (const auto& item : j["files"].items()) {
    // Named, not structured bindings: the lambda below captures them.
    const std::string& path = item.key();
    const json& f = item.value();
    if (!f.is_object()) return shape("files[\"" + path + "\"] is not an object");
    FileLines& out = data.files[path];
    auto lines = [&](const char* key, std::int64_t hits) -> core::Status {
      auto it = f.find(key);
      if (it == f.end()) return core::Status::Ok();
      if (!it->is_array()) return shape("files[\"" + path + "\"]." + key + " is not an array");
      for (const json& n : *it) {
        if (!n.is_number_integer())
          return shape("files[\"" + path + "\"]." + key + " holds a non-integer");
        std::int64_t& h = out.lines[n.get<int>()];
        h = std::max(h, hits);
      }
      return core::Status::Ok();
    };
    GANTRY_RETURN_IF_ERROR(lines("missing_lines", 0));
    GANTRY_RETURN_IF_ERROR(lines("executed_lines", 1));
    if (auto s = f.find("summary"); s != f.end() && s->is_object()) {
      out.has_summary = true;
      out.summary_total = s->value("num_statements", std::int64_t{0});
      out.summary_covered = s->value("covered_lines", std::int64_t{0});
    }
  }
  return data;
}

core::Result<CoverageData> ParseGcovr(std::string_view content, std::string_view name) {
  auto parsed = ParseJson(content, name, "gcovr JSON");
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  auto shape = [&](const std::string& what) {
    return core::Status::InvalidArgument(std::string(name) + ": gcovr JSON: " + what);
  };
  if (!j.is_object() || !j.contains("files") || !j["files"].is_array())
    return shape("'files' must be an array");
  std::string root = j.value("root", std::string());
  CoverageData data;
  data.format = "gcovr";
  for (std::size_t i = 0; i < j["files"].size(); ++i) {
    const json& f = j["files"][i];
    std::string where = "files[" + std::to_string(i) + "]";
    if (!f.is_object()) return shape(where + " is not an object");
    // `gcovr --json` names the file "file", `--json-summary` "filename".
    std::string path = f.value("file", f.value("filename", std::string()));
    if (path.empty()) return shape(where + " has no 'file' or 'filename'");
    if (path[0] != '/' && !root.empty() && root != ".") path = root + "/" + path;
    FileLines& out = data.files[path];
    if (auto lines = f.find("lines"); lines != f.end()) {
      if (!lines->is_array()) return shape(where + ".lines is not an array");
      for (const json& l : *lines) {
        if (!l.is_object() || !l.contains("line_number") || !l["line_number"].is_number_integer())
          return shape(where + ".lines: each needs an integer 'line_number'");
        if (l.value("gcovr/noncode", false)) continue;
        std::int64_t count = l.contains("count") && l["count"].is_number()
                                 ? static_cast<std::int64_t>(l["count"].get<double>())
                                 : 0;
        out.lines[l["line_number"].get<int>()] += count;
      }
    } else if (f.contains("line_total")) {
      if (!f["line_total"].is_number_integer() || !f.value("line_covered", json(0)).is_number())
        return shape(where + ": 'line_total' and 'line_covered' must be numbers");
      out.has_summary = true;
      out.summary_total = f["line_total"].get<std::int64_t>();
      out.summary_covered = f.value("line_covered", std::int64_t{0});
    }
  }
  return data;
}

core::Result<CoverageData> ParseGoCover(std::string_view content, std::string_view name) {
  CoverageData data;
  data.format = "go";
  int line_no = 0;
  std::size_t pos = 0;
  bool mode_seen = false;
  while (pos < content.size()) {
    std::size_t nl = content.find('\n', pos);
    std::string_view line = content.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? content.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    // `go test -coverprofile` over several packages writes one mode line; merging tools
    // (gocovmerge, concatenation) may repeat it.
    if (line.starts_with("mode:")) {
      mode_seen = true;
      continue;
    }
    if (!mode_seen) return Malformed(name, line_no, "Go cover profile", "missing 'mode:' line");
    // file:l.c,l.c numStmt count; the file may contain ':' (Windows drives), the block not.
    auto bad = [&] {
      return Malformed(
          name, line_no, "Go cover profile",
          "expected 'file:line.col,line.col statements count', got '" + std::string(line) + "'");
    };
    std::size_t colon = line.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return bad();
    std::string_view rest = line.substr(colon + 1);
    std::size_t sp1 = rest.find(' ');
    std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : rest.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return bad();
    std::string_view block = rest.substr(0, sp1);
    std::int64_t stmts = 0, count = 0;
    if (block.find(',') == std::string_view::npos ||
        !ParseNumber(rest.substr(sp1 + 1, sp2 - sp1 - 1), stmts) ||
        !ParseNumber(rest.substr(sp2 + 1), count) || stmts < 0) {
      return bad();
    }
    auto& b = data.files[std::string(line.substr(0, colon))].blocks[std::string(block)];
    b.first = stmts;
    b.second += count;
  }
  if (!mode_seen) return Malformed(name, 1, "Go cover profile", "missing 'mode:' line");
  return data;
}

}  // namespace gantry::reports
