#include "cli/sse_stream.h"

#include <gtest/gtest.h>

#include <vector>

namespace gantry::cli {
namespace {

std::vector<SseEvent> FeedAll(SseParser& p, const std::vector<std::string>& pieces) {
  std::vector<SseEvent> events;
  for (const std::string& piece : pieces) {
    p.Feed(piece, [&events](const SseEvent& e) {
      events.push_back(e);
      return true;
    });
  }
  return events;
}

TEST(SseParserTest, EventsSplitAnywhereComeOutWhole) {
  SseParser p;
  std::string stream =
      "id: 1\nevent: run\ndata: {\"status\":\"queued\"}\n\n: keep-alive\n\nid: 2\r\nevent: job\r\n"
      "data: a\r\ndata: b\r\n\r\nevent: end\ndata: {}\n\n";
  // Every split point gives the same events.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser q;
    auto events = FeedAll(q, {stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(events.size(), 3U) << cut;
    EXPECT_EQ(events[0].id, "1");
    EXPECT_EQ(events[0].event, "run");
    EXPECT_EQ(events[0].data, "{\"status\":\"queued\"}");
    EXPECT_EQ(events[1].id, "2");
    EXPECT_EQ(events[1].event, "job");
    EXPECT_EQ(events[1].data, "a\nb");
    EXPECT_EQ(events[2].event, "end");
    EXPECT_EQ(events[2].id, "2");  // the last id carries on
    EXPECT_EQ(q.last_id(), "2");
  }
}

TEST(SseParserTest, UnnamedEventsAreMessagesAndEmptyOnesAreDropped) {
  SseParser p;
  auto events = FeedAll(p, {"id: 40\n\ndata: line one\ndata:line two\n\n"});
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "line one\nline two");
  EXPECT_EQ(events[0].id, "40");
}

TEST(SseParserTest, TheHandlerStopsTheParser) {
  SseParser p;
  int seen = 0;
  bool more = p.Feed("data: 1\n\ndata: 2\n\n", [&seen](const SseEvent&) {
    ++seen;
    return false;
  });
  EXPECT_FALSE(more);
  EXPECT_EQ(seen, 1);
}

TEST(SseParserTest, ResetDropsAHalfReadEventButKeepsTheLastId) {
  SseParser p;
  auto first = FeedAll(p, {"id: 7\ndata: whole\n\nid: 8\ndata: half"});
  ASSERT_EQ(first.size(), 1U);
  p.Reset();
  auto second = FeedAll(p, {"\n\ndata: next\n\n"});
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0].data, "next");
  EXPECT_EQ(p.last_id(), "8");
}

}  // namespace
}  // namespace gantry::cli
