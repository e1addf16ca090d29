#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "executor/transport.h"

namespace gantry::executor {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Clock = std::chrono::steady_clock;

// What the test server does with a request.
enum class Action {
  kReply,          // answers and keeps the connection open
  kReplyAndClose,  // answers (without "Connection: close"), then closes: an idle timeout
  kDrop,           // closes without answering
  kHold,           // never answers; the connection stays open until the server stops
};

// An HTTP/1.1 server on 127.0.0.1 (port 0), one thread per connection, independent of the
// code under test: `handler` fills each response and says what to do.
class TestServer {
 public:
  using Handler = std::function<Action(const Request&, Response&)>;

  explicit TestServer(Handler handler)
      : handler_(std::move(handler)), acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      for (const auto& socket : sockets_) ::shutdown(socket->native_handle(), SHUT_RDWR);
    }
    cv_.notify_all();
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // ends the blocked accept()
    accept_thread_.join();
    for (std::thread& t : threads_) t.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  int accepted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(sockets_.size());
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    for (;;) {
      auto socket = std::make_unique<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      std::lock_guard<std::mutex> lock(mu_);
      if (ec || stopping_) return;
      tcp::socket* s = socket.get();
      sockets_.push_back(std::move(socket));
      threads_.emplace_back([this, s] { Serve(*s); });
    }
  }

  void Serve(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      Request request;
      boost::system::error_code ec;
      http::read(socket, buffer, request, ec);
      if (ec) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      Response response{http::status::ok, 11};
      Action action = handler_(request, response);
      if (action == Action::kHold) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_; });
        return;
      }
      if (action != Action::kDrop) {
        response.keep_alive(request.keep_alive());
        if (!response.has_content_length()) response.prepare_payload();
        http::write(socket, response, ec);
        if (ec) return;
      }
      if (action != Action::kReply) {
        ::shutdown(socket.native_handle(), SHUT_RDWR);
        return;
      }
    }
  }

  Handler handler_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                              // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<tcp::socket>> sockets_;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;                   // GUARDED_BY(mu_)
  std::vector<Request> requests_;                      // GUARDED_BY(mu_)
};

Action Echo(const Request& request, Response& response) {
  response.set("X-Method", request.method_string());
  response.body() = request.body();
  return Action::kReply;
}

HttpRequest Get(std::string path) {
  HttpRequest request;
  request.path = std::move(path);
  return request;
}

TEST(BeastTransportTest, PostSendsBodyAndHeadersAndReadsReplyHeaders) {
  TestServer server([](const Request& request, Response& response) {
    response.set("X-Cache-Key", "k-1");
    response.body() = "got " + request.body();
    return Action::kReply;
  });
  auto transport = MakeBeastTransport(server.url() + "/ci/");
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/executor/lease?wait=1";
  req.body = R"({"capacity":1})";
  req.headers = {{"Authorization", "Bearer tok"}, {"X-Extra", "a"}};
  auto reply = transport->Send(req, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, R"(got {"capacity":1})");
  EXPECT_EQ(reply->Header("x-cache-key"), "k-1");
  std::vector<Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method_string(), "POST");
  EXPECT_EQ(seen[0].target(), "/ci/api/v1/executor/lease?wait=1");
  EXPECT_EQ(seen[0][http::field::host], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0]["Authorization"], "Bearer tok");
  EXPECT_EQ(seen[0]["X-Extra"], "a");
  EXPECT_EQ(seen[0][http::field::content_type], "application/json");
  EXPECT_EQ(seen[0].body(), R"({"capacity":1})");
}

TEST(BeastTransportTest, GetAndHeadSendNoBody) {
  TestServer server([](const Request& request, Response& response) {
    response.body() = "0123456789";
    if (request.method() == http::verb::head) {
      response.prepare_payload();
      response.body().clear();  // HEAD: the length of the body that GET would have
    }
    return Action::kReply;
  });
  auto transport = MakeBeastTransport(server.url());
  HttpRequest head = Get("/file");
  head.method = "HEAD";
  auto reply = transport->Send(head, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->body, "");
  EXPECT_EQ(reply->Header("Content-Length"), "10");
  reply = transport->Send(Get("/file"), nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->body, "0123456789");
  std::vector<Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].count(http::field::content_type), 0u);
  EXPECT_EQ(seen[1].count(http::field::content_length), 0u);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(BeastTransportTest, ErrorStatusIsAReplyWithItsBody) {
  TestServer server([](const Request&, Response& response) {
    response.result(http::status::conflict);
    response.body() = "lease_lost!";
    return Action::kReply;
  });
  auto transport = MakeBeastTransport(server.url());
  auto reply = transport->Send(Get("/x"), nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 409);
  EXPECT_EQ(reply->body, "lease_lost!");
}

TEST(BeastTransportTest, KeepsTheConnectionAliveBetweenRequests) {
  TestServer server(Echo);
  auto transport = MakeBeastTransport(server.url());
  for (int i = 0; i < 3; ++i) {
    auto reply = transport->Send(Get("/x"), nullptr);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  }
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(BeastTransportTest, ReconnectsWhenTheServerClosedTheIdleConnection) {
  TestServer server([](const Request&, Response&) { return Action::kReplyAndClose; });
  auto transport = MakeBeastTransport(server.url());
  for (int i = 0; i < 2; ++i) {
    auto reply = transport->Send(Get("/x"), nullptr);
    ASSERT_TRUE(reply.ok()) << i << ": " << reply.status().ToString();
  }
  EXPECT_EQ(server.accepted(), 2);
}

TEST(BeastTransportTest, ResendsOnceWhenAReusedConnectionBreaksBeforeTheAnswer) {
  // The second request on each connection is dropped unanswered, as when the server closes an
  // idle connection while the request is on its way.
  std::atomic<int> calls{0};
  TestServer server(
      [&](const Request&, Response&) { return calls++ == 1 ? Action::kDrop : Action::kReply; });
  auto transport = MakeBeastTransport(server.url());
  ASSERT_TRUE(transport->Send(Get("/a"), nullptr).ok());
  auto reply = transport->Send(Get("/b"), nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.accepted(), 2);
}

TEST(BeastTransportTest, ResendsAtMostOnce) {
  std::atomic<int> calls{0};
  TestServer server(
      [&](const Request&, Response&) { return calls++ == 0 ? Action::kReply : Action::kDrop; });
  auto transport = MakeBeastTransport(server.url());
  ASSERT_TRUE(transport->Send(Get("/a"), nullptr).ok());
  auto reply = transport->Send(Get("/b"), nullptr);
  EXPECT_EQ(reply.status().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(reply.status().message().find("GET " + server.url() + "/b"), std::string::npos)
      << reply.status().message();
  EXPECT_EQ(server.requests().size(), 3u);  // /a, /b on the kept connection, /b on a new one
  EXPECT_EQ(server.accepted(), 2);
}

TEST(BeastTransportTest, TimeoutEndsAHeldRequest) {
  TestServer server([](const Request&, Response&) { return Action::kHold; });
  auto transport = MakeBeastTransport(server.url());
  HttpRequest req = Get("/slow");
  req.timeout = std::chrono::milliseconds(300);
  auto started = Clock::now();
  auto reply = transport->Send(req, nullptr);
  auto took = Clock::now() - started;
  EXPECT_EQ(reply.status().code(), core::StatusCode::kDeadlineExceeded)
      << reply.status().ToString();
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(BeastTransportTest, CancelEndsALongPollPromptly) {
  TestServer server([](const Request&, Response&) { return Action::kHold; });
  auto transport = MakeBeastTransport(server.url());
  backend::CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel.Cancel();
  });
  auto started = Clock::now();
  HttpRequest req = Get("/poll");
  req.timeout = std::chrono::seconds(30);
  auto reply = transport->Send(req, &cancel);
  auto took = Clock::now() - started;
  canceller.join();
  EXPECT_EQ(reply.status().code(), core::StatusCode::kCancelled) << reply.status().ToString();
  EXPECT_LT(took, std::chrono::seconds(1));
  // A token that already fired sends nothing.
  EXPECT_EQ(transport->Send(Get("/again"), &cancel).status().code(), core::StatusCode::kCancelled);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(BeastTransportTest, NobodyListeningIsUnavailable) {
  int port = 0;
  {
    TestServer server(Echo);  // takes a free port, then frees it: nothing listens
    port = server.port();
  }
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto transport = MakeBeastTransport(url);
  auto reply = transport->Send(Get("/x"), nullptr);
  EXPECT_EQ(reply.status().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(reply.status().message().find(url + "/x"), std::string::npos)
      << reply.status().message();
}

TEST(BeastTransportTest, MalformedUrlIsInvalidArgument) {
  for (const char* url : {"http://", "http://host:port", "http://[::1", "ftp://host"}) {
    auto reply = MakeBeastTransport(url)->Send(Get("/x"), nullptr);
    EXPECT_EQ(reply.status().code(), core::StatusCode::kInvalidArgument) << url;
  }
}

TEST(BeastTransportTest, MakeTransportKeepsPlainHttpConnectionsAlive) {
  // Beast keeps the connection for the next request; libcurl's transport would open one per
  // request.
  TestServer server(Echo);
  auto transport = MakeTransport("HTTP" + server.url().substr(4));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(transport->Send(Get("/x"), nullptr).ok());
  EXPECT_EQ(server.accepted(), 1);
}

TEST(BeastTransportTest, ThreadsSendAtOnce) {
  TestServer server(Echo);
  auto transport = MakeBeastTransport(server.url());
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        HttpRequest req;
        req.method = "PUT";
        req.path = "/log";
        req.body = std::to_string(t) + "/" + std::to_string(i);
        auto reply = transport->Send(req, nullptr);
        if (reply.ok() && reply->body == req.body && reply->Header("X-Method") == "PUT") ++good;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), kThreads * kEach);
  EXPECT_LE(server.accepted(), kThreads);
}

}  // namespace
}  // namespace gantry::executor
