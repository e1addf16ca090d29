#pragma once

// A TCP proxy on loopback for fault tests: it forwards connections to a server and, driven by
// a seeded RNG, resets some, cuts some mid-request or mid-response, delays some reads, and
// refuses new connections for short periods.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <random>
#include <string>
#include <thread>

namespace gantry::testing {

/// What a LossyProxy does to what it forwards. Probabilities are per new connection (the start
/// of a refusal period) or per message, the bytes one side sends before the other answers: a
/// request or an answer (a cut, a delay).
struct FaultPlan {
  uint32_t seed = 1;
  /// A new connection starts a period during which every new connection is reset at once
  /// (itself included).
  double refusal = 0.1;
  std::chrono::milliseconds refusal_min{200}, refusal_max{1000};
  /// A request or an answer is forwarded only in part (some of its first read), and both sides
  /// are reset: a request cut short, or an answer cut short after the
  /// server did what was asked.
  double cut_request = 0.03;
  double cut_response = 0.05;
  /// A request or an answer is held back this long before it is forwarded.
  double delay = 0.06;
  std::chrono::milliseconds delay_min{100}, delay_max{600};
};

/// What a LossyProxy did so far.
struct FaultStats {
  int connections = 0;  // accepted, refused ones included
  int refused = 0;
  int cut_requests = 0;  // cut while forwarding the client's bytes
  int cut_responses = 0;
  int delays = 0;
};

/// Listens on 127.0.0.1 (an ephemeral port) from construction and forwards each connection to
/// 127.0.0.1:<target> on a thread of its own. Faults only while faulty (off at first). Every
/// method is thread-safe; the destructor closes every connection and joins every thread.
class LossyProxy {
 public:
  explicit LossyProxy(FaultPlan plan);
  ~LossyProxy();
  LossyProxy(const LossyProxy&) = delete;
  LossyProxy& operator=(const LossyProxy&) = delete;

  /// Where connections go from now on (a connection that cannot reach it is closed).
  void SetTarget(int port) { target_ = port; }
  void SetFaulty(bool faulty) { faulty_ = faulty; }
  /// "http://127.0.0.1:PORT".
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  FaultStats stats() const;

 private:
  void AcceptLoop();
  /// Forwards between `client` and a new connection to the target; `seed` drives its faults.
  void Forward(int client, uint32_t seed);
  /// Sleeps `d` unless the proxy stops first; false when it stopped.
  bool Sleep(std::chrono::milliseconds d) const;
  void Count(int FaultStats::*counter);

  FaultPlan plan_;
  int listener_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};  // written once by the destructor: every poll() wakes up
  std::atomic<int> target_{0};
  std::atomic<bool> faulty_{false};
  std::mt19937 rng_;                                      // the accept thread's
  std::chrono::steady_clock::time_point refusing_until_;  // the accept thread's
  mutable std::mutex mu_;
  FaultStats stats_;  // GUARDED_BY(mu_)
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<Connection> connections_;  // the accept thread's until it is joined
  std::thread acceptor_;
};

}  // namespace gantry::testing
