#pragma once

// Integration-test fixture for `gantry server`: boots the real binary on port 0 (SQLite in a
// temp data directory, or PostgreSQL from scripts/pg-up.sh when GANTRY_TEST_DATABASE=postgres),
// talks to it over HTTP with libcurl, and builds git repositories to push.

#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace gantry::testing {

using nlohmann::json;
namespace fs = std::filesystem;

struct HttpReply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
  json Json() const {
    json j = json::parse(body, nullptr, false);
    return j.is_discarded() ? json() : j;
  }
};

inline size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

inline size_t CollectHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

/// One HTTP request; `headers` are "Name: value" lines.
inline HttpReply Http(const std::string& method, const std::string& url,
                      const std::string& body = "", std::vector<std::string> headers = {},
                      long timeout_ms = 30000) {
  HttpReply reply;
  CURL* c = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  // An HTTPS server with a local certificate authority (scripts/dev-cert.sh) is trusted the way
  // gh and the executors trust it: through SSL_CERT_FILE.
  if (const char* ca = std::getenv("SSL_CERT_FILE"); ca != nullptr && *ca != '\0') {
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
  }
  if (curl_easy_perform(c) == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return reply;
}

/// Runs a shell command; returns its stdout (fails the test when it exits non-zero).
inline std::string Sh(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  return out;
}

inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// A child process of the test: killed with SIGKILL when the test is done with it.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Kill9(); }
  /// SIGKILL, as a crash.
  void Kill9() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  /// SIGTERM and wait; the exit status.
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  pid_t pid() const { return pid_; }

 protected:
  pid_t pid_ = -1;
};

/// A real `gantry server` process.
class ServerProcess : public ChildProcess {
 public:
  /// Starts it with `args` added to --listen 127.0.0.1:PORT --data-dir DIR [--database DB]
  /// (PORT 0: any free port).
  void Start(const std::string& data_dir, const std::string& database,
             const std::vector<std::string>& args = {}, int port = 0) {
    data_dir_ = data_dir;
    database_ = database;
    fs::create_directories(data_dir);
    log_ = data_dir + "/server.log";
    std::error_code ec;
    // Only what this start prints counts: the log may hold an earlier start's lines.
    const auto log_start =
        static_cast<std::streamoff>(fs::exists(log_, ec) ? fs::file_size(log_, ec) : 0);
    std::vector<std::string> argv = {GANTRY_BINARY, "server",
                                     "--listen",    "127.0.0.1:" + std::to_string(port),
                                     "--data-dir",  data_dir};
    if (!database.empty()) {
      argv.push_back("--database");
      argv.push_back(database);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    args_ = args;
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 2);
      ::dup2(fd, 1);
      std::vector<char*> v;
      for (auto& a : argv) v.push_back(a.data());
      v.push_back(nullptr);
      ::execv(v[0], v.data());
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(log_);
      in.seekg(log_start);
      std::string line;
      while (std::getline(in, line)) {
        size_t at = line.find("gantry server listening on ");
        if (at != std::string::npos) {
          url_ = line.substr(at + 27);
          return;
        }
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "gantry server exited:\n" << Log();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "gantry server did not print its URL:\n" << Log();
  }
  /// Starts it again (after Kill9 or Stop) with the same arguments, on the same port: its
  /// executors find it where it was.
  void Restart() { Start(data_dir_, database_, args_, port()); }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  const std::string& url() const { return url_; }
  /// The port it listens on (0 before Start).
  int port() const {
    size_t colon = url_.rfind(':');
    return colon == std::string::npos ? 0 : std::atoi(url_.c_str() + colon + 1);
  }

 private:
  std::string data_dir_, database_, log_, url_;
  std::vector<std::string> args_;
};

/// A fresh database URL for this test binary: "" (SQLite in the data dir) or a new PostgreSQL
/// database from scripts/pg-up.sh when GANTRY_TEST_DATABASE=postgres.
inline std::string TestDatabase(const std::string& name) {
  const char* which = std::getenv("GANTRY_TEST_DATABASE");
  if (which == nullptr || std::string(which) != "postgres") return "";
  std::string url = Sh(std::string(GANTRY_SOURCE_DIR) + "/scripts/pg-up.sh --fresh " + name);
  while (!url.empty() && (url.back() == '\n' || url.back() == ' ')) url.pop_back();
  size_t nl = url.rfind('\n');
  return nl == std::string::npos ? url : url.substr(nl + 1);
}

/// A user signed in on `server`.
struct User {
  std::string name, token;
  std::vector<std::string> Auth() const { return {"Authorization: Bearer " + token}; }
};

inline User SignUp(const std::string& url, const std::string& name) {
  HttpReply r = Http(
      "POST", url + "/api/v1/auth/signup",
      json{{"username", name}, {"password", "correct horse"}, {"email", name + "@x.org"}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  HttpReply l = Http("POST", url + "/api/v1/auth/login",
                     json{{"username", name}, {"password", "correct horse"}}.dump());
  EXPECT_EQ(l.status, 200) << l.body;
  return User{name, l.Json().value("token", "")};
}

/// A git repository with a bare remote: write files, commit, push.
class GitRepo {
 public:
  explicit GitRepo(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir + "/work");
    Sh("git init -q --bare -b main " + Quote(dir + "/remote.git"));
    Sh("git -C " + Quote(dir + "/work") + " init -q -b main && git -C " + Quote(dir + "/work") +
       " remote add origin " + Quote(dir + "/remote.git"));
  }
  void Write(const std::string& path, const std::string& content) {
    fs::path p = dir_ + "/work/" + path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  /// Commits everything and pushes `branch`; returns the new sha.
  std::string Commit(const std::string& message, const std::string& branch = "main") {
    std::string w = Quote(dir_ + "/work");
    Sh("git -C " + w + " add -A && git -C " + w +
       " -c user.name=Alice -c user.email=a@x.org commit -q --allow-empty -m " + Quote(message));
    std::string sha = Sh("git -C " + w + " rev-parse HEAD").substr(0, 40);
    Sh("git -C " + w + " push -q origin HEAD:refs/heads/" + branch);
    return sha;
  }
  std::string remote() const { return dir_ + "/remote.git"; }

 private:
  std::string dir_;
};

inline std::string TempDir(const std::string& name) {
  std::string tmpl = (fs::temp_directory_path() / ("gantry-server-" + name + "-XXXXXX")).string();
  char* made = ::mkdtemp(tmpl.data());
  return made != nullptr ? std::string(made) : tmpl;
}

inline std::string Hmac(const std::string& key, const std::string& body) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &len);
  static const char* hex = "0123456789abcdef";
  std::string s = "sha256=";
  for (unsigned i = 0; i < len; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 15];
  }
  return s;
}

/// A small built web UI (what `make web` puts in web/dist) for the shared server, so the tests
/// of the UI's serving need no npm: index.html and one hashed asset.
inline void WriteWebFixture(const std::string& dir) {
  fs::create_directories(dir + "/assets");
  std::ofstream(dir + "/index.html")
      << "<!doctype html><title>Gantry</title><div id=app></div>"
         "<script type=module src=/assets/index-4f2a9c.js></script>\n";
  std::ofstream js(dir + "/assets/index-4f2a9c.js");
  for (int i = 0; i < 100; ++i)
    js << "console.log('the fixture of the web UI, line " << i << "');\n";
}

class Env : public ::testing::Environment {
 public:
  void SetUp() override {
    dir = TempDir("shared");
    WriteWebFixture(dir + "/web");
    // Every suite logs in from 127.0.0.1: the per-address login limit (5 x --login-attempts per
    // 5 minutes, counting successful logins too) must not decide which test runs last.
    server.Start(dir + "/data", TestDatabase("gantry_server_test"),
                 {"--max-body", "1048576", "--executor-capacity", "4", "--login-attempts", "1000",
                  "--web-dir", dir + "/web"});
    admin = SignUp(server.url(), "admin");
  }
  void TearDown() override {
    server.Stop();
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(dir, ec);
  }
  static bool HasFailure() { return ::testing::UnitTest::GetInstance()->failed_test_count() > 0; }
  std::string dir;
  ServerProcess server;
  User admin;
};

inline Env* g_env = nullptr;

inline std::string Url() { return g_env->server.url(); }

inline int g_counter = 0;
inline std::string Unique(const std::string& base) { return base + std::to_string(++g_counter); }

struct Project {
  std::string name;  // owner/name
  std::string secret;
  std::unique_ptr<GitRepo> repo;
};

inline Project MakeProject(const User& user, const std::string& name,
                           const std::map<std::string, std::string>& files, std::string url = "") {
  if (url.empty()) url = Url();
  Project p;
  p.name = user.name + "/" + name;
  p.repo = std::make_unique<GitRepo>(TempDir(name));
  for (const auto& [path, content] : files) p.repo->Write(path, content);
  p.repo->Commit("initial");
  HttpReply r = Http(
      "POST", url + "/api/v1/projects",
      json{{"name", p.name}, {"repository", p.repo->remote()}, {"default_branch", "main"}}.dump(),
      user.Auth());
  EXPECT_EQ(r.status, 201) << r.body;
  p.secret = r.Json().value("webhook_secret", "");
  EXPECT_EQ(r.Json().value("webhook_url", ""), url + "/api/v1/hooks/" + p.name);
  return p;
}

inline HttpReply Push(const Project& p, const std::string& sha, const std::string& delivery,
                      const std::string& before = "0000000000000000000000000000000000000000") {
  std::string body = json{{"ref", "refs/heads/main"},
                          {"before", before},
                          {"after", sha},
                          {"head_commit", {{"id", sha}, {"message", "a change\n\nmore"}}},
                          {"sender", {{"login", "alice"}}}}
                         .dump();
  return Http("POST", Url() + "/api/v1/hooks/" + p.name, body,
              {"X-GitHub-Event: push", "X-GitHub-Delivery: " + delivery,
               "X-Hub-Signature-256: " + Hmac(p.secret, body), "Content-Type: application/json"});
}

inline json WaitRun(const User& u, int64_t run, int seconds = 60, const std::string& url = "") {
  std::string base = url.empty() ? Url() : url;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  json j;
  while (std::chrono::steady_clock::now() < deadline) {
    j = Http("GET", base + "/api/v1/runs/" + std::to_string(run), "", u.Auth()).Json();
    if (j.value("status", "") == "completed") return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "run " << run << " did not complete: " << j.dump(2);
  return j;
}

inline const json* JobNamed(const json& run, const std::string& name) {
  for (const json& j : run["jobs"]) {
    if (j.value("name", "") == name) return &j;
  }
  return nullptr;
}

inline std::string JobLog(const User& u, const json& job, std::string url = "") {
  if (url.empty()) url = Url();
  return Http("GET", url + "/api/v1/jobs/" + std::to_string(job["id"].get<int64_t>()) + "/logs", "",
              u.Auth())
      .body;
}

/// A real `gantry executor`: registered with a fresh registration token of `admin` on `url`,
/// then `gantry executor run` in a process of its own (its log in DIR/executor.log).
class ExecutorProcess : public ChildProcess {
 public:
  void Start(const std::string& dir, const std::string& url, const User& admin,
             const std::string& name, const std::string& labels = "",
             const std::vector<std::string>& args = {}) {
    dir_ = dir;
    fs::create_directories(dir);
    std::string token =
        Http("POST", url + "/api/v1/executors/registration-tokens", "{}", admin.Auth())
            .Json()
            .value("token", "");
    config_ = dir + "/executor.yml";
    std::string out =
        Sh(std::string(GANTRY_BINARY) + " executor register --url " + url + " --token " + token +
           " --name " + name + (labels.empty() ? "" : " --labels " + labels) + " --config " +
           config_ + " 2>&1");
    ASSERT_TRUE(fs::exists(config_)) << out;
    args_ = args;
    Run();
  }
  /// `gantry executor run --config CONFIG --work-dir WORK` of an executor registered already,
  /// its log in DIR/executor.log.
  void RunWith(const std::string& dir, const std::string& config, const std::string& work) {
    dir_ = dir;
    config_ = config;
    work_ = work;
    Run();
  }
  /// Starts `gantry executor run` again (after Kill9).
  void Run() {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string log = dir_ + "/executor.log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string work = work_.empty() ? dir_ + "/work" : work_;
      std::vector<std::string> argv = {GANTRY_BINARY, "executor", "run",        "--config", config_,
                                       "--work-dir",  work,       "--capacity", "2"};
      argv.insert(argv.end(), args_.begin(), args_.end());
      std::vector<char*> v;
      for (auto& a : argv) v.push_back(a.data());
      v.push_back(nullptr);
      ::execv(v[0], v.data());
      ::_exit(127);
    }
  }
  std::string Log() const { return Sh("cat " + Quote(dir_ + "/executor.log")); }

 private:
  std::string dir_, config_, work_;
  std::vector<std::string> args_;
};

/// Waits up to `seconds` for `path` to exist.
inline bool WaitForFile(const std::string& path, int seconds = 30) {
  for (int i = 0; i < seconds * 50 && !fs::exists(path); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fs::exists(path);
}

}  // namespace gantry::testing
