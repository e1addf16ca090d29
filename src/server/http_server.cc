// Listening, connections and shutdown of the HTTP server behind HttpServer (http.h); the
// requests themselves are served in http_session.cc. Beast over Asio with C++20 coroutines:
// this file and http_session.cc are the only ones that include Beast.

#include "server/http_server_impl.h"

namespace gantry::server {
namespace http_internal {

void LogFailure(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::cerr << "gantry server: connection failed: " << e.what() << "\n";
  }
}

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

}  // namespace http_internal

core::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                            const Router& router) {
  try {
    auto server = std::make_unique<http_internal::ServerImpl>(options, router);
    GANTRY_RETURN_IF_ERROR(server->Listen());
    server->Run();
    return std::unique_ptr<HttpServer>(std::move(server));
  } catch (const std::exception& e) {
    return core::Status::Unavailable(std::string("cannot start the HTTP server: ") + e.what());
  }
}

}  // namespace gantry::server
