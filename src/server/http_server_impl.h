#pragma once

// Internals of the HTTP server shared by http_server.cc (listening, connections, shutdown) and
// http_session.cc (requests, responses, streams). Includes Beast: only those two files may
// include this header.
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

namespace gantry::server::http_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// How far a stream's producer may run ahead of its client before Write blocks.
inline constexpr size_t kStreamQueueBytes = 256 * 1024;
inline constexpr uint32_t kHeaderLimit = 16 * 1024;
// After a final response: how long to wait for the client's side of the close (TLS
// close_notify, or the rest of a request we refused) so our answer is not lost to a reset.
inline constexpr std::chrono::seconds kCloseTimeout{1};
inline constexpr size_t kMaxDrainBytes = 1024 * 1024;

/// Logs an exception that ended a connection's coroutine.
void LogFailure(std::exception_ptr error);

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

/// The HttpServer of http.h. Its sessions run on io_; see the top of this file for threads.
class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const ServerOptions& options, const Router& router)
      : options_(options), router_(router), pool_(std::max(1, options.worker_threads)) {}
  ~ServerImpl() override { Shutdown(std::chrono::milliseconds(0)); }

  /// Loads the TLS files and binds the listening socket (InvalidArgument or Unavailable).
  core::Status Listen();
  /// Starts accepting on the I/O thread. After a successful Listen only.
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

}  // namespace gantry::server::http_internal
