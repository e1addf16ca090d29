#include "reports/junit.h"

#include <algorithm>
#include <cstdlib>
#include <pugixml.hpp>
#include <string>
#include <utility>

#include "reports/coverage.h"

namespace gantry::reports {

namespace {

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string Cap(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

std::string Trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// The text and CDATA content of `node`.
std::string TextOf(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return Trim(out);
}

// "1.5", "1,234.5" (surefire writes thousands separators in some locales), "" → 0.
double Seconds(const char* value) {
  std::string s;
  for (const char* p = value; *p != '\0'; ++p) {
    if (*p != ',') s += *p;
  }
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  return end != s.c_str() && d > 0 ? d : 0;
}

class Reader {
 public:
  explicit Reader(TestReport& report) : report_(report) {}

  void Suite(pugi::xml_node suite) {
    for (pugi::xml_node child : suite.children()) {
      std::string_view tag = child.name();
      if (tag == "testsuite") Suite(child);
      if (tag == "testcase") Case(suite, child);
    }
  }

  double case_seconds = 0;

 private:
  void Case(pugi::xml_node suite, pugi::xml_node node) {
    TestCase c;
    c.suite = suite.attribute("name").value();
    c.classname = node.attribute("classname").value();
    c.name = node.attribute("name").value();
    c.file = node.attribute("file").value();
    c.seconds = Seconds(node.attribute("time").value());
    case_seconds += c.seconds;
    pugi::xml_node problem = node.child("failure");
    if (!problem) problem = node.child("error");
    pugi::xml_node skipped = node.child("skipped");
    std::string_view status = node.attribute("status").value();
    std::string_view result = node.attribute("result").value();
    if (problem) {
      c.status = TestStatus::kFailed;
    } else if (skipped || status == "notrun" || result == "skipped" || result == "suppressed") {
      c.status = TestStatus::kSkipped;
      problem = skipped;
    }
    if (problem) {
      std::string text = TextOf(problem);
      c.message = Trim(problem.attribute("message").value());
      if (c.message.empty()) c.message = Trim(std::string_view(text).substr(0, text.find('\n')));
      c.message = Cap(std::move(c.message), 1024);
      c.details = Cap(std::move(text), kMaxTestDetails);
    }
    switch (c.status) {
      case TestStatus::kPassed:
        ++report_.passed;
        if (report_.cases.size() >= kMaxTestCases) return;
        break;
      case TestStatus::kFailed:
        ++report_.failed;
        break;
      case TestStatus::kSkipped:
        ++report_.skipped;
        break;
    }
    report_.cases.push_back(std::move(c));
  }

  TestReport& report_;
};

}  // namespace

core::Result<TestReport> ParseJUnit(std::string_view content, std::string_view name) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(content.data(), content.size());
  if (!parsed) {
    return core::Status::InvalidArgument(
        std::string(name) + ":" +
        std::to_string(LineOfOffset(content, static_cast<std::size_t>(parsed.offset))) +
        ": JUnit XML: " + parsed.description());
  }
  pugi::xml_node root = doc.document_element();
  std::string_view tag = root.name();
  if (tag != "testsuites" && tag != "testsuite") {
    return core::Status::InvalidArgument(
        std::string(name) + ":" + std::to_string(LineOfOffset(content, root.offset_debug())) +
        ": JUnit XML: the root element is <" + std::string(tag) +
        ">, expected <testsuites> or <testsuite>");
  }
  TestReport report;
  Reader reader(report);
  reader.Suite(tag == "testsuite" ? doc : root);
  // The run's time: the root's, else the outermost suites', else the cases' sum.
  double seconds = Seconds(root.attribute("time").value());
  if (seconds == 0 && tag == "testsuites") {
    for (pugi::xml_node s : root.children("testsuite"))
      seconds += Seconds(s.attribute("time").value());
  }
  report.seconds = seconds > 0 ? seconds : reader.case_seconds;
  return report;
}

void MergeTests(TestReport& into, TestReport from) {
  into.passed += from.passed;
  into.failed += from.failed;
  into.skipped += from.skipped;
  into.seconds += from.seconds;
  for (TestCase& c : from.cases) {
    if (c.status == TestStatus::kPassed && into.cases.size() >= kMaxTestCases) continue;
    into.cases.push_back(std::move(c));
  }
}

}  // namespace gantry::reports
