// The executor's Transport for http:// servers: Beast's synchronous HTTP/1.1 client over a
// SocketStream, with a few kept-alive connections. It loads no shared library, so an embedded
// executor on loopback keeps libcurl and its TLS stack out of the server process. Also
// MakeTransport, which picks it or the curl transport, and HttpReply's accessor.

#include <strings.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "executor/socket_stream.h"
#include "executor/transport.h"

namespace gantry::executor {

namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

// Like libcurl's connect timeout in the curl transport: a server that does not even accept
// the connection is Unavailable, not a long-poll that is still waiting.
constexpr std::chrono::milliseconds kConnectLimit{10000};
// Idle connections kept for reuse; the agent rarely has more requests in flight than its
// long-poll, its jobs' heartbeats and log uploads.
constexpr size_t kMaxIdle = 8;

// The parts of "http://host[:port][/prefix]" a request needs.
struct BaseUrl {
  std::string host;       // without IPv6 brackets, for getaddrinfo
  std::string port;       // "80" when the URL has none
  std::string authority;  // host[:port] as written, for the Host header
  std::string prefix;     // the path before each request's path, without a trailing '/'
};

constexpr std::string_view kScheme = "http://";

bool IsHttpUrl(const std::string& url) {
  return url.size() >= kScheme.size() &&
         strncasecmp(url.c_str(), kScheme.data(), kScheme.size()) == 0;
}

core::Result<BaseUrl> ParseBaseUrl(const std::string& url) {
  if (!IsHttpUrl(url)) return core::Status::InvalidArgument("'" + url + "' is not an http:// URL");
  std::string rest = url.substr(kScheme.size());
  BaseUrl base;
  size_t slash = rest.find('/');
  base.authority = rest.substr(0, slash);
  if (slash != std::string::npos) base.prefix = rest.substr(slash);
  while (!base.prefix.empty() && base.prefix.back() == '/') base.prefix.pop_back();
  std::string_view port;
  if (!base.authority.empty() && base.authority[0] == '[') {  // [::1]:8080
    size_t close = base.authority.find(']');
    if (close == std::string::npos) {
      return core::Status::InvalidArgument("'" + url + "' has an unclosed '[' in its host");
    }
    base.host = base.authority.substr(1, close - 1);
    std::string_view after = std::string_view(base.authority).substr(close + 1);
    if (!after.empty() && after[0] == ':') port = after.substr(1);
  } else {
    size_t colon = base.authority.rfind(':');
    base.host = base.authority.substr(0, colon);
    if (colon != std::string::npos) port = std::string_view(base.authority).substr(colon + 1);
  }
  base.port = port.empty() ? "80" : std::string(port);
  if (base.host.empty() || base.authority.find('@') != std::string::npos ||
      base.port.find_first_not_of("0123456789") != std::string::npos) {
    return core::Status::InvalidArgument("'" + url + "' is not an http://host[:port] URL");
  }
  return base;
}

class BeastTransport : public Transport {
 public:
  explicit BeastTransport(std::string base_url) : url_(std::move(base_url)) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    auto parsed = ParseBaseUrl(url_);
    if (parsed.ok()) {
      base_ = std::move(parsed).value();
    } else {
      invalid_ = parsed.status();
    }
  }

  core::Result<HttpReply> Send(const HttpRequest& request,
                               const backend::CancelToken* cancel) override {
    if (!invalid_.ok()) return invalid_;
    try {
      return SendOrThrow(request, cancel);
    } catch (const std::exception& e) {  // std::bad_alloc, or Beast on a broken invariant
      return core::Status::Internal(request.method + " " + url_ + request.path + ": " + e.what());
    }
  }

 private:
  struct Exchanged {
    HttpReply reply;
    bool keep_alive = false;
  };

  core::Result<HttpReply> SendOrThrow(const HttpRequest& request,
                                      const backend::CancelToken* cancel) {
    if (cancel != nullptr && cancel->cancelled()) return CancelledError(request);
    const Clock::time_point deadline =
        request.timeout.count() > 0 ? Clock::now() + request.timeout : Clock::time_point::max();
    http::request<http::string_body> message = Build(request);
    // A kept-alive connection may have been closed by the server since its last use (its idle
    // timeout, a restart). When it breaks before any byte of the answer arrived, the server
    // did not process the request: it is sent once more, on a new connection.
    bool may_retry = true;
    for (;;) {
      std::unique_ptr<SocketStream> stream = may_retry ? TakeIdle() : nullptr;
      const bool reused = stream != nullptr;
      if (!reused) {
        auto connected =
            SocketStream::Connect(base_.host, base_.port, deadline, kConnectLimit, cancel);
        if (!connected.ok()) return ConnectError(request, connected.status());
        stream = std::move(connected).value();
      }
      stream->Arm(deadline, cancel);
      boost::system::error_code ec;
      Exchanged done = Exchange(*stream, message, request.method == "HEAD", ec);
      if (!ec) {
        // Disarmed: the token and the deadline belong to this request only.
        stream->Arm(Clock::time_point::max(), nullptr);
        if (done.keep_alive) PutIdle(std::move(stream));
        return std::move(done.reply);
      }
      switch (stream->stop()) {
        case SocketStream::Stop::kCancelled:
          return CancelledError(request);
        case SocketStream::Stop::kDeadline:
          return DeadlineError(request);
        case SocketStream::Stop::kNone:
          break;
      }
      if (reused && may_retry && stream->bytes_read() == 0) {
        may_retry = false;
        continue;
      }
      return core::Status::Unavailable(request.method + " " + url_ + request.path +
                                       " failed: " + ec.message());
    }
  }

  http::request<http::string_body> Build(const HttpRequest& request) const {
    http::request<http::string_body> message;
    message.method_string(request.method);
    message.target(base_.prefix + request.path);
    message.version(11);
    message.set(http::field::host, base_.authority);
    for (const auto& [name, value] : request.headers) message.insert(name, value);
    // As the curl transport: a body (and its type) for POST and PUT, and whenever there is one.
    if (request.method == "POST" || request.method == "PUT" || !request.body.empty()) {
      message.set(http::field::content_type, request.content_type);
      message.body() = request.body;
      message.prepare_payload();
    }
    return message;
  }

  // Writes `message` and reads the answer (after any 1xx interim ones) on `stream`.
  static Exchanged Exchange(SocketStream& stream, http::request<http::string_body>& message,
                            bool head, boost::system::error_code& ec) {
    Exchanged done;
    http::write(stream, message, ec);
    if (ec) return done;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(boost::none);  // artifacts and caches arrive through here
      parser.skip(head);
      http::read(stream, buffer, parser, ec);
      if (ec) return done;
      unsigned status = parser.get().result_int();
      if (status >= 100 && status < 200 && status != 101) continue;
      done.reply.status = status;
      for (const auto& field : parser.get()) {
        done.reply.headers.emplace_back(std::string(field.name_string()),
                                        std::string(field.value()));
      }
      done.reply.body = std::move(parser.get().body());
      // Leftover bytes would be an answer to nothing: such a connection is not reused.
      done.keep_alive = parser.keep_alive() && buffer.size() == 0;
      return done;
    }
  }

  std::unique_ptr<SocketStream> TakeIdle() {
    for (;;) {
      std::unique_ptr<SocketStream> stream;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (idle_.empty()) return nullptr;
        stream = std::move(idle_.back());
        idle_.pop_back();
      }
      // Most closed connections are seen here, before a request is wasted on them.
      if (stream->IdleAndOpen()) return stream;
    }
  }

  void PutIdle(std::unique_ptr<SocketStream> stream) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(stream));
  }

  core::Status ConnectError(const HttpRequest& request, const core::Status& status) const {
    switch (status.code()) {
      case core::StatusCode::kCancelled:
        return CancelledError(request);
      case core::StatusCode::kDeadlineExceeded:
        return DeadlineError(request);
      default:
        return core::Status::Unavailable(request.method + " " + url_ + request.path +
                                         " failed: cannot connect: " + status.message());
    }
  }
  static core::Status CancelledError(const HttpRequest& request) {
    return core::Status::Cancelled(request.method + " " + request.path + " was cancelled");
  }
  static core::Status DeadlineError(const HttpRequest& request) {
    return core::Status::DeadlineExceeded(request.method + " " + request.path +
                                          ": no answer within " +
                                          std::to_string(request.timeout.count()) + " ms");
  }

  std::string url_;  // without a trailing '/'
  BaseUrl base_;
  core::Status invalid_;  // why url_ is unusable, checked by every Send
  std::mutex mu_;
  std::vector<std::unique_ptr<SocketStream>> idle_;  // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<Transport> MakeBeastTransport(std::string base_url) {
  return std::make_unique<BeastTransport>(std::move(base_url));
}

std::unique_ptr<Transport> MakeTransport(std::string base_url) {
  // Only TLS needs libcurl; plain HTTP (the embedded executor on loopback, an executor inside
  // a private network) goes without it and the ~40 libraries it loads.
  if (IsHttpUrl(base_url)) return MakeBeastTransport(std::move(base_url));
  return MakeCurlTransport(std::move(base_url));
}

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return "";
}

}  // namespace gantry::executor
