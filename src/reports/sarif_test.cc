#include "reports/sarif.h"

#include <gtest/gtest.h>

namespace gantry::reports {
namespace {

// Shaped like `codeql database analyze --format=sarif-latest`.
constexpr const char* kCodeql = R"~({
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
  "runs": [{
    "tool": {"driver": {"name": "CodeQL", "semanticVersion": "2.15.0", "rules": [
      {"id": "js/sql-injection", "properties": {"security-severity": "8.8", "tags": ["security"]}},
      {"id": "js/unused-local-variable", "defaultConfiguration": {"level": "note"},
       "messageStrings": {"default": {"text": "Unused variable {0}."}}},
      {"id": "js/log4shell", "properties": {"security-severity": 10.0}}]}},
    "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///ws/"}},
    "results": [
      {"ruleId": "js/sql-injection", "ruleIndex": 0, "level": "error",
       "message": {"text": "This query depends on a user-provided value."},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.js",
         "uriBaseId": "%SRCROOT%", "index": 0}, "region": {"startLine": 12, "startColumn": 5}}}],
       "partialFingerprints": {"primaryLocationLineHash": "abc123:1", "other": "x"}},
      {"rule": {"id": "js/unused-local-variable", "index": 1},
       "message": {"id": "default", "arguments": ["tmp"]},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "file:///ws/src/my%20app.js"},
         "region": {"startLine": 3}}}]},
      {"ruleId": "js/log4shell", "message": {"text": "critical"}},
      {"ruleId": "js/sql-injection", "ruleIndex": 0, "message": {"text": "suppressed"},
       "suppressions": [{"kind": "inSource"}]}
    ]}]})~";

TEST(SarifTest, CodeqlResultsWithSecuritySeverityRulesAndBaseIds) {
  auto r = ParseSarif(kCodeql, "codeql.sarif", "/ws");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->findings.size(), 3u);
  const Finding& sql = r->findings[0];
  EXPECT_EQ(sql.tool, "CodeQL");
  EXPECT_EQ(sql.rule_id, "js/sql-injection");
  EXPECT_EQ(sql.severity, "high");
  EXPECT_EQ(sql.message, "This query depends on a user-provided value.");
  EXPECT_EQ(sql.file, "src/db.js");
  EXPECT_EQ(sql.line, 12);
  EXPECT_EQ(sql.fingerprint, "abc123:1");
  const Finding& unused = r->findings[1];
  EXPECT_EQ(unused.rule_id, "js/unused-local-variable");
  EXPECT_EQ(unused.severity, "low");  // defaultConfiguration.level note
  EXPECT_EQ(unused.message, "Unused variable tmp.");
  EXPECT_EQ(unused.file, "src/my app.js");
  EXPECT_EQ(unused.fingerprint, FindingFingerprint(unused));
  EXPECT_EQ(unused.fingerprint.size(), 64u);
  EXPECT_EQ(r->findings[2].severity, "critical");
  EXPECT_EQ(r->findings[2].line, 0);
}

TEST(SarifTest, TrivySeverityTagsWinOverTheLevel) {
  const char* trivy = R"~({"version": "2.1.0", "runs": [{"tool": {"driver": {
    "fullName": "Trivy Vulnerability Scanner", "name": "Trivy", "rules": [
      {"id": "CVE-2023-0001", "properties": {"precision": "very-high", "tags": ["vulnerability", "security", "CRITICAL"]}},
      {"id": "CVE-2023-0002", "properties": {"tags": ["vulnerability", "LOW"]}}]}},
    "results": [
      {"ruleId": "CVE-2023-0001", "ruleIndex": 0, "level": "error", "message": {"text": "Package: openssl"},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "library/app", "uriBaseId": "ROOTPATH"},
         "region": {"startLine": 1}}}]},
      {"ruleId": "CVE-2023-0002", "ruleIndex": 1, "level": "note", "message": {"text": "Package: zlib"}}]}]})~";
  auto r = ParseSarif(trivy, "trivy.sarif", "/ws");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->findings.size(), 2u);
  EXPECT_EQ(r->findings[0].severity, "critical");
  EXPECT_EQ(r->findings[0].file, "library/app");
  EXPECT_EQ(r->findings[1].severity, "low");
}

TEST(SarifTest, RulesOfAQueryPackExtensionAreFoundThroughToolComponent) {
  const char* codeql = R"~({"version": "2.1.0", "runs": [{"tool": {
    "driver": {"name": "CodeQL", "rules": []},
    "extensions": [{"name": "codeql/python-queries", "rules": [
      {"id": "py/path-injection", "properties": {"security-severity": "7.5"}}]}]},
    "results": [{"ruleId": "py/path-injection", "rule": {"id": "py/path-injection", "index": 0,
      "toolComponent": {"index": 0}}, "message": {"text": "path"}}]}]})~";
  auto r = ParseSarif(codeql, "python.sarif", "/ws");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].severity, "high");
}

TEST(SarifTest, LevelsMapWithoutRules) {
  const char* semgrep = R"~({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}},
    "results": [{"ruleId": "a", "level": "error", "message": {"text": "1"}},
                {"ruleId": "b", "level": "warning", "message": {"text": "2"}},
                {"ruleId": "c", "level": "note", "message": {"text": "3"}},
                {"ruleId": "d", "level": "none", "message": {"text": "4"}},
                {"ruleId": "e", "message": {"text": "default level is warning"}}]}]})~";
  auto r = ParseSarif(semgrep, "s.sarif", "/ws");
  ASSERT_TRUE(r.ok());
  std::vector<std::string> got;
  for (const Finding& f : r->findings) got.push_back(f.severity);
  EXPECT_EQ(got, (std::vector<std::string>{"high", "medium", "low", "note", "medium"}));
}

TEST(SarifTest, ScoresMapToSeverities) {
  EXPECT_EQ(SeverityOfScore(9.0), "critical");
  EXPECT_EQ(SeverityOfScore(7.0), "high");
  EXPECT_EQ(SeverityOfScore(6.9), "medium");
  EXPECT_EQ(SeverityOfScore(4.0), "medium");
  EXPECT_EQ(SeverityOfScore(0.1), "low");
  EXPECT_EQ(SeverityOfScore(0.0), "note");
  EXPECT_LT(SeverityRank("critical"), SeverityRank("high"));
  EXPECT_EQ(SeverityRank("bogus"), 5);
}

TEST(SarifTest, FingerprintIgnoresTheLine) {
  Finding a{.tool = "t",
            .rule_id = "r",
            .severity = "high",
            .message = "m",
            .file = "f",
            .line = 1,
            .fingerprint = ""};
  Finding b = a;
  b.line = 40;
  EXPECT_EQ(FindingFingerprint(a), FindingFingerprint(b));
  b.file = "g";
  EXPECT_NE(FindingFingerprint(a), FindingFingerprint(b));
}

TEST(SarifTest, MalformedLogsAreErrors) {
  auto r = ParseSarif("{\"runs\": [\n{,\n]}", "bad.sarif", "/ws");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("bad.sarif:2: SARIF: invalid JSON", 0), 0u)
      << r.status().message();
  r = ParseSarif("{\"version\": \"2.1.0\"}", "x.sarif", "/ws");
  EXPECT_EQ(r.status().message(),
            "x.sarif: SARIF: 'runs' must be an array (is this a SARIF 2.1.0 log?)");
  r = ParseSarif("{\"runs\": [{\"results\": []}]}", "y.sarif", "/ws");
  EXPECT_EQ(r.status().message(), "y.sarif: SARIF: runs[0].tool.driver is missing");
}

}  // namespace
}  // namespace gantry::reports
