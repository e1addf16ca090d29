#include "server/git_http.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace gantry::server {
namespace {

std::string Gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(
      deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(GitHttpTest, PktLineCountsItsOwnFourBytesInLowerCaseHex) {
  EXPECT_EQ(PktLine("a\n"), "0006a\n");
  EXPECT_EQ(PktLine(""), "0004");
  EXPECT_EQ(PktLine(std::string(250, 'x')).substr(0, 4), "00fe");
  EXPECT_EQ(PktLine(std::string(kMaxPktPayload, 'x')).substr(0, 4), "fff0");
  EXPECT_EQ(PktLine(std::string(kMaxPktPayload, 'x')).size(), 65520u);
}

TEST(GitHttpTest, PktLineOverTheLimitIsABug) {
  EXPECT_DEATH(PktLine(std::string(kMaxPktPayload + 1, 'x')), "does not fit a pkt-line");
}

TEST(GitHttpTest, ServiceAnnouncementIsAPktLineAndAFlush) {
  // What git http-backend sends before upload-pack's advertisement (protocol v0/v1).
  EXPECT_EQ(ServiceAnnouncement("git-upload-pack"), "001e# service=git-upload-pack\n0000");
}

TEST(GitHttpTest, GunzipInflatesWhatGzipMade) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += PktLine("have " + std::string(40, 'a' + i % 6) + "\n");
  auto r = Gunzip(Gzip(text), 1 << 20);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value(), text);
}

TEST(GitHttpTest, GunzipRefusesGarbageTruncationAndBombs) {
  EXPECT_EQ(Gunzip("0032want abc", 1 << 20).status().code(), core::StatusCode::kInvalidArgument);
  std::string gz = Gzip(std::string(100000, 'z'));
  EXPECT_EQ(Gunzip(gz.substr(0, gz.size() / 2), 1 << 20).status().code(),
            core::StatusCode::kInvalidArgument);
  auto big = Gunzip(gz, 1000);
  EXPECT_EQ(big.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("more than 1000 bytes"), std::string::npos);
}

TEST(GitHttpTest, ProtocolV2IsOneOfTheColonSeparatedPairs) {
  EXPECT_TRUE(WantsProtocolV2("version=2"));
  EXPECT_TRUE(WantsProtocolV2("object-format=sha1:version=2"));
  EXPECT_FALSE(WantsProtocolV2(""));
  EXPECT_FALSE(WantsProtocolV2("version=1"));
  EXPECT_FALSE(WantsProtocolV2("version=20"));
}

TEST(GitHttpTest, JobGitUrlIsUnderTheExecutorProtocol) {
  EXPECT_EQ(JobGitUrl("https://ci.example.org", 17),
            "https://ci.example.org/api/v1/executor/jobs/17/git");
}

}  // namespace
}  // namespace gantry::server
