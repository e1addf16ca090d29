#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "executor/transport.h"

namespace gantry::executor {
namespace {

// A one-connection HTTP server on 127.0.0.1 (port 0): reads one request, then answers with
// `response` unless it is empty (then it holds the connection until destroyed).
class TcpServer {
 public:
  explicit TcpServer(std::string response) : response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(listen(fd_, 1), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TcpServer() {
    shutdown(fd_, SHUT_RDWR);
    if (conn_ >= 0) shutdown(conn_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& request() const { return request_; }

 private:
  void Serve() {
    conn_ = accept(fd_, nullptr, nullptr);
    if (conn_ < 0) return;
    char buf[4096];
    for (;;) {
      size_t end = request_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t cl = request_.find("Content-Length: ");
        size_t want = cl == std::string::npos ? 0 : std::stoul(request_.substr(cl + 16));
        if (request_.size() >= end + 4 + want) break;
      }
      ssize_t n = read(conn_, buf, sizeof(buf));
      if (n <= 0) break;
      request_.append(buf, static_cast<size_t>(n));
    }
    if (response_.empty()) {
      while (read(conn_, buf, sizeof(buf)) > 0) {
      }
    } else {
      (void)!write(conn_, response_.data(), response_.size());
    }
    close(conn_);
  }

  std::string response_, request_;
  int fd_ = -1;
  int conn_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(CurlTransportTest, SendsToTheBaseUrlWithHeadersAndReadsResponseHeaders) {
  TcpServer server(
      "HTTP/1.1 200 OK\r\nX-Cache-Key: k-1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  auto transport = MakeCurlTransport(server.url() + "/");
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/executor/lease";
  req.body = R"({"capacity":1})";
  req.headers = {{"Authorization", "Bearer tok"}};
  auto reply = transport->Send(req, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "hi");
  EXPECT_EQ(reply->Header("x-cache-key"), "k-1");
  EXPECT_EQ(server.request().rfind("POST /api/v1/executor/lease HTTP/1.1\r\n", 0), 0u)
      << server.request();
  EXPECT_NE(server.request().find("Authorization: Bearer tok\r\n"), std::string::npos);
  EXPECT_NE(server.request().find(R"({"capacity":1})"), std::string::npos);
}

TEST(CurlTransportTest, ErrorStatusIsAReplyWithItsBody) {
  TcpServer server(
      "HTTP/1.1 409 Conflict\r\nContent-Length: 11\r\nConnection: close\r\n\r\nlease_lost!");
  auto transport = MakeCurlTransport(server.url());
  HttpRequest req;
  req.path = "/x";
  auto reply = transport->Send(req, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 409);
  EXPECT_EQ(reply->body, "lease_lost!");
}

TEST(CurlTransportTest, TimeoutAndCancelEndAHeldRequest) {
  {
    TcpServer server("");
    auto transport = MakeCurlTransport(server.url());
    HttpRequest req;
    req.path = "/slow";
    req.timeout = std::chrono::milliseconds(300);
    auto reply = transport->Send(req, nullptr);
    EXPECT_EQ(reply.status().code(), core::StatusCode::kDeadlineExceeded);
  }
  {
    TcpServer server("");
    auto transport = MakeCurlTransport(server.url());
    backend::CancelToken cancel;
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      cancel.Cancel();
    });
    auto started = std::chrono::steady_clock::now();
    HttpRequest req;
    req.path = "/poll";
    auto reply = transport->Send(req, &cancel);
    canceller.join();
    EXPECT_EQ(reply.status().code(), core::StatusCode::kCancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  }
}

TEST(CurlTransportTest, NobodyListeningIsUnavailable) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // the port is free again: nothing listens
  auto transport = MakeCurlTransport("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  HttpRequest req;
  req.path = "/x";
  auto reply = transport->Send(req, nullptr);
  EXPECT_EQ(reply.status().code(), core::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace gantry::executor
