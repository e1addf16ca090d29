#include "lossy_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace gantry::testing {
namespace {

using std::chrono::milliseconds;

// Closes `fd` with a TCP reset, as a crashed peer or a broken network does.
void Reset(int fd) {
  linger abort{1, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd);
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void Die(const char* what) {
  std::perror(what);
  std::abort();
}

}  // namespace

LossyProxy::LossyProxy(FaultPlan plan) : plan_(plan), rng_(plan.seed) {
  if (::pipe2(wake_, O_CLOEXEC) != 0) Die("LossyProxy: pipe2");
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof addr;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_, 128) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("LossyProxy: listen");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

LossyProxy::~LossyProxy() {
  char one = 1;
  (void)!::write(wake_[1], &one, 1);
  acceptor_.join();
  for (Connection& c : connections_) c.thread.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

FaultStats LossyProxy::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void LossyProxy::Count(int FaultStats::*counter) {
  std::lock_guard lock(mu_);
  ++(stats_.*counter);
}

bool LossyProxy::Sleep(milliseconds d) const {
  pollfd p{wake_[0], POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(d.count())) == 0;
}

void LossyProxy::AcceptLoop() {
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  std::uniform_int_distribution<int64_t> refusal(plan_.refusal_min.count(),
                                                 plan_.refusal_max.count());
  for (;;) {
    pollfd p[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(p, 2, 200) < 0 && errno != EINTR) return;
    if (p[1].revents != 0) return;
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->done) {
        it->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
    if ((p[0].revents & POLLIN) == 0) continue;
    int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    Count(&FaultStats::connections);
    const auto seed = static_cast<uint32_t>(rng_());
    const auto now = std::chrono::steady_clock::now();
    if (faulty_ && (now < refusing_until_ || chance(rng_) < plan_.refusal)) {
      if (now >= refusing_until_) refusing_until_ = now + milliseconds(refusal(rng_));
      Count(&FaultStats::refused);
      Reset(client);
      continue;
    }
    Connection& c = connections_.emplace_back();
    c.thread = std::thread([this, client, seed, &c] {
      Forward(client, seed);
      c.done = true;
    });
  }
}

void LossyProxy::Forward(int client, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  std::uniform_int_distribution<int64_t> delay(plan_.delay_min.count(), plan_.delay_max.count());
  int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(target_);
  if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    // The server is away: the client sees its connection reset.
    if (server >= 0) ::close(server);
    Reset(client);
    return;
  }
  // A peer that stops reading does not hold a forwarding thread forever.
  timeval limit{5, 0};
  for (int fd : {client, server}) {
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  }
  const int fds[2] = {client, server};  // [0]: the client's side, [1]: the server's
  const double cut[2] = {plan_.cut_request, plan_.cut_response};
  bool eof[2] = {false, false};
  int last = -1;  // the side of the last read: a read from the other one begins a new message
  char buf[16384];
  for (;;) {
    pollfd p[3] = {{eof[0] ? -1 : client, POLLIN, 0},
                   {eof[1] ? -1 : server, POLLIN, 0},
                   {wake_[0], POLLIN, 0}};
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[2].revents != 0) break;  // the proxy stops
    for (int side = 0; side < 2; ++side) {
      if (p[side].revents == 0) continue;
      ssize_t n = ::read(fds[side], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Reset(client);
        Reset(server);
        return;
      }
      if (n == 0) {
        // A half-close is passed on; the other side may still answer.
        eof[side] = true;
        (void)::shutdown(fds[1 - side], SHUT_WR);
        continue;
      }
      // Faults strike a request or an answer, not each read of one (an answer streamed in many
      // writes is not cut more often). Every draw is made whether faulty or not: the same seed
      // makes the same faults.
      const bool message = side != last;
      last = side;
      const bool late = chance(rng) < plan_.delay && message;
      const milliseconds wait(delay(rng));
      const bool cut_here = chance(rng) < cut[side] && message;
      const auto part = std::uniform_int_distribution<ssize_t>(0, n - 1)(rng);
      if (faulty_ && late) {
        Count(&FaultStats::delays);
        if (!Sleep(wait)) break;
      }
      if (faulty_ && cut_here) {
        (void)SendAll(fds[1 - side], buf, static_cast<size_t>(part));
        Count(side == 0 ? &FaultStats::cut_requests : &FaultStats::cut_responses);
        Reset(client);
        Reset(server);
        return;
      }
      if (!SendAll(fds[1 - side], buf, static_cast<size_t>(n))) {
        Reset(client);
        Reset(server);
        return;
      }
    }
    if (eof[0] && eof[1]) break;
  }
  ::close(client);
  ::close(server);
}

}  // namespace gantry::testing
