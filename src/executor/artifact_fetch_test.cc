#include "executor/artifact_fetch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "executor/artifact_zip.h"
#include "executor/test_util.h"

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;
using testing::FakeTransport;
using testing::RecordingPolicy;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class ArtifactFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-artifact-fetch-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The zip of a tree holding `files` (relative path -> content).
  std::string Zip(const std::map<std::string, std::string>& files) {
    fs::path tree = fs::path(dir_) / ("tree" + std::to_string(++trees_));
    for (const auto& [rel, text] : files) Write(tree / rel, text);
    std::string zip = tree.string() + ".zip";
    core::Status st = ZipDirectory(tree.string(), zip);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return Read(zip);
  }

  std::string dir_;
  int trees_ = 0;
};

TEST_F(ArtifactFetchTest, UnzipIsTheInverseOfZip) {
  std::string zip = Zip({{"a.txt", "alpha\n"}, {"sub/deeper/b.bin", std::string("\0\1\2", 3)}});
  Write(fs::path(dir_) / "in.zip", zip);
  core::Status st = UnzipToDirectory(dir_ + "/in.zip", dir_ + "/out");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Read(fs::path(dir_) / "out/a.txt"), "alpha\n");
  EXPECT_EQ(Read(fs::path(dir_) / "out/sub/deeper/b.bin"), std::string("\0\1\2", 3));
}

TEST_F(ArtifactFetchTest, UnzipRejectsAnythingButAZip) {
  Write(fs::path(dir_) / "bad.zip", "not a zip at all");
  EXPECT_FALSE(UnzipToDirectory(dir_ + "/bad.zip", dir_ + "/out").ok());
}

TEST_F(ArtifactFetchTest, ClientListsAndDownloadsWithRetries) {
  int failures = 1;
  FakeTransport t([&](const HttpRequest& r) -> core::Result<HttpReply> {
    if (failures-- > 0) return FakeTransport::Reply(503, "");
    if (r.path.find("/artifacts?") != std::string::npos) {
      return FakeTransport::Reply(
          200, R"({"artifacts":[{"name":"my image","size":12,"sha256":"ab"},{"size":1}]})");
    }
    if (r.path.find("/artifacts/none") != std::string::npos) {
      return FakeTransport::Reply(404, R"({"error":{"code":"not_found","message":"no"}})");
    }
    return FakeTransport::Reply(200, "ZIPDATA");
  });
  std::vector<std::chrono::milliseconds> waits;
  ProtocolClient client(t, "tok", RecordingPolicy(&waits));
  auto list = client.ListArtifacts(5, "L 1");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);  // the entry without a name is dropped
  EXPECT_EQ((*list)[0].name, "my image");
  EXPECT_EQ((*list)[0].size, 12);
  EXPECT_EQ((*list)[0].sha256, "ab");
  EXPECT_EQ(waits.size(), 1u);  // the 503 was retried
  EXPECT_EQ(t.requests()[1].method, "GET");
  EXPECT_EQ(t.requests()[1].path, "/api/v1/executor/jobs/5/artifacts?lease_id=L%201");
  auto zip = client.DownloadArtifact(5, "L", "my image");
  ASSERT_TRUE(zip.ok());
  EXPECT_EQ(*zip, "ZIPDATA");
  EXPECT_EQ(t.requests()[2].path, "/api/v1/executor/jobs/5/artifacts/my%20image?lease_id=L");
  auto none = client.DownloadArtifact(5, "L", "none");
  EXPECT_EQ(none.status().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(ArtifactFetchTest, FetchesOnceInTheUploadLayoutAndKnowsWhatItFetched) {
  const std::string image = Zip({{"image.txt", "v7\n"}, {"sub/d.txt", "deep"}});
  const std::string logs = Zip({{"log.txt", "ok"}});
  FakeTransport t([&](const HttpRequest& r) -> core::Result<HttpReply> {
    if (r.path.find("/artifacts?") != std::string::npos) {
      return FakeTransport::Reply(
          200, R"({"artifacts":[{"name":"image"},{"name":"logs"},{"name":"mine"}]})");
    }
    if (r.path.find("/artifacts/image") != std::string::npos)
      return FakeTransport::Reply(200, image);
    if (r.path.find("/artifacts/logs") != std::string::npos) return FakeTransport::Reply(200, logs);
    return FakeTransport::Reply(500, "");
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 2));
  const std::string store = dir_ + "/artifacts";
  // The job already stored an artifact of that name: its own wins, nothing is downloaded.
  Write(fs::path(store) / "8/mine/files/own.txt", "own");
  Write(fs::path(store) / "8/mine/artifact.json", R"({"id":1})");
  RunArtifactFetcher fetcher(client, 5, "L", store);
  std::vector<std::string> lines;
  core::Status st = fetcher.Fetch("8", "", [&](std::string_view l) { lines.emplace_back(l); });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Read(fs::path(store) / "8/image/files/image.txt"), "v7\n");
  EXPECT_EQ(Read(fs::path(store) / "8/image/files/sub/d.txt"), "deep");
  EXPECT_EQ(Read(fs::path(store) / "8/logs/files/log.txt"), "ok");
  nlohmann::json meta = nlohmann::json::parse(Read(fs::path(store) / "8/image/artifact.json"));
  EXPECT_EQ(meta.value("name", ""), "image");
  EXPECT_EQ(meta.value("run_id", ""), "8");
  EXPECT_EQ(meta.value("files", 0), 2);
  EXPECT_EQ(meta.value("size", 0), 7);
  EXPECT_EQ(meta.value("digest", "").substr(0, 7), "sha256:");
  EXPECT_EQ(t.RequestsTo("/artifacts/mine").size(), 0u);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "Fetched 2 artifact(s) of this run from the server");
  // Once only.
  size_t calls = t.requests().size();
  EXPECT_TRUE(fetcher.Fetch("8", "").ok());
  EXPECT_TRUE(fetcher.Fetch("8", "image").ok());
  EXPECT_EQ(t.requests().size(), calls);

  std::vector<StoredArtifact> stored = FindArtifacts(store);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_TRUE(fetcher.Unchanged(stored[0]));   // image
  EXPECT_TRUE(fetcher.Unchanged(stored[1]));   // logs
  EXPECT_FALSE(fetcher.Unchanged(stored[2]));  // mine: the job's own
  // An upload with overwrite: true replaces the metadata, so the new one goes to the server.
  Write(fs::path(store) / "8/logs/artifact.json", R"({"id":9})");
  EXPECT_FALSE(fetcher.Unchanged(stored[1]));
}

TEST_F(ArtifactFetchTest, ADownloadByNameFetchesThatArtifactOnly) {
  const std::string image = Zip({{"image.txt", "v7\n"}});
  FakeTransport t([&](const HttpRequest& r) -> core::Result<HttpReply> {
    if (r.path.find("/artifacts?") != std::string::npos) {
      return FakeTransport::Reply(200, R"({"artifacts":[{"name":"big"},{"name":"image"}]})");
    }
    return FakeTransport::Reply(200, image);
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 2));
  const std::string store = dir_ + "/artifacts";
  RunArtifactFetcher fetcher(client, 5, "L", store);
  ASSERT_TRUE(fetcher.Fetch("8", "image").ok());
  EXPECT_EQ(Read(fs::path(store) / "8/image/files/image.txt"), "v7\n");
  EXPECT_TRUE(t.RequestsTo("/artifacts/big").empty());
  EXPECT_FALSE(fs::exists(fs::path(store) / "8/big"));
  ASSERT_TRUE(fetcher.Fetch("8", "nothing-of-that-name").ok());  // the step then says why
  // A later download of all fetches the rest, listing once and the image not again.
  ASSERT_TRUE(fetcher.Fetch("8", "").ok());
  EXPECT_EQ(t.RequestsTo("/artifacts?").size(), 1u);
  EXPECT_EQ(t.RequestsTo("/artifacts/image").size(), 1u);
  EXPECT_EQ(t.RequestsTo("/artifacts/big").size(), 1u);
}

TEST_F(ArtifactFetchTest, AFailedFetchIsReportedAndLeavesNothingHalfStored) {
  FakeTransport t([&](const HttpRequest& r) -> core::Result<HttpReply> {
    if (r.path.find("/artifacts?") != std::string::npos) {
      return FakeTransport::Reply(200, R"({"artifacts":[{"name":"broken"}]})");
    }
    return FakeTransport::Reply(200, "not a zip");
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 2));
  RunArtifactFetcher fetcher(client, 5, "L", dir_ + "/artifacts");
  core::Status st = fetcher.Fetch("8", "");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("artifact broken"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "artifacts/8/broken"));
  EXPECT_TRUE(FindArtifacts(dir_ + "/artifacts").empty());
}

TEST_F(ArtifactFetchTest, ALostLeaseStopsTheFetch) {
  FakeTransport t([&](const HttpRequest&) -> core::Result<HttpReply> {
    return FakeTransport::Reply(409, R"({"error":{"code":"lease_lost","message":"gone"}})");
  });
  ProtocolClient client(t, "tok", RecordingPolicy(nullptr, 2));
  RunArtifactFetcher fetcher(client, 5, "L", dir_ + "/artifacts");
  EXPECT_TRUE(IsLeaseLost(fetcher.Fetch("8", "")));
}

}  // namespace
}  // namespace gantry::executor
