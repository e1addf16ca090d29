#pragma once

// A connected TCP socket whose blocking reads and writes end at a deadline or when a
// CancelToken fires. Beast's synchronous HTTP algorithms run on it: it models asio's
// SyncReadStream and SyncWriteStream, with poll() on the socket and the token's wait_fd()
// underneath instead of an io_context.

#include <sys/uio.h>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "core/status.h"

namespace gantry::executor {

/// One TCP connection, owned (closed on destruction). Not thread-safe: one request at a time.
class SocketStream {
 public:
  using Clock = std::chrono::steady_clock;

  /// Why the last read or write ended without transferring data (kNone: a socket error).
  enum class Stop { kNone, kDeadline, kCancelled };

  /// Connects to `host`:`port` (a name or a numeric address), trying each address in turn.
  /// Unavailable (with the reason, e.g. "Connection refused") when none answers within
  /// `connect_limit`; DeadlineExceeded at `deadline`; Cancelled when `cancel` (may be
  /// nullptr) fires.
  static core::Result<std::unique_ptr<SocketStream>> Connect(
      const std::string& host, const std::string& port, Clock::time_point deadline,
      std::chrono::milliseconds connect_limit, const backend::CancelToken* cancel);

  /// Takes ownership of the connected, non-blocking socket `fd`.
  explicit SocketStream(int fd) : fd_(fd) {}
  ~SocketStream();
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  /// Bounds the reads and writes that follow by `deadline` and `cancel` (may be nullptr; must
  /// outlive them), and resets stop() and bytes_read().
  void Arm(Clock::time_point deadline, const backend::CancelToken* cancel);
  /// Why the last failed read or write gave up.
  Stop stop() const { return stop_; }
  /// The bytes read since Arm.
  size_t bytes_read() const { return bytes_read_; }
  /// True when the idle connection can still carry a request: the peer neither closed it nor
  /// sent anything unasked.
  bool IdleAndOpen() const;

  // SyncReadStream / SyncWriteStream. The error_code forms never throw; the others exist only
  // because Beast's stream traits require them.
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    Iovecs iov;
    Gather(buffers, iov);
    return Transfer(iov, /*write=*/false, ec);
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
    Iovecs iov;
    Gather(buffers, iov);
    return Transfer(iov, /*write=*/true, ec);
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) boost::throw_exception(boost::system::system_error(ec));
    return n;
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = write_some(buffers, ec);
    if (ec) boost::throw_exception(boost::system::system_error(ec));
    return n;
  }

 private:
  static constexpr size_t kMaxIovecs = 16;
  struct Iovecs {
    iovec v[kMaxIovecs];
    size_t n = 0;
  };

  template <class BufferSequence>
  static void Gather(const BufferSequence& buffers, Iovecs& iov) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && iov.n < kMaxIovecs; ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() == 0) continue;
      // recvmsg/sendmsg take non-const iovecs; a send only reads them.
      iov.v[iov.n++] = {const_cast<void*>(b.data()), b.size()};
    }
  }

  /// One recvmsg/sendmsg of `iov`, waiting (poll) until the socket is ready.
  size_t Transfer(Iovecs& iov, bool write, boost::system::error_code& ec);
  /// True (with `ec` and stop_) once `cancel_` fired or `deadline_` passed.
  bool Stopped(boost::system::error_code& ec);
  /// Waits until `events` are ready on the socket; false (with `ec` and stop_) at the deadline
  /// or on cancellation.
  bool Wait(short events, boost::system::error_code& ec);

  int fd_;
  Clock::time_point deadline_ = Clock::time_point::max();
  const backend::CancelToken* cancel_ = nullptr;
  Stop stop_ = Stop::kNone;
  size_t bytes_read_ = 0;
};

}  // namespace gantry::executor
