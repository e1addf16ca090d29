#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace gantry::backend
