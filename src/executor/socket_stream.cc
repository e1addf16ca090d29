#include "executor/socket_stream.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/error.hpp>
#include <cerrno>
#include <climits>
#include <cstring>

namespace gantry::executor {

namespace {

struct AddrInfoFree {
  void operator()(addrinfo* p) const { freeaddrinfo(p); }
};

}  // namespace

core::Result<std::unique_ptr<SocketStream>> SocketStream::Connect(
    const std::string& host, const std::string& port, Clock::time_point deadline,
    std::chrono::milliseconds connect_limit, const backend::CancelToken* cancel) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  // getaddrinfo cannot be interrupted; the executor's server is a numeric address or a name
  // in /etc/hosts or DNS that answers quickly.
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return core::Status::Unavailable("cannot resolve '" + host + "': " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, AddrInfoFree> addresses(found);
  const Clock::time_point limit = std::min(deadline, Clock::now() + connect_limit);
  std::string problem = "no address";
  for (const addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      problem = std::strerror(errno);
      continue;
    }
    auto stream = std::make_unique<SocketStream>(fd);
    stream->Arm(limit, cancel);
    int err = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        boost::system::error_code ec;
        if (!stream->Wait(POLLOUT, ec)) {
          if (stream->stop() == Stop::kCancelled) return core::Status::Cancelled("cancelled");
          if (stream->stop() == Stop::kDeadline && limit == deadline) {
            return core::Status::DeadlineExceeded("no connection before the deadline");
          }
          if (stream->stop() == Stop::kDeadline) {
            return core::Status::Unavailable("no connection within " +
                                             std::to_string(connect_limit.count()) + " ms");
          }
          problem = ec.message();
          continue;
        }
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
    }
    if (err != 0) {
      problem = std::strerror(err);
      continue;
    }
    // A request's headers and body may leave in two writes; Nagle would hold the second until
    // the server's delayed ACK (~40 ms) on every keep-alive request.
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    stream->Arm(Clock::time_point::max(), nullptr);
    return stream;
  }
  return core::Status::Unavailable(problem);
}

SocketStream::~SocketStream() { close(fd_); }

void SocketStream::Arm(Clock::time_point deadline, const backend::CancelToken* cancel) {
  deadline_ = deadline;
  cancel_ = cancel;
  stop_ = Stop::kNone;
  bytes_read_ = 0;
}

bool SocketStream::IdleAndOpen() const {
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  int n = poll(&p, 1, 0);
  return n == 0;
}

size_t SocketStream::Transfer(Iovecs& iov, bool write, boost::system::error_code& ec) {
  ec = {};
  if (iov.n == 0) return 0;
  msghdr msg{};
  msg.msg_iov = iov.v;
  msg.msg_iovlen = iov.n;
  for (;;) {
    // Checked before each call too, so that a steady stream of data cannot outrun them.
    if (Stopped(ec)) return 0;
    ssize_t n = write ? sendmsg(fd_, &msg, MSG_NOSIGNAL) : recvmsg(fd_, &msg, 0);
    if (n > 0) {
      if (!write) bytes_read_ += static_cast<size_t>(n);
      return static_cast<size_t>(n);
    }
    if (n == 0 && !write) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      ec.assign(errno, boost::system::system_category());
      return 0;
    }
    if (!Wait(write ? POLLOUT : POLLIN, ec)) return 0;
  }
}

bool SocketStream::Stopped(boost::system::error_code& ec) {
  if (cancel_ != nullptr && cancel_->cancelled()) {
    stop_ = Stop::kCancelled;
    ec = boost::asio::error::operation_aborted;
    return true;
  }
  if (deadline_ != Clock::time_point::max() && Clock::now() >= deadline_) {
    stop_ = Stop::kDeadline;
    ec = boost::asio::error::timed_out;
    return true;
  }
  return false;
}

bool SocketStream::Wait(short events, boost::system::error_code& ec) {
  // poll() ignores a negative descriptor: without a token only the socket is watched.
  pollfd fds[2] = {{fd_, events, 0}, {cancel_ != nullptr ? cancel_->wait_fd() : -1, POLLIN, 0}};
  for (;;) {
    if (Stopped(ec)) return false;
    int timeout = -1;
    if (deadline_ != Clock::time_point::max()) {
      auto left = deadline_ - Clock::now();
      // Rounded up: a wait rounded down to 0 ms would spin through the last millisecond.
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      timeout = static_cast<int>(std::clamp<decltype(ms)>(ms, 0, INT_MAX));
    }
    int n = poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) {
      ec.assign(errno, boost::system::system_category());
      return false;
    }
    // Readiness, an error or a hang-up on the socket: the next recvmsg/sendmsg tells which.
    if (n > 0 && fds[0].revents != 0) return true;
  }
}

}  // namespace gantry::executor
