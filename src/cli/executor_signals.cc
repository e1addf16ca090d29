#include "cli/executor_signals.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace gantry::cli {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM};
constexpr char kQuit = 0;  // written by the destructor; a signal writes its number

// The write end of the live instance's pipe (-1: none); read by the handler.
std::atomic<int> g_write_fd{-1};
struct sigaction g_previous[2];

void OnSignal(int sig) {
  int fd = g_write_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  int saved = errno;
  const char byte = static_cast<char>(sig);
  ssize_t n = write(fd, &byte, 1);  // a full pipe drops the byte: 64 KiB of pending signals
  (void)n;
  errno = saved;
}

}  // namespace

DrainOnSignals::DrainOnSignals(std::chrono::milliseconds drain_timeout, std::function<void()> drain,
                               std::function<void(bool timed_out)> cancel)
    : drain_timeout_(drain_timeout), drain_(std::move(drain)), cancel_(std::move(cancel)) {
  if (pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("gantry: fatal: cannot create the signal pipe");
    std::abort();
  }
  int expected = -1;
  if (!g_write_fd.compare_exchange_strong(expected, pipe_[1])) {
    std::fputs("gantry: fatal: two DrainOnSignals at once\n", stderr);
    std::abort();
  }
  thread_ = std::thread([this] { Watch(); });
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
}

DrainOnSignals::~DrainOnSignals() {
  for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
  g_write_fd.store(-1, std::memory_order_release);
  ssize_t n = write(pipe_[1], &kQuit, 1);
  (void)n;
  thread_.join();
  close(pipe_[0]);
  close(pipe_[1]);
}

void DrainOnSignals::Watch() {
  using Clock = std::chrono::steady_clock;
  enum class State { kRunning, kDraining, kCancelled } state = State::kRunning;
  Clock::time_point deadline;  // of the drain
  for (;;) {
    int timeout = -1;
    if (state == State::kDraining) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd p{pipe_[0], POLLIN, 0};
    int ready = poll(&p, 1, timeout);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      state = State::kCancelled;
      cancel_(/*timed_out=*/true);
      continue;
    }
    char bytes[16];
    ssize_t n = read(pipe_[0], bytes, sizeof(bytes));
    for (ssize_t i = 0; i < n; ++i) {
      if (bytes[i] == kQuit) return;
      switch (state) {
        case State::kRunning:
          state = State::kDraining;
          deadline = Clock::now() + drain_timeout_;
          drain_();
          break;
        case State::kDraining:
          state = State::kCancelled;
          cancel_(/*timed_out=*/false);
          break;
        case State::kCancelled:
          std::fputs("gantry executor: exiting without waiting for the cancelled jobs\n", stderr);
          std::_Exit(130);
      }
    }
  }
}

}  // namespace gantry::cli
