#include "backend/docker/container_run.h"

#include <climits>

#include "backend/docker/http.h"

namespace gantry::backend::docker {
namespace {

using Clock = std::chrono::steady_clock;

// How often the attach is checked for being in place before the start; it takes milliseconds.
constexpr int kAttachPollMs = 10;
// How long the output may take to close after SIGKILL before the stream is abandoned.
constexpr auto kDrain = std::chrono::seconds(10);

int MillisUntil(Clock::time_point t, Clock::time_point now) {
  if (t <= now) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace

core::Result<ProcessResult> RunAttached(DockerClient& client, const std::string& id,
                                        std::chrono::milliseconds timeout,
                                        std::chrono::milliseconds kill_grace,
                                        const OutputSink& output, const CancelToken& cancel) {
  const Clock::time_point begin = Clock::now();
  const Clock::time_point deadline =
      timeout.count() > 0 ? begin + timeout : Clock::time_point::max();
  ProcessResult result;
  bool attached = false, started = false;
  core::Status start_status = core::Status::Ok();
  enum class Phase { kRunning, kTermSent, kKillSent } phase = Phase::kRunning;
  Clock::time_point next{};

  StreamControl control;
  control.wake_fd = cancel.wait_fd();
  control.on_headers = [&](long status) { attached = status >= 200 && status < 300; };
  control.tick = [&]() -> int {
    Clock::time_point now = Clock::now();
    if (!started) {
      if (cancel.cancelled()) {
        result.cancelled = true;
        return StreamControl::kAbort;
      }
      if (!attached) return kAttachPollMs;
      started = true;
      start_status = client.StartContainer(id);
      if (!start_status.ok()) return StreamControl::kAbort;
    }
    if (phase == Phase::kRunning) {
      if (cancel.cancelled()) {
        result.cancelled = true;
      } else if (now >= deadline) {
        result.timed_out = true;
      } else {
        return deadline == Clock::time_point::max() ? -1 : MillisUntil(deadline, now);
      }
      (void)client.KillContainer(id, "SIGTERM");  // a failure shows as the container not ending
      phase = Phase::kTermSent;
      next = Clock::now() + kill_grace;
    }
    now = Clock::now();
    if (now < next) return MillisUntil(next, now);
    if (phase == Phase::kTermSent) {
      (void)client.KillContainer(id, "SIGKILL");
      phase = Phase::kKillSent;
      next = Clock::now() + kDrain;
      return MillisUntil(next, Clock::now());
    }
    return StreamControl::kAbort;
  };
  core::Status st = client.AttachContainer(id, output, control);
  if (!start_status.ok()) return start_status;
  if (!st.ok() && st.code() != core::StatusCode::kCancelled) return st;
  if (!started) {
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
    return result;  // cancelled before it began
  }
  auto code = client.WaitContainer(id);
  if (!code.ok()) return code.status();
  result.exit_code = *code;
  // A container's exit code cannot tell exit(137) from SIGKILL; after our kill it is the signal.
  if ((result.timed_out || result.cancelled) && *code > 128 && *code < 160) {
    result.signal = *code - 128;
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
  return result;
}

}  // namespace gantry::backend::docker
