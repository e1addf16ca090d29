#include "backend/docker/http.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace gantry::backend::docker {
namespace {

// A one-shot HTTP server on a unix socket: answers the first request with `response` and
// records the request it read.
class FakeServer {
 public:
  explicit FakeServer(std::string response) : response_(std::move(response)) {
    char tmpl[] = "/tmp/gantry-http-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/s.sock";
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    thread_.join();
    close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  /// The request as read; complete once the client has its response.
  const std::string& request() const { return request_; }

 private:
  void Serve() {
    int conn = accept(fd_, nullptr, nullptr);
    if (conn < 0) return;
    char buf[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(conn, buf, sizeof(buf));
      if (n <= 0) break;
      request_.append(buf, static_cast<size_t>(n));
    }
    (void)!write(conn, response_.data(), response_.size());
    close(conn);
  }

  std::string response_, dir_, path_, request_;
  int fd_ = -1;
  std::thread thread_;
};

TEST(HttpClientTest, SendCollectsStatusAndBody) {
  FakeServer server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  HttpClient client(server.path());
  auto response = client.Send("GET", "/v1.43/version");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(server.request().rfind("GET /v1.43/version HTTP/1.1\r\n", 0), 0U) << server.request();
}

TEST(HttpClientTest, StreamHandsA2xxBodyToTheSink) {
  FakeServer server("HTTP/1.1 201 Created\r\nContent-Length: 6\r\nConnection: close\r\n\r\nstream");
  HttpClient client(server.path());
  std::string sunk;
  long headers_status = 0;
  StreamControl control;
  control.on_headers = [&](long status) { headers_status = status; };
  auto response = client.Stream(
      "GET", "/logs", "", "application/json", [&](std::string_view data) { sunk += data; },
      control);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(sunk, "stream");
  EXPECT_EQ(headers_status, 201);
}

TEST(HttpClientTest, NoServerIsUnavailable) {
  HttpClient client("/nonexistent/gantry-http-test.sock");
  auto response = client.Send("GET", "/_ping");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("/nonexistent/gantry-http-test.sock"),
            std::string::npos)
      << response.status().message();
}

}  // namespace
}  // namespace gantry::backend::docker
