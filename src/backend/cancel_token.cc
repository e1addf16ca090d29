#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "backend/backend.h"

namespace gantry::backend {

CancelToken::CancelToken() {
  // Non-blocking so that Cancel() never blocks, even from a signal handler.
  if (pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("gantry: fatal: cannot create the cancellation pipe");
    std::abort();
  }
}

CancelToken::~CancelToken() {
  close(pipe_[0]);
  close(pipe_[1]);
}

void CancelToken::Cancel() {
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  // One byte, never read: wait_fd() stays readable for every poller from now on.
  int saved_errno = errno;
  ssize_t n = write(pipe_[1], "x", 1);
  (void)n;
  errno = saved_errno;
}

bool CancelToken::SleepFor(std::chrono::milliseconds d) const {
  pollfd fd{wait_fd(), POLLIN, 0};
  (void)poll(&fd, 1, static_cast<int>(std::min<int64_t>(d.count(), INT32_MAX)));
  return !cancelled();
}

}  // namespace gantry::backend
