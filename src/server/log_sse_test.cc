#include "server/log_sse.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

constexpr const char* kStamp = "2026-12-06T09:00:00.123Z ";

TEST(LogSseTest, LinesWithoutCarriageReturnsAreUnchanged) {
  EXPECT_EQ(TerminalLine(std::string(kStamp) + "hello"), std::string(kStamp) + "hello");
  EXPECT_EQ(TerminalLine("no stamp"), "no stamp");
  EXPECT_EQ(TerminalLine(""), "");
}

TEST(LogSseTest, CarriageReturnKeepsTheLastRewriteAndTheStamp) {
  EXPECT_EQ(TerminalLine(std::string(kStamp) + "10%\r50%\r100%"), std::string(kStamp) + "100%");
  EXPECT_EQ(TerminalLine(std::string(kStamp) + "done\r"), std::string(kStamp) + "done");
  EXPECT_EQ(TerminalLine(std::string(kStamp) + "a\r\rb\r\r"), std::string(kStamp) + "b");
  EXPECT_EQ(TerminalLine("10%\r100%"), "100%");  // no stamp: nothing to keep in front
  EXPECT_EQ(TerminalLine("\r\r"), "");
}

TEST(LogSseTest, DataLinesNeverHoldABareCarriageReturn) {
  std::string text = std::string(kStamp) + "one\n" + kStamp + "1/3\r2/3\r3/3\n" + kStamp +
                     "crlf\r\n" + kStamp + "x\ry";
  std::string data = SseLogData(text);
  EXPECT_EQ(data, "data: " + std::string(kStamp) + "one\ndata: " + kStamp + "3/3\ndata: " + kStamp +
                      "crlf\ndata: " + kStamp + "y\n");
  EXPECT_EQ(data.find('\r'), std::string::npos);
  EXPECT_EQ(SseLogData(""), "");
}

}  // namespace
}  // namespace gantry::server
