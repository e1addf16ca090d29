#include "actions/fetcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace gantry::actions {
namespace {

namespace fs = std::filesystem;
using engine::ActionReference;
using engine::FetchedAction;

// A temporary directory removed at the end of the test.
struct TempDir {
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "gantry-fetch-XXXXXX").string();
    path = mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

ActionReference Remote(const std::string& owner, const std::string& repo, const std::string& ref,
                       const std::string& path = "") {
  ActionReference r;
  r.kind = ActionReference::Kind::kRemote;
  r.owner = owner;
  r.repo = repo;
  r.path = path;
  r.ref = ref;
  r.uses = owner + "/" + repo + (path.empty() ? "" : "/" + path) + "@" + ref;
  return r;
}

// Builds octo/hello.git under <dir>/remote: commit c1 (action.yml "one" and
// sub/path/action.yml), annotated tag v1 and lightweight tag v1-light on c1, then c2 on main.
class FetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = backend::MakeHostBackend();
    remote_ = dir_.path + "/remote";
    work_ = dir_.path + "/work";
    bare_ = remote_ + "/octo/hello.git";
    fs::create_directories(bare_);
    fs::create_directories(work_);
    Git({"init", "-q", "--bare", "-b", "main", bare_}, dir_.path);
    Git({"init", "-q", "-b", "main", work_}, dir_.path);
    WriteFile(work_ + "/action.yml", "name: one\n");
    WriteFile(work_ + "/sub/path/action.yml", "name: sub\n");
    c1_ = Commit("one");
    Git({"tag", "-a", "v1", "-m", "version 1"}, work_);
    Git({"tag", "v1-light"}, work_);
    WriteFile(work_ + "/action.yml", "name: two\n");
    c2_ = Commit("two");
    Git({"push", "-q", bare_, "main", "v1", "v1-light"}, work_);
  }

  // Runs git with a fixed identity and dates; returns its output, trimmed.
  std::string Git(std::vector<std::string> args, const std::string& cwd) {
    backend::ProcessSpec spec;
    spec.argv = {"git"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.cwd = cwd;
    const char* path = std::getenv("PATH");
    spec.env = {{"PATH", path != nullptr ? path : "/usr/bin:/bin"},
                {"HOME", dir_.path},
                {"GIT_CONFIG_NOSYSTEM", "1"},
                {"GIT_CONFIG_GLOBAL", "/dev/null"},
                {"GIT_AUTHOR_NAME", "Test"},
                {"GIT_AUTHOR_EMAIL", "test@example.com"},
                {"GIT_COMMITTER_NAME", "Test"},
                {"GIT_COMMITTER_EMAIL", "test@example.com"},
                {"GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z"},
                {"GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z"}};
    std::string out;
    backend::CancelToken never;
    auto result = backend_->Run(
        spec, [&out](std::string_view chunk) { out.append(chunk); }, never);
    EXPECT_TRUE(result.ok() && result->ok()) << "git " << args[0] << ": " << out;
    return Trim(out);
  }

  std::string Commit(const std::string& message) {
    Git({"add", "-A"}, work_);
    Git({"commit", "-q", "-m", message}, work_);
    return Git({"rev-parse", "HEAD"}, work_);
  }

  // Adds a commit on main and pushes it; returns its sha.
  std::string PushNewCommit(const std::string& content) {
    WriteFile(work_ + "/action.yml", content);
    std::string sha = Commit(content);
    Git({"push", "-q", bare_, "main"}, work_);
    return sha;
  }

  FetcherOptions Options() const {
    FetcherOptions options;
    options.cache_dir = dir_.path + "/cache";
    options.base_url = "file://" + remote_;
    return options;
  }

  core::Result<FetchedAction> Fetch(engine::ActionFetcher& fetcher, const ActionReference& ref) {
    backend::CancelToken never;
    return fetcher.Fetch(
        ref, [this](std::string_view line) { log_.emplace_back(line); }, never);
  }

  TempDir dir_;
  std::unique_ptr<backend::Backend> backend_;
  std::string remote_, work_, bare_;
  std::string c1_, c2_;
  std::vector<std::string> log_;
};

TEST_F(FetcherTest, AnnotatedTagResolvesToItsCommit) {
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", "v1"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->sha, c1_);
  EXPECT_EQ(got->dir, dir_.path + "/cache/octo/hello/" + c1_);
  EXPECT_EQ(ReadFile(got->dir + "/action.yml"), "name: one\n");
  EXPECT_FALSE(fs::exists(got->dir + "/.git"));
  ASSERT_EQ(log_.size(), 1U);
  EXPECT_EQ(log_[0], "Download action repository 'octo/hello@v1' (SHA:" + c1_ + ")");
  EXPECT_EQ(Trim(ReadFile(dir_.path + "/cache/refs/octo/hello/v1")), c1_);
}

TEST_F(FetcherTest, LightweightTagResolvesToItsCommit) {
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", "v1-light"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->sha, c1_);
  EXPECT_EQ(ReadFile(got->dir + "/action.yml"), "name: one\n");
}

TEST_F(FetcherTest, BranchResolvesToItsTip) {
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", "main"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->sha, c2_);
  EXPECT_EQ(ReadFile(got->dir + "/action.yml"), "name: two\n");
}

TEST_F(FetcherTest, FullShaOfAnUnadvertisedCommitIsFetched) {
  PushNewCommit("name: three\n");  // c2 is no longer the tip of any ref
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", c2_));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->sha, c2_);
  EXPECT_EQ(ReadFile(got->dir + "/action.yml"), "name: two\n");
}

TEST_F(FetcherTest, CachedFullShaNeedsNoRemote) {
  auto fetcher = MakeGitFetcher(Options());
  ASSERT_TRUE(Fetch(*fetcher, Remote("octo", "hello", c1_)).ok());
  FetcherOptions options = Options();
  options.base_url = "file://" + dir_.path + "/nowhere";
  auto again = MakeGitFetcher(options);
  log_.clear();
  auto got = Fetch(*again, Remote("octo", "hello", c1_));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->sha, c1_);
  EXPECT_TRUE(log_.empty());
}

TEST_F(FetcherTest, SubPathActionIsInTheFetchedTree) {
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", "v1", "sub/path"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(ReadFile(got->dir + "/sub/path/action.yml"), "name: sub\n");
}

TEST_F(FetcherTest, MissingRefIsNotFound) {
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", "v9"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(),
            "Unable to resolve action `octo/hello@v9`, unable to find version `v9`");
}

TEST_F(FetcherTest, MissingFullShaIsNotFound) {
  const std::string sha = "1234567890123456789012345678901234567890";
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", sha));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "Unable to resolve action `octo/hello@" + sha +
                                        "`, unable to find version `" + sha + "`");
  EXPECT_FALSE(fs::exists(dir_.path + "/cache/octo/hello/" + sha));
}

TEST_F(FetcherTest, MissingRepositoryIsNotFound) {
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "nope", "v1"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(),
            "Unable to resolve action `octo/nope@v1`, repository not found");
}

TEST_F(FetcherTest, ShortShaIsRefusedNamingTheFullSha) {
  const std::string short_sha = c2_.substr(0, 7);
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", short_sha));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(),
            "Unable to resolve action `octo/hello@" + short_sha + "`, the provided ref `" +
                short_sha +
                "` is the shortened version of a commit SHA, which is not supported. Please use "
                "the full commit SHA `" +
                c2_ + "` instead.");
}

TEST_F(FetcherTest, ShortShaOfNoRefIsRefusedWithoutAFullSha) {
  const std::string short_sha = "0000000";
  ASSERT_FALSE(c1_.starts_with(short_sha) || c2_.starts_with(short_sha));
  auto fetcher = MakeGitFetcher(Options());
  auto got = Fetch(*fetcher, Remote("octo", "hello", short_sha));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(),
            "Unable to resolve action `octo/hello@0000000`, the provided ref `0000000` is the "
            "shortened version of a commit SHA, which is not supported. Please use the full "
            "commit SHA instead.");
}

TEST_F(FetcherTest, OfflineUsesWhatAnOnlineFetchCached) {
  auto online = MakeGitFetcher(Options());
  auto first = Fetch(*online, Remote("octo", "hello", "v1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(Fetch(*online, Remote("octo", "hello", "main")).ok());

  FetcherOptions options = Options();
  options.offline = true;
  options.base_url = "file://" + dir_.path + "/nowhere";
  auto offline = MakeGitFetcher(options);
  auto tag = Fetch(*offline, Remote("Octo", "Hello", "v1"));
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_EQ(tag->sha, c1_);
  EXPECT_EQ(tag->dir, first->dir);
  auto branch = Fetch(*offline, Remote("octo", "hello", "main"));
  ASSERT_TRUE(branch.ok()) << branch.status().ToString();
  EXPECT_EQ(branch->sha, c2_);
  auto sha = Fetch(*offline, Remote("octo", "hello", c1_));
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(sha->dir, first->dir);
}

TEST_F(FetcherTest, OfflineMissIsUnavailable) {
  FetcherOptions options = Options();
  options.offline = true;
  auto offline = MakeGitFetcher(options);
  auto tag = Fetch(*offline, Remote("octo", "hello", "v1"));
  ASSERT_FALSE(tag.ok());
  EXPECT_EQ(tag.status().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(tag.status().message().find("`octo/hello@v1`"), std::string::npos);
  EXPECT_NE(tag.status().message().find("offline"), std::string::npos);
  auto sha = Fetch(*offline, Remote("octo", "hello", c1_));
  ASSERT_FALSE(sha.ok());
  EXPECT_EQ(sha.status().code(), core::StatusCode::kUnavailable);
  EXPECT_FALSE(fs::exists(dir_.path + "/cache/octo/hello/" + c1_));
}

TEST_F(FetcherTest, MovedBranchFetchesTheNewCommit) {
  auto fetcher = MakeGitFetcher(Options());
  auto before = Fetch(*fetcher, Remote("octo", "hello", "main"));
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  const std::string c3 = PushNewCommit("name: three\n");
  auto after = Fetch(*fetcher, Remote("octo", "hello", "main"));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->sha, c3);
  EXPECT_NE(after->dir, before->dir);
  EXPECT_EQ(ReadFile(after->dir + "/action.yml"), "name: three\n");
  EXPECT_EQ(ReadFile(before->dir + "/action.yml"), "name: two\n");
  EXPECT_EQ(Trim(ReadFile(dir_.path + "/cache/refs/octo/hello/main")), c3);
}

TEST_F(FetcherTest, OwnerUrlOverridesBaseUrlCaseInsensitively) {
  FetcherOptions options = Options();
  options.base_url = "file://" + dir_.path + "/nowhere";
  options.owner_urls["OCTO"] = "file://" + remote_ + "/";
  auto fetcher = MakeGitFetcher(options);
  auto got = Fetch(*fetcher, Remote("octo", "hello", "v1"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->sha, c1_);
}

TEST_F(FetcherTest, PlainPathBaseUrlWorks) {
  FetcherOptions options = Options();
  options.base_url = remote_;
  auto fetcher = MakeGitFetcher(options);
  auto got = Fetch(*fetcher, Remote("octo", "hello", "main"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->sha, c2_);
}

TEST_F(FetcherTest, LocalOverrideIsUsedAsIs) {
  const std::string local = dir_.path + "/local-hello";
  WriteFile(local + "/action.yml", "name: local\n");
  FetcherOptions options = Options();
  options.local_overrides["Octo/Hello@v1"] = local;
  options.local_overrides["octo/hello@gone"] = dir_.path + "/missing";
  auto fetcher = MakeGitFetcher(options);
  auto got = Fetch(*fetcher, Remote("octo", "hello", "v1"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->dir, local);
  EXPECT_EQ(got->sha, "");
  EXPECT_TRUE(log_.empty());
  EXPECT_FALSE(fs::exists(dir_.path + "/cache/octo"));

  auto missing = Fetch(*fetcher, Remote("octo", "hello", "gone"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir_.path + "/missing"), std::string::npos);
}

TEST_F(FetcherTest, CancelledFetchLeavesNothingInTheCache) {
  auto fetcher = MakeGitFetcher(Options());
  backend::CancelToken cancel;
  cancel.Cancel();
  auto got = fetcher->Fetch(Remote("octo", "hello", c1_), nullptr, cancel);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), core::StatusCode::kCancelled);
  EXPECT_FALSE(fs::exists(dir_.path + "/cache/octo/hello/" + c1_));
}

TEST_F(FetcherTest, ConcurrentFetchesOfOneActionAgree) {
  // Two threads share a fetcher (the in-process lock); two more use their own fetchers on
  // the same cache, as separate processes would (the rename race).
  auto shared = MakeGitFetcher(Options());
  auto own_a = MakeGitFetcher(Options());
  auto own_b = MakeGitFetcher(Options());
  std::vector<engine::ActionFetcher*> fetchers = {shared.get(), shared.get(), own_a.get(),
                                                  own_b.get()};
  std::vector<core::Result<FetchedAction>> results(fetchers.size(),
                                                   core::Status::Internal("not run"));
  std::latch start(static_cast<std::ptrdiff_t>(fetchers.size()));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < fetchers.size(); ++i) {
    threads.emplace_back([&, i] {
      backend::CancelToken never;
      start.arrive_and_wait();
      results[i] = fetchers[i]->Fetch(Remote("octo", "hello", "v1"), nullptr, never);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->sha, c1_);
    EXPECT_EQ(r->dir, results[0]->dir);
  }
  EXPECT_EQ(ReadFile(results[0]->dir + "/action.yml"), "name: one\n");
  for (const auto& entry : fs::directory_iterator(dir_.path + "/cache/octo/hello")) {
    EXPECT_EQ(entry.path().filename().string(), c1_) << "left behind: " << entry.path();
  }
}

TEST(DefaultActionCacheDirTest, FollowsXdgCacheHome) {
  const char* old = std::getenv("XDG_CACHE_HOME");
  std::string saved = old != nullptr ? old : "";
  setenv("XDG_CACHE_HOME", "/some/cache", 1);
  EXPECT_EQ(DefaultActionCacheDir(), "/some/cache/gantry/actions");
  if (old != nullptr) {
    setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  } else {
    unsetenv("XDG_CACHE_HOME");
  }
}

// A TCP port that was free a moment ago.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

TEST_F(FetcherTest, FetchesOverTheGitProtocol) {
  if (!fs::exists(Git({"--exec-path"}, dir_.path) + "/git-daemon")) {
    GTEST_SKIP() << "git daemon is not installed";
  }
  const int port = FreePort();
  ASSERT_NE(port, 0);
  backend::ProcessSpec spec;
  spec.argv = {"git",
               "daemon",
               "--export-all",
               "--informative-errors",
               "--reuseaddr",
               "--base-path=" + remote_,
               "--listen=127.0.0.1",
               "--port=" + std::to_string(port),
               remote_};
  spec.cwd = dir_.path;
  const char* path = std::getenv("PATH");
  spec.env = {{"PATH", path != nullptr ? path : "/usr/bin:/bin"},
              {"HOME", dir_.path},
              {"GIT_CONFIG_NOSYSTEM", "1"}};
  backend::CancelToken stop;
  std::string daemon_output;
  std::atomic<bool> daemon_ended{false};
  std::thread daemon([&] {
    auto r = backend_->Run(
        spec, [&](std::string_view chunk) { daemon_output.append(chunk); }, stop);
    daemon_ended = true;
  });
  // Wait until it listens (or gives up); no assertion on how long that takes.
  bool ready = false;
  for (int i = 0; i < 400 && !ready && !daemon_ended; ++i) {
    ready = Accepts(port);
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }

  FetcherOptions options = Options();
  options.base_url = "git://127.0.0.1:" + std::to_string(port);
  auto fetcher = MakeGitFetcher(options);
  core::Result<FetchedAction> tag = core::Status::Internal("daemon did not start");
  core::Result<FetchedAction> sha = core::Status::Internal("daemon did not start");
  core::Result<FetchedAction> missing = core::Status::Internal("daemon did not start");
  if (ready) {
    PushNewCommit("name: three\n");  // c2 becomes unadvertised
    tag = Fetch(*fetcher, Remote("octo", "hello", "v1"));
    sha = Fetch(*fetcher, Remote("octo", "hello", c2_));
    missing = Fetch(*fetcher, Remote("octo", "nope", "v1"));
  }
  stop.Cancel();
  daemon.join();

  ASSERT_TRUE(ready) << "git daemon did not listen on port " << port << ": " << daemon_output;
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_EQ(tag->sha, c1_);
  EXPECT_EQ(ReadFile(tag->dir + "/action.yml"), "name: one\n");
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(ReadFile(sha->dir + "/action.yml"), "name: two\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "Unable to resolve action `octo/nope@v1`, repository not found");
}

}  // namespace
}  // namespace gantry::actions
