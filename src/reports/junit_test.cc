#include "reports/junit.h"

#include <gtest/gtest.h>

namespace gantry::reports {
namespace {

TEST(JUnitTest, PytestReport) {
  const char* xml = R"~(<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.123"
    timestamp="2024-01-01T00:00:00" hostname="h">
  <testcase classname="tests.test_a" name="test_ok" time="0.001" />
  <testcase classname="tests.test_a" name="test_bad" file="tests/test_a.py" line="7" time="0.002">
    <failure message="assert 1 == 2">def test_bad():
&gt;       assert 1 == 2
E       assert 1 == 2</failure>
  </testcase>
  <testcase classname="tests.test_a" name="test_err" time="0.003">
    <error message="failed on setup with &quot;fixture 'x' not found&quot;">setup failed</error>
  </testcase>
  <testcase classname="tests.test_a" name="test_skip" time="0.000">
    <skipped type="pytest.skip" message="not on linux">tests/test_a.py:20: not on linux</skipped>
    <system-out>ignored</system-out>
  </testcase>
</testsuite></testsuites>)~";
  auto r = ParseJUnit(xml, "report.xml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->passed, 1);
  EXPECT_EQ(r->failed, 2);
  EXPECT_EQ(r->skipped, 1);
  EXPECT_DOUBLE_EQ(r->seconds, 0.123);
  ASSERT_EQ(r->cases.size(), 4u);
  const TestCase& bad = r->cases[1];
  EXPECT_EQ(bad.suite, "pytest");
  EXPECT_EQ(bad.classname, "tests.test_a");
  EXPECT_EQ(bad.name, "test_bad");
  EXPECT_EQ(bad.file, "tests/test_a.py");
  EXPECT_EQ(bad.status, TestStatus::kFailed);
  EXPECT_EQ(bad.message, "assert 1 == 2");
  EXPECT_NE(bad.details.find(">       assert 1 == 2"), std::string::npos);
  EXPECT_EQ(r->cases[2].message, "failed on setup with \"fixture 'x' not found\"");
  EXPECT_EQ(r->cases[3].status, TestStatus::kSkipped);
  EXPECT_EQ(r->cases[3].message, "not on linux");
}

TEST(JUnitTest, JestJunitTakesTheMessageFromTheTextsFirstLine) {
  const char* xml = R"~(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="2" failures="1" errors="0" time="1.5">
  <testsuite name="sum" errors="0" failures="1" skipped="0" timestamp="2024" time="1.2" tests="2">
    <testcase classname="sum adds" name="sum adds" time="0.004"></testcase>
    <testcase classname="sum fails" name="sum fails" time="0.01">
      <failure>Error: expect(received).toBe(expected)

Expected: 3
Received: 4
    at Object.toBe (sum.test.js:8:17)</failure>
    </testcase>
  </testsuite>
</testsuites>)~";
  auto r = ParseJUnit(xml, "junit.xml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->passed, 1);
  EXPECT_EQ(r->failed, 1);
  EXPECT_DOUBLE_EQ(r->seconds, 1.5);
  EXPECT_EQ(r->cases[1].message, "Error: expect(received).toBe(expected)");
}

TEST(JUnitTest, GoJunitReportWithProperties) {
  const char* xml = R"~(<testsuites tests="3" failures="1">
	<testsuite name="example.com/m/pkg" tests="3" failures="1" errors="0" id="0" time="0.010">
		<properties><property name="go.version" value="go1.21"></property></properties>
		<testcase name="TestA" classname="example.com/m/pkg" time="0.000"></testcase>
		<testcase name="TestB" classname="example.com/m/pkg" time="0.010">
			<failure message="Failed"><![CDATA[    b_test.go:9: want 2, got 3]]></failure>
		</testcase>
		<testcase name="TestC" classname="example.com/m/pkg" time="0.000">
			<skipped message="b_test.go:12: later"></skipped>
		</testcase>
	</testsuite>
</testsuites>)~";
  auto r = ParseJUnit(xml, "go.xml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->passed, 1);
  EXPECT_EQ(r->failed, 1);
  EXPECT_EQ(r->skipped, 1);
  EXPECT_EQ(r->cases[1].details, "b_test.go:9: want 2, got 3");
  EXPECT_DOUBLE_EQ(r->seconds, 0.010);
}

TEST(JUnitTest, GtestNotrunAndSkippedResultsAreSkipped) {
  const char* xml = R"~(<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" failures="1" disabled="1" errors="0" time="0.02" name="AllTests">
  <testsuite name="PlanTest" tests="4" failures="1" disabled="1" skipped="1" errors="0" time="0.02">
    <testcase name="Works" file="plan_test.cc" line="5" status="run" result="completed" time="0." classname="PlanTest" />
    <testcase name="Breaks" status="run" result="completed" time="0.01" classname="PlanTest">
      <failure message="plan_test.cc:12&#x0A;Expected equality of these values:&#x0A;  1&#x0A;  2" type=""><![CDATA[plan_test.cc:12
Expected equality of these values:
  1
  2]]></failure>
    </testcase>
    <testcase name="DISABLED_Old" status="notrun" result="suppressed" time="0" classname="PlanTest" />
    <testcase name="Later" status="run" result="skipped" time="0" classname="PlanTest"><skipped message="plan_test.cc:30&#x0A;"><![CDATA[plan_test.cc:30]]></skipped></testcase>
  </testsuite>
</testsuites>)~";
  auto r = ParseJUnit(xml, "gtest.xml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->passed, 1);
  EXPECT_EQ(r->failed, 1);
  EXPECT_EQ(r->skipped, 2);
  EXPECT_EQ(r->cases[1].message.rfind("plan_test.cc:12\nExpected equality", 0), 0u);
}

TEST(JUnitTest, SurefireBareTestsuiteWithNestedSuiteAndThousandsSeparators) {
  const char* xml = R"~(<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="com.acme.AppTest"
    time="1,234.5" tests="2" errors="1" skipped="0" failures="0">
  <properties><property name="java.version" value="17"/></properties>
  <testcase name="ok" classname="com.acme.AppTest" time="1,000.25"/>
  <testcase name="npe" classname="com.acme.AppTest" time="0.1">
    <error message="boom" type="java.lang.NullPointerException">java.lang.NullPointerException: boom
	at com.acme.AppTest.npe(AppTest.java:20)</error>
    <system-out><![CDATA[log]]></system-out>
  </testcase>
  <testsuite name="inner"><testcase name="deep" classname="x"/></testsuite>
</testsuite>)~";
  auto r = ParseJUnit(xml, "TEST-com.acme.AppTest.xml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->passed, 2);
  EXPECT_EQ(r->failed, 1);
  EXPECT_DOUBLE_EQ(r->seconds, 1234.5);
  EXPECT_DOUBLE_EQ(r->cases[0].seconds, 1000.25);
  EXPECT_EQ(r->cases[2].suite, "inner");
}

TEST(JUnitTest, DetailsAreCappedAt4KiB) {
  std::string xml = "<testsuite><testcase name=\"t\"><failure message=\"m\">" +
                    std::string(10000, 'x') + "</failure></testcase></testsuite>";
  auto r = ParseJUnit(xml, "big.xml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cases[0].details.size(), kMaxTestDetails);
}

TEST(JUnitTest, MalformedXmlAndWrongRootAreErrorsWithFileAndLine) {
  auto r = ParseJUnit("<testsuite>\n<testcase name='a'>\n</testsuite>", "r.xml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("r.xml:3: JUnit XML: ", 0), 0u) << r.status().message();
  r = ParseJUnit("<?xml version=\"1.0\"?>\n<coverage/>", "c.xml");
  EXPECT_EQ(r.status().message(),
            "c.xml:2: JUnit XML: the root element is <coverage>, expected <testsuites> or "
            "<testsuite>");
}

TEST(JUnitTest, MergeKeepsFailedCasesBeyondTheCap) {
  TestReport all;
  TestReport many;
  many.passed = static_cast<std::int64_t>(kMaxTestCases);
  many.cases.resize(kMaxTestCases);
  MergeTests(all, many);
  TestReport more;
  more.passed = 1;
  more.failed = 1;
  more.cases.resize(2);
  more.cases[1].status = TestStatus::kFailed;
  MergeTests(all, more);
  EXPECT_EQ(all.passed, static_cast<std::int64_t>(kMaxTestCases) + 1);
  EXPECT_EQ(all.failed, 1);
  EXPECT_EQ(all.cases.size(), kMaxTestCases + 1);
  EXPECT_EQ(all.cases.back().status, TestStatus::kFailed);
}

}  // namespace
}  // namespace gantry::reports
