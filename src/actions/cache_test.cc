#include "actions/cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "actions/cache_archive.h"
#include "actions/cache_store.h"

namespace gantry::actions {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

std::string Output(const engine::BuiltinResult& r, std::string_view name) {
  const std::string* v = engine::FindEnv(r.outputs, name);
  return v == nullptr ? "<unset>" : *v;
}

std::string StateOf(const engine::BuiltinResult& r, std::string_view name) {
  const std::string* v = engine::FindEnv(r.state, name);
  return v == nullptr ? "<unset>" : *v;
}

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ws_ = root_ + "/ws";
    home_ = root_ + "/home";
    fs::create_directories(ws_);
    fs::create_directories(home_);
    options_.dir = root_ + "/cache";
  }
  void TearDown() override { fs::remove_all(root_); }

  // Runs actions/cache[/<sub>] with `inputs`; lines logged go to log_.
  engine::BuiltinResult Run(std::string sub, bool post, engine::EnvList inputs,
                            engine::EnvList state = {}) {
    engine::BuiltinCall call;
    call.action.owner = "actions";
    call.action.repo = "cache";
    call.action.path = std::move(sub);
    call.post = post;
    call.inputs = std::move(inputs);
    call.state = std::move(state);
    call.env = {{"HOME", home_}};
    call.workspace = ws_;
    call.github_repository = "octo/repo";
    call.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_ += std::string(line) + "\n";
    };
    return RunCacheAction(call, options_);
  }
  engine::BuiltinResult Save(const std::string& key, const std::string& path) {
    return Run("save", false, {{"key", key}, {"path", path}});
  }
  engine::BuiltinResult Restore(engine::EnvList inputs) {
    return Run("", false, std::move(inputs));
  }
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    auto entries = CacheStore(options_.dir, options_.max_bytes).Entries();
    for (const auto& e : entries.value()) {
      keys.push_back(e.key);
    }
    return keys;
  }

  std::string root_, ws_, home_;
  CacheOptions options_;
  std::mutex log_mu_;
  std::string log_;
};

TEST_F(CacheTest, RoundTripRestoresContentModesSymlinksDirectoriesAndMtimes) {
  WriteFile(ws_ + "/deps/a/b/c.txt", "nested", 0640);
  WriteFile(ws_ + "/deps/run.sh", "#!/bin/sh\n", 0755);
  WriteFile(home_ + "/.tool/config", "home file");
  fs::create_directories(ws_ + "/deps/empty");
  chmod((ws_ + "/deps/empty").c_str(), 0700);
  ASSERT_EQ(symlink("a/b/c.txt", (ws_ + "/deps/link").c_str()), 0);
  timespec times[2] = {{0, UTIME_OMIT}, {1600000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, (ws_ + "/deps/run.sh").c_str(), times, 0), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (ws_ + "/deps/a").c_str(), times, 0), 0);

  // The post stage of actions/cache saves under the key the main stage recorded.
  auto saved =
      Run("", true, {{"key", "ignored"}, {"path", "deps\n~/.tool\n"}}, {{"CACHE_KEY", "deps-1"}});
  ASSERT_EQ(saved.error, "");
  EXPECT_NE(log_.find("Cache saved with key: deps-1"), std::string::npos) << log_;

  fs::remove_all(ws_ + "/deps");
  fs::remove_all(home_);
  home_ = root_ + "/other-home";  // `~` follows the restoring job's HOME
  auto r = Restore({{"key", "deps-1"}, {"path", "deps\n~/.tool"}});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "cache-hit"), "true");
  EXPECT_EQ(ReadFile(ws_ + "/deps/a/b/c.txt"), "nested");
  EXPECT_EQ(ReadFile(home_ + "/.tool/config"), "home file");
  struct stat st {};
  ASSERT_EQ(stat((ws_ + "/deps/a/b/c.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(stat((ws_ + "/deps/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
  ASSERT_EQ(stat((ws_ + "/deps/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);  // set after its children were written
  ASSERT_EQ(stat((ws_ + "/deps/empty").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_TRUE(fs::is_symlink(ws_ + "/deps/link"));
  EXPECT_EQ(fs::read_symlink(ws_ + "/deps/link"), "a/b/c.txt");
}

TEST_F(CacheTest, GlobsAndExclusionsSelectWhatIsSaved) {
  WriteFile(ws_ + "/out/x/keep.txt", "1");
  WriteFile(ws_ + "/out/y/z/keep.txt", "2");
  WriteFile(ws_ + "/out/x/drop.o", "3");
  WriteFile(ws_ + "/out/skip/keep.txt", "4");
  ASSERT_EQ(Save("g", "out/**/*.txt\n!out/skip").error, "");
  fs::remove_all(ws_ + "/out");
  ASSERT_EQ(Restore({{"key", "g"}, {"path", "out/**/*.txt\n!out/skip"}}).error, "");
  EXPECT_EQ(ReadFile(ws_ + "/out/x/keep.txt"), "1");
  EXPECT_EQ(ReadFile(ws_ + "/out/y/z/keep.txt"), "2");
  EXPECT_FALSE(fs::exists(ws_ + "/out/x/drop.o"));
  EXPECT_FALSE(fs::exists(ws_ + "/out/skip"));
  // A trailing `**` takes everything below its directory.
  WriteFile(ws_ + "/out/x/drop.o", "3");
  WriteFile(ws_ + "/out/skip/keep.txt", "4");
  ASSERT_EQ(Save("all", "out/**").error, "");
  fs::remove_all(ws_ + "/out");
  ASSERT_EQ(Output(Restore({{"key", "all"}, {"path", "out/**"}}), "cache-hit"), "true");
  EXPECT_EQ(ReadFile(ws_ + "/out/x/drop.o"), "3");
  EXPECT_EQ(ReadFile(ws_ + "/out/skip/keep.txt"), "4");
}

TEST_F(CacheTest, RestoreKeysPickTheNewestPrefixMatch) {
  for (const char* key : {"deps-1", "deps-2", "other-3"}) {
    WriteFile(ws_ + "/d/f", key);
    ASSERT_EQ(Save(key, "d").error, "");
  }
  fs::remove_all(ws_ + "/d");
  auto r = Restore({{"key", "deps-9"}, {"path", "d"}, {"restore-keys", "nope-\ndeps-\nother-"}});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "cache-hit"), "false");
  EXPECT_EQ(StateOf(r, "CACHE_KEY"), "deps-9");
  EXPECT_EQ(StateOf(r, "CACHE_RESULT"), "deps-2");
  EXPECT_EQ(ReadFile(ws_ + "/d/f"), "deps-2");
  // An exact match of a restore key wins over newer entries it prefixes.
  WriteFile(ws_ + "/d/f", "deps-10");
  ASSERT_EQ(Save("deps-10", "d").error, "");
  r = Restore({{"key", "x"}, {"path", "d"}, {"restore-keys", "deps-1"}});
  EXPECT_EQ(StateOf(r, "CACHE_RESULT"), "deps-1");
}

TEST_F(CacheTest, ExactHitSetsCacheHitAndThePostStageSkipsSaving) {
  WriteFile(ws_ + "/d/f", "v1");
  ASSERT_EQ(Save("k", "d").error, "");
  auto r = Restore({{"key", "k"}, {"path", "d"}});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "cache-hit"), "true");
  EXPECT_NE(log_.find("Cache restored from key: k"), std::string::npos) << log_;
  auto post = Run("", true, {{"key", "k"}, {"path", "d"}}, r.state);
  EXPECT_EQ(post.error, "");
  EXPECT_NE(log_.find("Cache hit occurred on the primary key k, not saving cache."),
            std::string::npos)
      << log_;
}

TEST_F(CacheTest, RestoreOnlyActionReportsKeysAsOutputs) {
  WriteFile(ws_ + "/d/f", "v1");
  ASSERT_EQ(Save("base-1", "d").error, "");
  auto r = Run("restore", false, {{"key", "base-2"}, {"path", "d"}, {"restore-keys", "base-"}});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "cache-hit"), "false");
  EXPECT_EQ(Output(r, "cache-primary-key"), "base-2");
  EXPECT_EQ(Output(r, "cache-matched-key"), "base-1");
  EXPECT_TRUE(r.state.empty());
}

TEST_F(CacheTest, LookupOnlyReportsAHitWithoutRestoring) {
  WriteFile(ws_ + "/d/f", "v1");
  ASSERT_EQ(Save("k", "d").error, "");
  fs::remove_all(ws_ + "/d");
  auto r = Restore({{"key", "k"}, {"path", "d"}, {"lookup-only", "true"}});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "cache-hit"), "true");
  EXPECT_FALSE(fs::exists(ws_ + "/d"));
  EXPECT_NE(log_.find("Cache found and can be restored from key: k"), std::string::npos);
}

TEST_F(CacheTest, MissLeavesCacheHitUnsetUnlessFailOnCacheMiss) {
  auto r = Restore({{"key", "k"}, {"path", "d"}, {"restore-keys", "a-\nb-"}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "cache-hit"), "<unset>");
  EXPECT_NE(log_.find("Cache not found for input keys: k, a-, b-"), std::string::npos) << log_;
  r = Restore({{"key", "k"}, {"path", "d"}, {"fail-on-cache-miss", "true"}});
  EXPECT_EQ(r.error,
            "Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: k");
}

TEST_F(CacheTest, SameKeyWithOtherPathsIsAnotherVersion) {
  WriteFile(ws_ + "/d/f", "v1");
  ASSERT_EQ(Save("k", "d").error, "");
  auto r = Restore({{"key", "k"}, {"path", "d\ne"}});
  EXPECT_EQ(Output(r, "cache-hit"), "<unset>");
  // Saving the same key for the other paths is allowed: it is another entry.
  WriteFile(ws_ + "/e/g", "v2");
  ASSERT_EQ(Save("k", "d\ne").error, "");
  EXPECT_EQ(Keys(), (std::vector<std::string>{"k", "k"}));
}

TEST_F(CacheTest, KeysAreValidatedLikeTheAction) {
  std::string long_key(513, 'k');
  auto r = Restore({{"key", long_key}, {"path", "d"}});
  EXPECT_EQ(r.error,
            "Key Validation Error: " + long_key + " cannot be larger than 512 characters.");
  r = Restore({{"key", "a,b"}, {"path", "d"}});
  EXPECT_EQ(r.error, "Key Validation Error: a,b cannot contain commas.");
  r = Restore({{"key", "k"}, {"path", "d"}, {"restore-keys", "x,y"}});
  EXPECT_EQ(r.error, "Key Validation Error: x,y cannot contain commas.");
  r = Restore({{"path", "d"}});
  EXPECT_EQ(r.error, "Input required and not supplied: key");
  r = Restore({{"key", "k"}, {"path", "d"}, {"restore-keys", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10"}});
  EXPECT_EQ(r.error, "Key Validation Error: Keys are limited to a maximum of 10.");
  EXPECT_EQ(Restore({{"key", std::string(512, 'k')}, {"path", "d"}}).error, "");
  // Saving only warns, as the action's post step does.
  WriteFile(ws_ + "/d/f", "v1");
  r = Save("a,b", "d");
  EXPECT_EQ(r.error, "");
  EXPECT_NE(log_.find("Warning: Key Validation Error: a,b cannot contain commas."),
            std::string::npos);
  EXPECT_TRUE(Keys().empty());
}

TEST_F(CacheTest, SavingADotDotPathWarnsWithGithubsWordingAndStoresNothing) {
  fs::create_directories(root_ + "/build");
  std::ofstream(root_ + "/build/out") << "x";
  auto r = Save("k", "../build");
  EXPECT_EQ(r.error, "");
  EXPECT_NE(log_.find("Invalid pattern '../build'. Relative pathing '.' and '..' is not allowed."),
            std::string::npos)
      << log_;
  EXPECT_TRUE(Keys().empty());
}

TEST_F(CacheTest, SavingNothingWarnsAndStoresNothing) {
  auto r = Save("k", "missing");
  EXPECT_EQ(r.error, "");
  EXPECT_NE(log_.find("Path Validation Error: Path(s) specified in the action for caching "
                      "do(es) not exist, hence no cache is being saved."),
            std::string::npos);
  EXPECT_TRUE(Keys().empty());
  EXPECT_TRUE(fs::is_empty(options_.dir + "/entries"));
}

TEST_F(CacheTest, SmallCapEvictsTheLeastRecentlyAccessedEntry) {
  options_.max_bytes = 250 * 1024;
  for (const char* key : {"a", "b"}) {
    WriteFile(ws_ + "/d/f", std::string(100 * 1024, key[0]));
    ASSERT_EQ(Save(key, "d").error, "");
  }
  ASSERT_EQ(Output(Restore({{"key", "a"}, {"path", "d"}}), "cache-hit"), "true");
  WriteFile(ws_ + "/d/f", std::string(100 * 1024, 'c'));
  ASSERT_EQ(Save("c", "d").error, "");
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a", "c"}));
  int tars = 0;
  for (const auto& e : fs::directory_iterator(options_.dir + "/entries"))
    tars += e.is_regular_file();
  EXPECT_EQ(tars, 2);
  // An entry larger than the whole cache is not saved.
  WriteFile(ws_ + "/d/f", std::string(300 * 1024, 'd'));
  EXPECT_EQ(Save("d", "d").error, "");
  EXPECT_NE(log_.find("over the 256000 B limit, not saving cache."), std::string::npos) << log_;
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a", "c"}));
}

TEST_F(CacheTest, LeftoversOfACrashedSaveAreIgnoredAndRemoved) {
  WriteFile(ws_ + "/d/f", "v1");
  fs::create_directories(options_.dir + "/entries");
  WriteFile(options_.dir + "/entries/0123.tar.part", "half an archive");
  WriteFile(options_.dir + "/entries/4567.tar", "renamed but never indexed");
  EXPECT_EQ(Output(Restore({{"key", "k"}, {"path", "d"}}), "cache-hit"), "<unset>");
  ASSERT_EQ(Save("k", "d").error, "");
  EXPECT_FALSE(fs::exists(options_.dir + "/entries/0123.tar.part"));
  EXPECT_FALSE(fs::exists(options_.dir + "/entries/4567.tar"));
  EXPECT_EQ(Keys(), std::vector<std::string>{"k"});
}

TEST_F(CacheTest, AReservationLeftByACrashedWriterDoesNotBlockTheKey) {
  CacheStore store(options_.dir, options_.max_bytes);
  {
    auto r = store.Reserve("s", "v", "k");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(write(r->fd.get(), "junk", 4), 4);
    // While the writer lives, the key is taken.
    auto other = store.Reserve("s", "v", "k");
    ASSERT_FALSE(other.ok());
    EXPECT_EQ(other.status().message(),
              "Unable to reserve cache with key k, another job may be creating this cache.");
  }  // the writer "crashes": its .part stays, unlocked and unpublished
  ASSERT_TRUE(store.Lookup("s", "v", {"k"}).value() == std::nullopt);
  auto r = store.Reserve("s", "v", "k");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(write(r->fd.get(), "good", 4), 4);
  ASSERT_TRUE(store.Commit(std::move(*r)).ok());
  auto match = store.Lookup("s", "v", {"k"}).value();
  ASSERT_TRUE(match.has_value());
  char buf[16] = {};
  EXPECT_EQ(pread(match->fd.get(), buf, sizeof buf, 0), 4);  // truncated, not appended to
  EXPECT_EQ(std::string(buf), "good");
}

TEST_F(CacheTest, ConcurrentSavesOfOneKeyStoreItOnce) {
  WriteFile(ws_ + "/d/f", std::string(1 << 20, 'x'));
  for (int round = 0; round < 5; ++round) {
    std::string key = "k" + std::to_string(round);
    log_.clear();
    std::vector<std::string> errors(2);
    std::thread t1([&] { errors[0] = Save(key, "d").error; });
    std::thread t2([&] { errors[1] = Save(key, "d").error; });
    t1.join();
    t2.join();
    EXPECT_EQ(errors, (std::vector<std::string>{"", ""}));
    size_t saved = 0, pos = 0;
    while ((pos = log_.find("Cache saved with key: " + key, pos)) != std::string::npos) {
      ++saved;
      ++pos;
    }
    EXPECT_EQ(saved, 1u) << log_;
    EXPECT_NE(log_.find("Failed to save: Unable to reserve cache with key " + key +
                        ", another job may be creating this cache."),
              std::string::npos)
        << log_;
  }
  EXPECT_EQ(Keys().size(), 5u);
}

// Writes a tar whose members the test chooses, as an attacker would.
struct Member {
  std::string name;
  mode_t type = AE_IFREG;
  std::string data;  // file content or symlink target
  bool hardlink = false;
};
void WriteCraftedTar(const std::string& path, const std::vector<Member>& members) {
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_filetype(e, m.type);
    archive_entry_set_perm(e, 0644);
    if (m.hardlink) {
      archive_entry_set_hardlink(e, m.data.c_str());
    } else if (m.type == AE_IFLNK) {
      archive_entry_set_symlink(e, m.data.c_str());
    } else if (m.type == AE_IFREG) {
      archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    }
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
    if (m.type == AE_IFREG && !m.hardlink) archive_write_data(a, m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

TEST_F(CacheTest, MaliciousArchivesCannotWriteOutsideTheirRoots) {
  std::string outside = root_ + "/outside";
  fs::create_directories(outside);
  std::string tar = root_ + "/evil.tar";
  const std::vector<std::vector<Member>> cases = {
      {{"0/ok", AE_IFREG, "fine"}, {"0/../../outside/evil", AE_IFREG, "pwned"}},
      {{"0/a/../../../outside/evil", AE_IFREG, "pwned"}},
      {{"/" + outside.substr(1) + "/evil", AE_IFREG, "pwned"}},
      {{"1/evil", AE_IFREG, "pwned"}},
      {{"evil", AE_IFREG, "pwned"}},
      {{"0/link", AE_IFLNK, outside}, {"0/link/evil", AE_IFREG, "pwned"}},
      {{"0/link", AE_IFLNK, outside}, {"0/link/evil", AE_IFLNK, "/etc/passwd"}},
      {{"0/hard", AE_IFREG, "/etc/passwd", true}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    WriteCraftedTar(tar, cases[i]);
    int fd = open(tar.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    auto r = ExtractCacheArchive(fd, {ws_});
    close(fd);
    ASSERT_FALSE(r.ok()) << "case " << i;
    EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find("; not restored"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(outside)) << "case " << i;
    EXPECT_FALSE(fs::exists(root_ + "/evil")) << "case " << i;
  }

  // Through the action: a tampered entry is a warning and a miss, and writes nothing outside.
  WriteFile(ws_ + "/d/f", "v1");
  ASSERT_EQ(Save("k", "d").error, "");
  WriteCraftedTar(CacheStore(options_.dir, options_.max_bytes).Entries()->at(0).file,
                  {{"0/d/../../../outside/evil", AE_IFREG, "pwned"}});
  auto r = Restore({{"key", "k"}, {"path", "d"}, {"fail-on-cache-miss", "true"}});
  EXPECT_EQ(r.error,
            "Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: k");
  EXPECT_NE(log_.find("Warning: Failed to restore: cache archive member "
                      "'0/d/../../../outside/evil' would be written outside its directory"),
            std::string::npos)
      << log_;
  EXPECT_TRUE(fs::is_empty(outside));
}

TEST_F(CacheTest, RestoreReplacesExistingFilesAndSymlinksInsteadOfWritingThroughThem) {
  WriteFile(ws_ + "/d/f", "cached");
  ASSERT_EQ(Save("k", "d").error, "");
  std::string victim = root_ + "/victim";
  WriteFile(victim, "untouched");
  fs::remove(ws_ + "/d/f");
  ASSERT_EQ(symlink(victim.c_str(), (ws_ + "/d/f").c_str()), 0);
  ASSERT_EQ(Restore({{"key", "k"}, {"path", "d"}}).error, "");
  EXPECT_FALSE(fs::is_symlink(ws_ + "/d/f"));
  EXPECT_EQ(ReadFile(ws_ + "/d/f"), "cached");
  EXPECT_EQ(ReadFile(victim), "untouched");
}

TEST(CacheDirTest, DefaultFollowsXdgCacheHome) {
  const char* old = std::getenv("XDG_CACHE_HOME");
  std::string saved = old == nullptr ? "" : old;
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(DefaultCacheDir(), "/x/cache/gantry/cache");
  unsetenv("XDG_CACHE_HOME");
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    EXPECT_EQ(DefaultCacheDir(), std::string(home) + "/.cache/gantry/cache");
  }
  if (old != nullptr) setenv("XDG_CACHE_HOME", saved.c_str(), 1);
}

}  // namespace
}  // namespace gantry::actions
