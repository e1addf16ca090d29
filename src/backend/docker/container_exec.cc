// DockerClient::Exec and the container Backend built on it.

#include <chrono>
#include <climits>
#include <thread>

#include "backend/docker/docker_api.h"
#include "backend/docker/docker_client.h"
#include "backend/docker/http.h"

namespace gantry::backend::docker {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// Runs "$@" under a sh that first reports its pid (the exec's process group: runc makes every
// exec a session leader) as the first stdout line, or "gantry-notfound" when argv[0] cannot be
// found. After a normal exit, processes the command left in its group get SIGTERM, as the host
// backend does; the shell ignores that TERM itself.
constexpr const char* kWrapper =
    "if ! command -v \"$1\" >/dev/null 2>&1; then echo gantry-notfound; exit 127; fi\n"
    "echo \"$$\"\n"
    "\"$@\"\n"
    "rc=$?\n"
    "if read -r s </proc/$$/stat 2>/dev/null; then\n"
    "  set -- ${s##*) }\n"
    "  if [ \"$3\" = \"$$\" ]; then trap '' TERM; kill -TERM 0 2>/dev/null; fi\n"
    "fi\n"
    "exit $rc\n";
constexpr const char* kNotFoundMarker = "gantry-notfound";

// Signals the process group of $1 and every descendant of $1 (collected before signalling, so
// that children orphaned by the signal are reached too); run as root by a second exec.
constexpr const char* kKillTree =
    "p=$1 s=$2\n"
    "tree() { for c in $(cat /proc/$1/task/*/children 2>/dev/null); do echo \"$c\"; tree "
    "\"$c\"; done; }\n"
    "all=$(tree \"$p\")\n"
    "kill -\"$s\" -\"$p\" 2>/dev/null\n"
    "kill -\"$s\" \"$p\" $all 2>/dev/null\n"
    "exit 0\n";

int MillisUntil(Clock::time_point t, Clock::time_point now) {
  if (t <= now) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

class ContainerBackend final : public Backend {
 public:
  ContainerBackend(DockerClient& client, std::string id, std::string user)
      : client_(client), id_(std::move(id)), user_(std::move(user)) {}
  core::Result<ProcessResult> Run(const ProcessSpec& spec, const OutputSink& output,
                                  const CancelToken& cancel) override {
    return client_.Exec(id_, spec, user_, output, cancel);
  }

 private:
  DockerClient& client_;
  const std::string id_;
  const std::string user_;
};

}  // namespace

core::Status DockerClient::SignalExecTree(const std::string& id, const std::string& pid,
                                          const char* signal) {
  json body = ExecCreateBody({"/bin/sh", "-c", kKillTree, "gantry-kill", pid, signal}, "", {}, "0");
  auto r = http_->Send("POST", Url("/containers/" + UrlEncode(id) + "/exec"), body.dump());
  if (!r.ok()) return r.status();
  if (!r->ok())
    return core::Status::Unavailable("cannot signal exec in " + id + ": " + EngineMessage(r->body));
  json j = json::parse(r->body, nullptr, false);
  std::string exec_id = j.is_object() ? j.value("Id", std::string()) : std::string();
  auto s = http_->Send("POST", Url("/exec/" + exec_id + "/start"),
                       json{{"Detach", false}, {"Tty", false}}.dump());
  if (!s.ok()) return s.status();
  if (!s->ok())
    return core::Status::Unavailable("cannot signal exec in " + id + ": " + EngineMessage(s->body));
  return core::Status::Ok();
}

core::Result<ProcessResult> DockerClient::Exec(const std::string& id, const ProcessSpec& spec,
                                               const std::string& user, const OutputSink& output,
                                               const CancelToken& cancel) {
  const Clock::time_point start = Clock::now();
  if (spec.argv.empty()) return core::Status::InvalidArgument("exec: empty argv");
  std::vector<std::string> argv = {"/bin/sh", "-c", kWrapper, "gantry-exec"};
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  auto created = http_->Send("POST", Url("/containers/" + UrlEncode(id) + "/exec"),
                             ExecCreateBody(argv, spec.cwd, spec.env, user).dump());
  if (!created.ok()) return created.status();
  if (!created->ok()) {
    auto st = EngineMessage(created->body);
    if (created->status == 404) return core::Status::NotFound("no container " + id + ": " + st);
    return core::Status::Unavailable("cannot exec in container " + id + ": " + st);
  }
  json cj = json::parse(created->body, nullptr, false);
  const std::string exec_id = cj.is_object() ? cj.value("Id", std::string()) : std::string();
  if (exec_id.empty()) return core::Status::Internal("exec create in " + id + " returned no Id");

  ProcessResult result;
  std::string pid;    // the wrapper's pid inside the container, once reported
  std::string first;  // the first stdout line while it is incomplete
  bool pid_done = false;
  FrameDemuxer demux([&](int stream, std::string_view data) {
    if (!pid_done && stream == 1) {
      auto nl = data.find('\n');
      first.append(data.substr(0, nl));
      if (nl == std::string_view::npos) return;
      pid_done = true;
      pid = first;
      data.remove_prefix(nl + 1);
    }
    if (!data.empty() && output) output(data);
  });

  enum class Phase { kRunning, kStopping, kTermSent, kKillSent } phase = Phase::kRunning;
  const Clock::time_point deadline =
      spec.timeout.count() > 0 ? start + spec.timeout : Clock::time_point::max();
  Clock::time_point next{};
  StreamControl control;
  control.wake_fd = cancel.wait_fd();
  control.tick = [&]() -> int {
    Clock::time_point now = Clock::now();
    if (phase == Phase::kRunning) {
      if (cancel.cancelled()) {
        result.cancelled = true;
      } else if (now >= deadline) {
        result.timed_out = true;
      } else {
        return deadline == Clock::time_point::max() ? -1 : MillisUntil(deadline, now);
      }
      phase = Phase::kStopping;
    }
    if (phase == Phase::kStopping) {
      if (!pid_done) return 20;  // the pid line comes first, within milliseconds
      if (pid == kNotFoundMarker) return -1;
      (void)SignalExecTree(id, pid, "TERM");  // a failure shows as the process not ending
      phase = Phase::kTermSent;
      next = Clock::now() + spec.kill_grace;
    }
    now = Clock::now();
    if (now < next) return MillisUntil(next, now);
    if (phase == Phase::kTermSent) {
      (void)SignalExecTree(id, pid, "KILL");
      phase = Phase::kKillSent;
      next = Clock::now() + std::chrono::seconds(10);  // the engine's own stream drain
      return MillisUntil(next, Clock::now());
    }
    return StreamControl::kAbort;
  };
  auto r = http_->Stream(
      "POST", Url("/exec/" + exec_id + "/start"), json{{"Detach", false}, {"Tty", false}}.dump(),
      "application/json", [&](std::string_view chunk) { demux.Feed(chunk); }, control);
  if (!r.ok() && r.status().code() != core::StatusCode::kCancelled) return r.status();
  if (r.ok() && !r->ok()) {
    return core::Status::Unavailable("cannot start exec in container " + id + ": " +
                                     EngineMessage(r->body));
  }
  if (!pid_done && !first.empty() && output) output(first);  // never reported: pass it on
  if (pid_done && pid == kNotFoundMarker) {
    return core::Status::NotFound("'" + spec.argv[0] + "' not found in container " +
                                  id.substr(0, 12) + " (PATH of the step's environment)");
  }

  // The stream ends when the process's output closes; its exit code follows within moments.
  for (int attempt = 0;; ++attempt) {
    auto inspect = http_->Send("GET", Url("/exec/" + exec_id + "/json"));
    if (!inspect.ok()) return inspect.status();
    if (!inspect->ok()) {
      return core::Status::Unavailable("cannot inspect exec in container " + id + ": " +
                                       EngineMessage(inspect->body));
    }
    json ij = json::parse(inspect->body, nullptr, false);
    bool running = ij.is_object() && ij.value("Running", false);
    if (!running && ij.is_object() && ij.contains("ExitCode") && ij["ExitCode"].is_number()) {
      result.exit_code = ij["ExitCode"].get<int>();
      break;
    }
    if (attempt >= 500) {
      return core::Status::Internal("exec in container " + id + " reports no exit code");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

std::unique_ptr<Backend> MakeContainerBackend(DockerClient& client, std::string container_id,
                                              std::string user) {
  return std::make_unique<ContainerBackend>(client, std::move(container_id), std::move(user));
}

}  // namespace gantry::backend::docker
