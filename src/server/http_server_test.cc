// HttpServer end to end: a real server on port 0 and a small blocking client written with
// POSIX sockets (and OpenSSL for TLS), so the test needs no HTTP library of its own.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <thread>

#include "core/strings.h"
#include "server/http.h"

namespace gantry::server {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool Has(const std::string& name) const { return headers.count(name) != 0; }
};

// One HTTP/1.1 connection. Every receive times out after 10 s so a broken server fails the
// test instead of hanging it.
class Client {
 public:
  explicit Client(const std::string& url) {
    bool tls = url.rfind("https://", 0) == 0;
    int port = std::stoi(url.substr(url.rfind(':') + 1));
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ADD_FAILURE() << "connect to " << url;
      return;
    }
    if (tls) {
      ctx_ = SSL_CTX_new(TLS_client_method());
      ssl_ = SSL_new(ctx_);
      SSL_set_fd(ssl_, fd_);
      if (SSL_connect(ssl_) != 1) ADD_FAILURE() << "TLS handshake with " << url;
    }
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ssl_ != nullptr ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                                  : send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  /// Reads one response. `on_chunk` sees each chunk of a chunked body as it arrives and may
  /// stop reading by returning false. nullopt when the connection ended first.
  std::optional<Reply> Read(bool head = false,
                            const std::function<bool(const std::string&)>& on_chunk = {}) {
    Reply reply;
    std::string line;
    if (!ReadLine(&line) || line.size() < 12) return std::nullopt;
    reply.status = std::stoi(line.substr(9, 3));
    while (ReadLine(&line) && !line.empty()) {
      size_t colon = line.find(':');
      reply.headers[core::AsciiLower(line.substr(0, colon))] =
          std::string(core::TrimSpace(line.substr(colon + 1)));
    }
    if (head || reply.status == 204 || reply.status == 304) return reply;
    if (reply.headers["transfer-encoding"] == "chunked") {
      for (;;) {
        if (!ReadLine(&line)) return std::nullopt;
        size_t size = std::stoul(line, nullptr, 16);
        std::string chunk;
        if (!ReadBytes(size, &chunk) || !ReadLine(&line)) return std::nullopt;
        if (size == 0) break;
        reply.body += chunk;
        if (on_chunk && !on_chunk(chunk)) return reply;
      }
    } else if (reply.Has("content-length")) {
      if (!ReadBytes(std::stoul(reply.headers["content-length"]), &reply.body)) {
        return std::nullopt;
      }
    } else {
      while (Fill()) {
      }
      reply.body = std::move(buffer_);
      buffer_.clear();
    }
    return reply;
  }

  /// True when the server closes the connection (within the receive timeout).
  bool ServerClosed() {
    buffer_.clear();
    while (Fill()) buffer_.clear();
    return !timed_out_;
  }

  void Close() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
    ssl_ = nullptr;
    ctx_ = nullptr;
    fd_ = -1;
  }

 private:
  bool Fill() {
    char data[4096];
    ssize_t n =
        ssl_ != nullptr ? SSL_read(ssl_, data, sizeof data) : recv(fd_, data, sizeof data, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) timed_out_ = true;
    if (n <= 0) return false;
    buffer_.append(data, static_cast<size_t>(n));
    return true;
  }
  bool ReadLine(std::string* line) {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    *line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return true;
  }
  bool ReadBytes(size_t n, std::string* out) {
    while (buffer_.size() < n) {
      if (!Fill()) return false;
    }
    *out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return true;
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  bool timed_out_ = false;
};

std::string Get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/hello", [](Request&) { return Response::Json(200, R"({"hello":1})"); });
    router_.Add("GET", "/runs/{id}/jobs/{job}", [](Request& request) {
      std::string q = request.Query("q").value_or("<none>");
      return Response::Text(200, request.Param("id") + "|" + request.Param("job") + "|" + q + "|" +
                                     request.Header("X-Thing"));
    });
    router_.Add("POST", "/echo", [this](Request& request) {
      ++echo_calls_;
      return Response::Text(200, request.body);
    });
    router_.Add("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
  }
  void TearDown() override {
    if (!temp_.empty()) std::filesystem::remove_all(temp_);
  }

  void Start(ServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    auto started = HttpServer::Start(options, router_);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(*started);
  }

  std::string TempDir() {
    if (temp_.empty()) {
      std::string pattern = (std::filesystem::temp_directory_path() / "http_test.XXXXXX").string();
      temp_ = mkdtemp(pattern.data());
    }
    return temp_;
  }

  Router router_;
  std::atomic<int> echo_calls_{0};
  std::string temp_;
  std::unique_ptr<HttpServer> server_;  // after router_: destroyed first
};

TEST_F(HttpServerTest, UrlHasTheBoundPort) {
  Start();
  EXPECT_EQ(server_->url().rfind("http://127.0.0.1:", 0), 0u) << server_->url();
  EXPECT_NE(server_->url(), "http://127.0.0.1:0");
}

TEST_F(HttpServerTest, RoutesWithDecodedPathParametersQueryAndHeaders) {
  Start();
  Client client(server_->url());
  client.Send(Get("/runs/4%202/jobs/lint?q=a+b%21&flag", "X-Thing: yes\r\n"));
  std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "4 2|lint|a b!|yes");
  EXPECT_EQ(reply->headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(reply->headers["content-length"], "17");
  EXPECT_FALSE(reply->Has("server"));
  EXPECT_EQ(reply->headers["x-content-type-options"], "nosniff");
}

TEST_F(HttpServerTest, UnknownPathIs404AndOtherMethodIs405AsJsonErrors) {
  Start();
  Client client(server_->url());
  client.Send(Get("/nope"));
  std::optional<Reply> missing = client.Read();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers["content-type"], "application/json");
  EXPECT_EQ(missing->body, R"({"error":{"code":"not_found","message":"no such path: /nope"}})");
  EXPECT_EQ(missing->headers["x-content-type-options"], "nosniff");
  client.Send("DELETE /hello HTTP/1.1\r\nHost: test\r\n\r\n");
  std::optional<Reply> wrong = client.Read();
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers["allow"], "GET, HEAD");
  EXPECT_NE(wrong->body.find(R"("code":"method_not_allowed")"), std::string::npos);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  Client client(server_->url());
  for (int i = 0; i < 3; ++i) {
    client.Send(Get("/hello"));
    std::optional<Reply> reply = client.Read();
    ASSERT_TRUE(reply) << i;
    EXPECT_EQ(reply->body, R"({"hello":1})");
    EXPECT_FALSE(reply->Has("connection"));
  }
  // Pipelined: two requests in one write.
  client.Send(Get("/hello") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(client.Read()->body, R"({"hello":1})");
  EXPECT_EQ(client.Read()->body, "abc");
  client.Send(Get("/hello", "Connection: close\r\n"));
  std::optional<Reply> last = client.Read();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->headers["connection"], "close");
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(HttpServerTest, OversizedBodyIs413BeforeTheBodyIsRead) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  Start(options);
  Client client(server_->url());
  // Only the header is sent: the answer cannot depend on reading the body.
  client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n");
  std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_NE(reply->body.find(R"({"error":{"code":"payload_too_large")"), std::string::npos);
  EXPECT_EQ(reply->headers["connection"], "close");
  EXPECT_EQ(echo_calls_, 0);

  Client chunked(server_->url());
  chunked.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  chunked.Send("3e8\r\n" + std::string(1000, 'x') + "\r\n10\r\n" + std::string(16, 'y') +
               "\r\n0\r\n\r\n");
  std::optional<Reply> too_long = chunked.Read();
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 413);

  Client fits(server_->url());
  fits.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" +
            std::string(1000, 'z'));
  EXPECT_EQ(fits.Read()->status, 200);
}

TEST_F(HttpServerTest, MalformedRequestsAre400JsonErrors) {
  Start();
  for (std::string request :
       {"GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n", "THIS IS NOT HTTP\r\n\r\n",
        "GET /hello%zz HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    Client client(server_->url());
    client.Send(request);
    std::optional<Reply> reply = client.Read();
    ASSERT_TRUE(reply) << request;
    EXPECT_EQ(reply->status, 400) << request;
    EXPECT_NE(reply->body.find(R"({"error":{"code":"bad_request")"), std::string::npos)
        << reply->body;
  }
}

TEST_F(HttpServerTest, HandlerThatThrowsAnswers500Json) {
  Start();
  Client client(server_->url());
  client.Send(Get("/throw"));
  std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 500);
  EXPECT_NE(reply->body.find(R"("code":"internal")"), std::string::npos);
  client.Send(Get("/hello"));  // the connection survives
  EXPECT_EQ(client.Read()->status, 200);
}

TEST_F(HttpServerTest, HeadAnswersAGetRouteWithHeadersOnly) {
  Start();
  Client client(server_->url());
  client.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  std::optional<Reply> reply = client.Read(/*head=*/true);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->headers["content-length"], "11");
  client.Send(Get("/hello"));  // would be garbled if HEAD had sent a body
  EXPECT_EQ(client.Read()->body, R"({"hello":1})");
}

TEST_F(HttpServerTest, SlowHandlerDoesNotBlockOtherRequests) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  router_.Add("GET", "/slow", [released](Request&) {
    released.wait_for(std::chrono::seconds(10));
    return Response::Text(200, "slow");
  });
  Start();
  Client slow(server_->url());
  slow.Send(Get("/slow"));
  Client fast(server_->url());
  fast.Send(Get("/hello"));
  EXPECT_EQ(fast.Read()->status, 200);
  release.set_value();
  EXPECT_EQ(slow.Read()->body, "slow");
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheTimeout) {
  ServerOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  Start(options);
  Client client(server_->url());
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HttpServerTest, ConcurrentRequestsFromSeveralThreads) {
  ServerOptions options;
  options.worker_threads = 3;
  Start(options);
  constexpr int kThreads = 8;
  constexpr int kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client client(server_->url());
      for (int i = 0; i < kRequests; ++i) {
        std::string id = std::to_string(t * 1000 + i);
        client.Send(Get("/runs/" + id + "/jobs/j"));
        std::optional<Reply> reply = client.Read();
        if (reply && reply->body == id + "|j|<none>|") ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok, kThreads * kRequests);
  // A request is counted once its response is written: the client may read it a moment before.
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = server_->MetricsText();
    if (metrics.find("code=\"200\"} 400\n") != std::string::npos) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_NE(metrics.find("gantry_http_requests_total{route=\"/runs/{id}/jobs/{job}\","
                         "method=\"GET\",code=\"200\"} 400\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("gantry_http_request_duration_seconds_count{route=\"/runs/{id}/jobs/"
                         "{job}\"} 400\n"),
            std::string::npos);
}

TEST_F(HttpServerTest, StreamDeliversEachChunkAsItIsWritten) {
  std::promise<void> got_first;
  std::shared_future<void> first_arrived = got_first.get_future().share();
  std::atomic<bool> waited_for_client{false};
  router_.Add("GET", "/events", [&](Request&) {
    Response response;
    response.content_type = "text/event-stream";
    response.stream = [&, first_arrived](BodyWriter& writer) {
      writer.Write("data: one\n\n");
      // The second event is only written once the client has the first.
      waited_for_client =
          first_arrived.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
      writer.Write("data: two\n\n");
    };
    return response;
  });
  Start();
  Client client(server_->url());
  client.Send(Get("/events"));
  std::vector<std::string> chunks;
  std::optional<Reply> reply = client.Read(false, [&](const std::string& chunk) {
    chunks.push_back(chunk);
    if (chunks.size() == 1) got_first.set_value();
    return true;
  });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->headers["content-type"], "text/event-stream");
  EXPECT_EQ(reply->headers["transfer-encoding"], "chunked");
  EXPECT_EQ(chunks, (std::vector<std::string>{"data: one\n\n", "data: two\n\n"}));
  EXPECT_TRUE(waited_for_client);
}

TEST_F(HttpServerTest, StreamWriteFailsOnceTheClientIsGone) {
  std::promise<bool> producer_saw_close;
  router_.Add("GET", "/follow", [&](Request&) {
    Response response;
    response.stream = [&](BodyWriter& writer) {
      Clock::time_point give_up = Clock::now() + std::chrono::seconds(10);
      while (Clock::now() < give_up && writer.Write("tick\n")) {
        std::this_thread::sleep_for(milliseconds(10));
      }
      producer_saw_close.set_value(writer.Closed());
    };
    return response;
  });
  Start();
  {
    Client client(server_->url());
    client.Send(Get("/follow"));
    std::optional<Reply> reply = client.Read(false, [](const std::string&) { return false; });
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->body.substr(0, 5), "tick\n");
  }  // disconnects
  std::future<bool> saw_close = producer_saw_close.get_future();
  ASSERT_EQ(saw_close.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(saw_close.get());
}

TEST_F(HttpServerTest, ShutdownEndsAnOpenStreamWithinTheGrace) {
  std::atomic<bool> producer_done{false};
  router_.Add("GET", "/follow", [&](Request&) {
    Response response;
    response.stream = [&](BodyWriter& writer) {
      while (writer.Write("tick\n")) std::this_thread::sleep_for(milliseconds(20));
      producer_done = true;
    };
    return response;
  });
  Start();
  Client client(server_->url());
  client.Send(Get("/follow"));
  bool first = false;
  std::optional<Reply> head = client.Read(false, [&](const std::string&) {
    first = true;
    return false;
  });
  ASSERT_TRUE(first);
  Clock::time_point start = Clock::now();
  server_->Shutdown(milliseconds(500));
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
  EXPECT_TRUE(producer_done);
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(HttpServerTest, ShutdownLetsARequestInFlightFinish) {
  std::promise<void> entered;
  router_.Add("GET", "/slow", [&](Request&) {
    entered.set_value();
    std::this_thread::sleep_for(milliseconds(300));
    return Response::Text(200, "done");
  });
  Start();
  Client idle(server_->url());
  Client client(server_->url());
  client.Send(Get("/slow"));
  entered.get_future().wait();
  Clock::time_point start = Clock::now();
  server_->Shutdown(std::chrono::seconds(5));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, "done");
  EXPECT_EQ(reply->headers["connection"], "close");
  EXPECT_TRUE(idle.ServerClosed());
  server_->Shutdown(milliseconds(0));  // idempotent
}

TEST_F(HttpServerTest, TlsServesHttpsOnly) {
  std::string dir = TempDir();
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
      "-keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  ServerOptions options;
  options.tls_cert = dir + "/cert.pem";
  options.tls_key = dir + "/key.pem";
  Start(options);
  ASSERT_EQ(server_->url().rfind("https://127.0.0.1:", 0), 0u) << server_->url();
  Client client(server_->url());
  for (int i = 0; i < 2; ++i) {
    client.Send(Get("/hello"));
    std::optional<Reply> reply = client.Read();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->body, R"({"hello":1})");
  }
  std::string plain_url = "http" + server_->url().substr(5);
  Client plain(plain_url);
  plain.Send(Get("/hello"));
  EXPECT_FALSE(plain.Read());
}

TEST_F(HttpServerTest, StartFailsOnUnreadableTlsFilesAndBusyPorts) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert = "/nonexistent/cert.pem";
  options.tls_key = "/nonexistent/key.pem";
  auto tls = HttpServer::Start(options, router_);
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(tls.status().message().find("/nonexistent/cert.pem"), std::string::npos);

  Start();
  ServerOptions same;
  same.listen = server_->url().substr(7);
  auto busy = HttpServer::Start(same, router_);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), core::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace gantry::server
