// Requests, responses and streamed responses on one connection (ServerImpl::Serve); see
// http_server_impl.h.

#include "server/http_server_impl.h"

namespace gantry::server::http_internal {

using asio::experimental::awaitable_operators::operator&&;
using namespace std::string_view_literals;

namespace {

Response InvokeHandler(const Router& router, const Handler& handler, Request& request,
                       const std::string& route) {
  std::string why;
  try {
    if (std::optional<Response> denied = router.Check(request)) return std::move(*denied);
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

asio::awaitable<Response> CallHandler(const Router* router, const Handler* handler,
                                      Request* request, const std::string* route) {
  co_return InvokeHandler(*router, *handler, *request, *route);
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
  // No browser may guess a type other than the one sent (a JSON error quoting user input
  // must never run as HTML).
  message.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : response.headers) {
    std::string lower = core::AsciiLower(name);
    // Framing is the server's business.
    if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection") {
      continue;
    }
    if (lower == "content-type" || lower == "x-content-type-options") {
      message.set(name, value);
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
}  // namespace

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
    if (!ec && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
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
        response = co_await asio::co_spawn(
            pool_, CallHandler(&router_, match.handler, &request, &route), asio::use_awaitable);
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
    if (response.stream && !head) {
      if (stopping_) {
        response = Response::Error(503, "unavailable", "the server is shutting down");
      } else {
        metrics_.Record(route, method_label, response.status, Clock::now() - start);
        co_await WriteStream(stream, std::move(response), version, connection);
        co_return Ending::kAbort;
      }
    }
    keep_alive = keep_alive && !stopping_;
    int status = response.status;
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

template asio::awaitable<Ending> ServerImpl::Serve(beast::tcp_stream&, Connection&, bool);
template asio::awaitable<Ending> ServerImpl::Serve(beast::ssl_stream<beast::tcp_stream>&,
                                                   Connection&, bool);

}  // namespace gantry::server::http_internal
