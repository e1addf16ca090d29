// The HTTP server behind HttpServer (http.h): Beast over Asio with C++20 coroutines. This is
// the only translation unit that includes Beast, so the rest of the server compiles fast.
//
// Threads: one I/O thread runs every socket operation (accept, TLS, read, write, timers);
// handlers run on a pool of `worker_threads` because they block on the database; each
// streamed response's producer runs on a thread of its own and hands its data to the I/O
// thread through a bounded StreamChannel.

#ifndef BOOST_ASIO_NO_DEPRECATED
#define BOOST_ASIO_NO_DEPRECATED  // as for the users of gantry_server (CMake INTERFACE)
#endif

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <exception>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/strings.h"
#include "server/http.h"
#include "server/http_metrics.h"
#include "server/http_stream.h"
#include "server/http_target.h"

namespace gantry::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::experimental::awaitable_operators::operator&&;
using namespace std::string_view_literals;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// How far a stream's producer may run ahead of its client before Write blocks.
constexpr size_t kStreamQueueBytes = 256 * 1024;
constexpr uint32_t kHeaderLimit = 16 * 1024;
// After a final response: how long to wait for the client's side of the close (TLS
// close_notify, or the rest of a request we refused) so our answer is not lost to a reset.
constexpr std::chrono::seconds kCloseTimeout{1};
constexpr size_t kMaxDrainBytes = 1024 * 1024;

void LogFailure(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::cerr << "gantry server: connection failed: " << e.what() << "\n";
  }
}

// Producer threads still running, so Shutdown can wait for them.
struct Producers {
  std::mutex mu;
  std::condition_variable done;
  int running = 0;  // GUARDED_BY(mu)
};

// What Shutdown needs to know about a connection. Lives in its session's frame; I/O thread.
struct Connection {
  std::function<void()> close;  // closes the socket
  bool idle = false;            // waiting for the next request
  StreamChannel* stream = nullptr;
  asio::steady_timer* wake = nullptr;  // with `stream`
};

// How a session's request loop ended.
enum class Ending {
  kAbort,          // peer gone, timeout, shutdown or a stream: just close
  kAfterResponse,  // the last response was written: close gracefully
};

Response InvokeHandler(const Handler& handler, Request& request, const std::string& route) {
  std::string why;
  try {
    return handler(request);
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "an exception that is not a std::exception";
  }
  std::cerr << "gantry server: bug: the handler of " << request.method << " " << route
            << " threw: " << why << "\n";
  return Response::Error(500, "internal",
                         "the server failed to answer this request; its log has the details");
}

asio::awaitable<Response> CallHandler(const Handler* handler, Request* request,
                                      const std::string* route) {
  co_return InvokeHandler(*handler, *request, *route);
}

// A response with a status no client could frame, or headers that would split the response,
// is a handler bug: answer 500 instead of sending it.
bool CheckResponse(const Response& response, const std::string& route) {
  std::string why;
  if (response.status < 200 || response.status > 599) {
    why = fmt::format("status {}", response.status);
  }
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || name.find_first_of("\r\n:\0 "sv) != std::string::npos ||
        value.find_first_of("\r\n\0"sv) != std::string::npos) {
      why = fmt::format("header '{}'", name);
    }
  }
  if (why.empty()) return true;
  std::cerr << "gantry server: bug: the handler of " << route << " answered an invalid " << why
            << "\n";
  return false;
}

template <class Message>
void SetHeaders(Message& message, const Response& response, bool bodyless) {
  if (!bodyless && !response.content_type.empty()) {
    message.set(http::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    std::string lower = core::AsciiLower(name);
    // Framing is the server's business.
    if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection") {
      continue;
    }
    if (lower == "content-type") {
      message.set(http::field::content_type, value);
    } else {
      message.insert(name, value);
    }
  }
}

std::optional<Response> ReadErrorResponse(const beast::error_code& ec, size_t max_body) {
  if (ec == http::error::body_limit) {
    return Response::Error(
        413, "payload_too_large",
        fmt::format("the request body is larger than this server's limit of {} bytes", max_body));
  }
  if (ec == http::error::header_limit) {
    return Response::Error(431, "header_too_large",
                           fmt::format("the request header is larger than {} bytes", kHeaderLimit));
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return Response::Error(400, "bad_request", "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const ServerOptions& options, const Router& router)
      : options_(options), router_(router), pool_(std::max(1, options.worker_threads)) {}
  ~ServerImpl() override { Shutdown(std::chrono::milliseconds(0)); }

  core::Status Listen();
  void Run();

  std::string url() const override { return url_; }
  void Shutdown(std::chrono::milliseconds grace) override;
  std::string MetricsText() const override { return metrics_.Text(); }

 private:
  // Registers a session's connection for Shutdown while the session lives.
  class Scope {
   public:
    Scope(ServerImpl* server, Connection* connection) : server_(server), connection_(connection) {
      server_->connections_.insert(connection_);
      std::lock_guard lock(server_->mu_);
      ++server_->sessions_;
    }
    ~Scope() {
      server_->connections_.erase(connection_);
      std::lock_guard lock(server_->mu_);
      --server_->sessions_;
      server_->sessions_changed_.notify_all();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ServerImpl* server_;
    Connection* connection_;
  };

  asio::awaitable<void> Accept();
  asio::awaitable<void> ServeTcp(tcp::socket socket);
  asio::awaitable<void> ServeTls(tcp::socket socket);
  template <class Stream>
  asio::awaitable<Ending> Serve(Stream& stream, Connection& connection, bool tls);
  template <class Stream>
  asio::awaitable<bool> WriteResponse(Stream& stream, Response response, unsigned version,
                                      bool keep_alive, bool head);
  template <class Stream>
  asio::awaitable<void> WriteStream(Stream& stream, Response response, unsigned version,
                                    Connection& connection);
  template <class Stream>
  asio::awaitable<void> Pump(Stream& stream, StreamChannel& channel, asio::steady_timer& wake,
                             bool chunked, const bool& peer_gone);
  template <class Stream>
  asio::awaitable<void> WatchPeer(Stream& stream, StreamChannel& channel, asio::steady_timer& wake,
                                  bool& peer_gone);
  asio::awaitable<void> LingeringClose(beast::tcp_stream& stream);
  void BeginShutdown();

  const ServerOptions options_;
  const Router& router_;
  HttpMetrics metrics_;
  std::string url_;
  std::shared_ptr<Producers> producers_ = std::make_shared<Producers>();

  std::mutex mu_;
  std::condition_variable sessions_changed_;
  size_t sessions_ = 0;     // GUARDED_BY(mu_)
  bool shut_down_ = false;  // GUARDED_BY(mu_)

  // I/O thread only. Declared before io_ so that sessions destroyed with io_ can still
  // unregister.
  bool stopping_ = false;
  std::set<Connection*> connections_;
  std::optional<asio::ssl::context> tls_;

  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  tcp::acceptor acceptor_{io_};
  // After io_: destroyed first, so handlers queued there release their sessions while the
  // sessions' sockets still have their io_context.
  asio::thread_pool pool_;
  std::thread io_thread_;
};

core::Status ServerImpl::Listen() {
  const std::string& listen = options_.listen;
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return core::Status::InvalidArgument("listen address '" + listen + "' is not host:port");
  }
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";

  if (options_.tls_cert.empty() != options_.tls_key.empty()) {
    return core::Status::InvalidArgument("TLS needs both a certificate and a key file");
  }
  boost::system::error_code ec;
  if (!options_.tls_cert.empty()) {
    tls_.emplace(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    if (tls_->use_certificate_chain_file(options_.tls_cert, ec); ec) {
      return core::Status::Unavailable(
          fmt::format("cannot use the TLS certificate '{}': {}", options_.tls_cert, ec.message()));
    }
    if (tls_->use_private_key_file(options_.tls_key, asio::ssl::context::pem, ec); ec) {
      return core::Status::Unavailable(
          fmt::format("cannot use the TLS key '{}': {}", options_.tls_key, ec.message()));
    }
  }

  tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(host, port, tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return core::Status::Unavailable(
        fmt::format("cannot resolve listen address '{}': {}", listen, ec.message()));
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto fail = [&](const char* what) {
    return core::Status::Unavailable(
        fmt::format("cannot listen on {} ({}): {}", listen, what, ec.message()));
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return fail("socket");
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail("option");
  if (acceptor_.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) return fail("listen");
  unsigned short bound_port = acceptor_.local_endpoint(ec).port();
  std::string url_host = endpoint.address().is_v6() ? "[" + host + "]" : host;
  url_ = fmt::format("{}://{}:{}", tls_ ? "https" : "http", url_host, bound_port);
  return core::Status::Ok();
}

void ServerImpl::Run() {
  asio::co_spawn(io_, Accept(), LogFailure);
  io_thread_ = std::thread([this] {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        std::cerr << "gantry server: I/O thread: " << e.what() << "\n";
      }
    }
  });
}

asio::awaitable<void> ServerImpl::Accept() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
    if (stopping_ || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of file descriptors, typically: back off instead of spinning.
      std::cerr << "gantry server: accept: " << ec.message() << "\n";
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (tls_) {
      asio::co_spawn(io_, ServeTls(std::move(socket)), LogFailure);
    } else {
      asio::co_spawn(io_, ServeTcp(std::move(socket)), LogFailure);
    }
  }
}

asio::awaitable<void> ServerImpl::ServeTcp(tcp::socket socket) {
  Connection connection;
  Scope scope(this, &connection);
  beast::tcp_stream stream(std::move(socket));
  connection.close = [&stream] { stream.close(); };
  Ending ending = co_await Serve(stream, connection, /*tls=*/false);
  if (ending == Ending::kAfterResponse) co_await LingeringClose(stream);
  stream.close();
}

asio::awaitable<void> ServerImpl::ServeTls(tcp::socket socket) {
  Connection connection;
  Scope scope(this, &connection);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_);
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  connection.close = [&tcp_layer] { tcp_layer.close(); };
  connection.idle = true;
  tcp_layer.expires_after(options_.idle_timeout);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
  connection.idle = false;
  if (!ec && !stopping_) {
    Ending ending = co_await Serve(stream, connection, /*tls=*/true);
    if (ending == Ending::kAfterResponse) {
      tcp_layer.expires_after(kCloseTimeout);
      co_await stream.async_shutdown(kTuple);
    }
  }
  tcp_layer.close();
}

// Half-closes, then reads until the client closes too (bounded in time and bytes): closing
// with unread request data would reset the connection and could destroy our response.
asio::awaitable<void> ServerImpl::LingeringClose(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  stream.expires_after(kCloseTimeout);
  std::array<char, 4096> scratch;
  size_t drained = 0;
  while (drained < kMaxDrainBytes) {
    auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
    if (read_ec) break;
    drained += n;
  }
}

template <class Stream>
asio::awaitable<Ending> ServerImpl::Serve(Stream& stream, Connection& connection, bool tls) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  boost::system::error_code endpoint_ec;
  std::string remote = tcp_layer.socket().remote_endpoint(endpoint_ec).address().to_string();
  beast::flat_buffer buffer;
  for (;;) {
    if (stopping_) co_return Ending::kAbort;
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(options_.max_body_bytes);
    connection.idle = true;
    tcp_layer.expires_after(options_.idle_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    connection.idle = false;
    Clock::time_point start = Clock::now();
    if (!ec && parser.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
      std::tie(ec, n) = co_await http::async_write(stream, go_on, kTuple);
    }
    if (!ec) std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) {
      std::optional<Response> error = ReadErrorResponse(ec, options_.max_body_bytes);
      if (!error || stopping_) co_return Ending::kAbort;
      int status = error->status;
      bool written = co_await WriteResponse(stream, std::move(*error), 11, false, false);
      metrics_.Record("unmatched", "other", status, Clock::now() - start);
      co_return written ? Ending::kAfterResponse : Ending::kAbort;
    }

    http::request<http::string_body>& message = parser.get();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.emplace_back(core::AsciiLower(field.name_string()),
                                   std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.remote_address = remote;
    request.tls = tls;
    bool head = message.method() == http::verb::head;
    unsigned version = message.version();
    bool keep_alive = message.keep_alive();

    std::string route = "unmatched";
    Response response;
    core::Result<Target> target = ParseTarget(request.target);
    if (!target.ok()) {
      response = Response::Error(400, "bad_request", target.status().message());
    } else {
      request.path = std::move(target->path);
      request.query = std::move(target->query);
      Router::Match match = router_.Find(request.method, request.path);
      if (match.handler != nullptr) {
        route = match.pattern;
        request.params = std::move(match.params);
        response = co_await asio::co_spawn(pool_, CallHandler(match.handler, &request, &route),
                                           asio::use_awaitable);
        if (!CheckResponse(response, route)) {
          response = Response::Error(500, "internal", "the server produced an invalid response");
        }
      } else if (match.path_matched) {
        response = Response::Error(405, "method_not_allowed",
                                   fmt::format("{} is not allowed on {}; allowed: {}",
                                               request.method, request.path, Join(match.allowed)));
        response.headers.emplace_back("Allow", Join(match.allowed));
      } else {
        response = Response::Error(404, "not_found", "no such path: " + request.path);
      }
    }
    std::string_view method_label = HttpMethodLabel(request.method);
    int status = response.status;
    if (response.stream && !head) {
      if (stopping_) {
        response = Response::Error(503, "unavailable", "the server is shutting down");
      } else {
        metrics_.Record(route, method_label, status, Clock::now() - start);
        co_await WriteStream(stream, std::move(response), version, connection);
        co_return Ending::kAbort;
      }
    }
    keep_alive = keep_alive && !stopping_;
    bool written = co_await WriteResponse(stream, std::move(response), version, keep_alive, head);
    metrics_.Record(route, method_label, status, Clock::now() - start);
    if (!written) co_return Ending::kAbort;
    if (!keep_alive) co_return Ending::kAfterResponse;
  }
}

template <class Stream>
asio::awaitable<bool> ServerImpl::WriteResponse(Stream& stream, Response response, unsigned version,
                                                bool keep_alive, bool head) {
  http::response<http::string_body> message;
  message.version(version);
  message.result(static_cast<unsigned>(response.status));
  message.keep_alive(keep_alive);
  bool bodyless = response.status == 204 || response.status == 304;
  SetHeaders(message, response, bodyless);
  if (!bodyless) {
    if (head) {
      message.content_length(response.stream ? 0 : response.body.size());
    } else {
      message.body() = std::move(response.body);
      message.prepare_payload();
    }
  }
  beast::get_lowest_layer(stream).expires_after(options_.idle_timeout);
  auto [ec, n] = co_await http::async_write(stream, message, kTuple);
  co_return !ec;
}

// Streamed responses end the connection: the peer is watched for a close by reading from the
// socket, which would swallow any request pipelined behind this one.
template <class Stream>
asio::awaitable<void> ServerImpl::WriteStream(Stream& stream, Response response, unsigned version,
                                              Connection& connection) {
  http::response<http::empty_body> message;
  message.version(version);
  message.result(static_cast<unsigned>(response.status));
  message.keep_alive(false);
  SetHeaders(message, response, /*bodyless=*/false);
  // HTTP/1.0 has no chunks: its body simply ends with the connection.
  bool chunked = version >= 11;
  message.chunked(chunked);
  http::response_serializer<http::empty_body> serializer(message);
  beast::get_lowest_layer(stream).expires_after(options_.idle_timeout);
  auto [ec, n] = co_await http::async_write_header(stream, serializer, kTuple);
  if (ec) co_return;

  auto wake = std::make_shared<asio::steady_timer>(io_);
  // The timer belongs to the I/O thread: a producer posts its cancel there.
  auto channel = std::make_shared<StreamChannel>(
      kStreamQueueBytes, [io = io_.get_executor(), weak = std::weak_ptr(wake)] {
        asio::post(io, [weak] {
          if (auto timer = weak.lock()) timer->cancel();
        });
      });
  try {
    std::lock_guard lock(producers_->mu);
    std::thread([produce = std::move(response.stream), channel, producers = producers_] {
      try {
        produce(*channel);
      } catch (const std::exception& e) {
        std::cerr << "gantry server: bug: a stream producer threw: " << e.what() << "\n";
      } catch (...) {
        std::cerr << "gantry server: bug: a stream producer threw\n";
      }
      channel->Finish();
      std::lock_guard done_lock(producers->mu);
      --producers->running;
      producers->done.notify_all();
    }).detach();
    ++producers_->running;
  } catch (const std::system_error& e) {
    std::cerr << "gantry server: cannot start a stream's thread: " << e.what() << "\n";
    co_return;
  }
  connection.stream = channel.get();
  connection.wake = wake.get();
  bool peer_gone = false;
  co_await (WatchPeer(stream, *channel, *wake, peer_gone) &&
            Pump(stream, *channel, *wake, chunked, peer_gone));
  connection.stream = nullptr;
  connection.wake = nullptr;
  channel->Close();
}

template <class Stream>
asio::awaitable<void> ServerImpl::Pump(Stream& stream, StreamChannel& channel,
                                       asio::steady_timer& wake, bool chunked,
                                       const bool& peer_gone) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  std::vector<std::string> batch;
  for (;;) {
    StreamChannel::State state = channel.Take(&batch);
    if (!batch.empty()) {
      std::vector<asio::const_buffer> buffers;
      buffers.reserve(batch.size());
      for (const std::string& data : batch) buffers.push_back(asio::buffer(data));
      tcp_layer.expires_after(options_.idle_timeout);
      boost::system::error_code ec;
      if (chunked) {
        std::tie(ec, std::ignore) =
            co_await asio::async_write(stream, http::make_chunk(buffers), kTuple);
      } else {
        std::tie(ec, std::ignore) = co_await asio::async_write(stream, buffers, kTuple);
      }
      batch.clear();
      if (ec) break;
      continue;
    }
    if (state != StreamChannel::State::kOpen) {
      if (chunked && !peer_gone) {
        tcp_layer.expires_after(options_.idle_timeout);
        co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
      }
      break;
    }
    wake.expires_at(asio::steady_timer::time_point::max());
    co_await wake.async_wait(kTuple);
  }
  channel.Close();
  // Ends WatchPeer's read.
  tcp_layer.cancel();
}

template <class Stream>
asio::awaitable<void> ServerImpl::WatchPeer(Stream& stream, StreamChannel& channel,
                                            asio::steady_timer& wake, bool& peer_gone) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  std::array<char, 1024> scratch;
  while (!channel.Closed()) {
    // Only Pump's writes time out; expires_never leaves a pending write's timer alone.
    tcp_layer.expires_never();
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
    if (ec) {
      if (ec != asio::error::operation_aborted) peer_gone = true;
      break;
    }
  }
  channel.Close();
  wake.cancel();
}

void ServerImpl::BeginShutdown() {
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (Connection* connection : connections_) {
    if (connection->stream != nullptr) {
      // Ends the stream: its producer's Write fails and the client gets the last chunk.
      connection->stream->Close();
      connection->wake->cancel();
    } else if (connection->idle) {
      connection->close();
    }
  }
}

void ServerImpl::Shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  Clock::time_point deadline = Clock::now() + grace;
  if (io_thread_.joinable()) {
    auto on_io_thread = [this](std::function<void()> work) {
      std::promise<void> done;
      asio::post(io_, [&] {
        work();
        done.set_value();
      });
      done.get_future().wait();
    };
    on_io_thread([this] { BeginShutdown(); });
    {
      std::unique_lock lock(mu_);
      sessions_changed_.wait_until(lock, deadline, [this] { return sessions_ == 0; });
    }
    // Past the grace: close what is left; the answers of handlers still running are dropped.
    on_io_thread([this] {
      for (Connection* connection : connections_) connection->close();
    });
    work_.reset();
    io_.stop();
    io_thread_.join();
  }
  // Handlers cannot be interrupted: wait for the running ones, drop the queued ones.
  pool_.stop();
  pool_.join();
  std::unique_lock lock(producers_->mu);
  if (!producers_->done.wait_until(lock, deadline, [&] { return producers_->running == 0; })) {
    std::cerr << "gantry server: " << producers_->running
              << " stream producer(s) still running after the shutdown grace period (a "
                 "producer must return once Write fails)\n";
  }
}

}  // namespace

core::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                            const Router& router) {
  try {
    auto server = std::make_unique<ServerImpl>(options, router);
    GANTRY_RETURN_IF_ERROR(server->Listen());
    server->Run();
    return std::unique_ptr<HttpServer>(std::move(server));
  } catch (const std::exception& e) {
    return core::Status::Unavailable(std::string("cannot start the HTTP server: ") + e.what());
  }
}

}  // namespace gantry::server
