// `gantry run watch`: follows a run from the server's event stream (GET /api/v1/runs/{id}/events)
// until it completes. On a terminal the jobs and steps are redrawn in place, with the running
// step's last log lines (read from the job's log by offset); otherwise one plain line is printed
// per change. Ctrl-C restores the cursor.

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <map>

#include "cli/run_commands.h"
#include "cli/run_render.h"
#include "cli/sse_stream.h"

namespace gantry::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kTailLines = 3;
constexpr const char* kHideCursor = "\x1b[?25l";
constexpr const char* kShowCursor = "\x1b[?25h";

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int) {
  char c = 1;
  ssize_t n = ::write(g_signal_pipe[1], &c, 1);
  (void)n;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int TerminalRows() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2) return ws.ws_row;
  return 24;
}

json* FindById(json& list, int64_t id) {
  for (json& item : list) {
    if (item.value("id", int64_t{0}) == id) return &item;
  }
  return nullptr;
}

// The run as GET /api/v1/runs/{id} returned it, kept current by the stream's events.
class WatchState {
 public:
  explicit WatchState(json run) : run_(std::move(run)) {
    if (!run_.contains("jobs") || !run_["jobs"].is_array()) run_["jobs"] = json::array();
  }
  const json& run() const { return run_; }
  void Replace(json run) { *this = WatchState(std::move(run)); }

  /// Applies one event; the plain lines of the state changes it brought.
  std::vector<std::string> Apply(const SseEvent& e, int64_t now) {
    std::vector<std::string> changes;
    json data = json::parse(e.data, nullptr, false);
    if (!data.is_object()) return changes;
    if (e.event == "run") {
      if (Merge(run_, data)) changes.push_back(PlainChangeLine("run", run_, "", now));
    } else if (e.event == "job") {
      json* job = FindById(run_["jobs"], data.value("id", int64_t{0}));
      if (job == nullptr) {
        run_["jobs"].push_back({{"steps", json::array()}});
        job = &run_["jobs"].back();
      }
      if (Merge(*job, data)) changes.push_back(PlainChangeLine("job", *job, "", now));
      // Only the first GET says why a queued job waits; once it runs that no longer holds.
      if (job->value("status", "") != "queued") job->erase("waiting_reason");
    } else if (e.event == "step") {
      json* job = FindById(run_["jobs"], data.value("job_id", int64_t{0}));
      if (job == nullptr) return changes;
      if (!job->contains("steps") || !(*job)["steps"].is_array()) (*job)["steps"] = json::array();
      json* step = nullptr;
      for (json& s : (*job)["steps"]) {
        if (s.value("index", -1) == data.value("index", -2) &&
            s.value("stage", "") == data.value("stage", "")) {
          step = &s;
        }
      }
      if (step == nullptr) {
        (*job)["steps"].push_back(json::object());
        step = &(*job)["steps"].back();
      }
      if (Merge(*step, data)) {
        changes.push_back(PlainChangeLine("step", *step, job->value("name", ""), now));
      }
    }
    return changes;
  }

 private:
  // Copies `from`'s fields into `into`; true when the status or conclusion changed.
  static bool Merge(json& into, const json& from) {
    json before_status = into.value("status", json());
    json before_conclusion = into.value("conclusion", json());
    for (const auto& [key, value] : from.items()) into[key] = value;
    return into.value("status", json()) != before_status ||
           into.value("conclusion", json()) != before_conclusion;
  }

  json run_;
};

// Redraws a frame in place: up over the previous frame, clear to the end of the screen.
class Screen {
 public:
  void Draw(std::vector<std::string> lines) {
    size_t rows = static_cast<size_t>(TerminalRows() - 1);
    if (lines.size() > rows) lines.erase(lines.begin(), lines.end() - static_cast<long>(rows));
    if (lines == last_) return;
    std::string out;
    if (drawn_ > 0) out += "\x1b[" + std::to_string(drawn_) + "A\r";
    out += "\x1b[J";
    for (const std::string& line : lines) out += line + "\n";
    std::cout << out << std::flush;
    drawn_ = lines.size();
    last_ = std::move(lines);
  }
  /// Forgets the frame (what follows is printed below it).
  void Leave() { drawn_ = 0; }
  void Erase() {
    if (drawn_ > 0) std::cout << "\x1b[" << drawn_ << "A\r\x1b[J" << std::flush;
    drawn_ = 0;
    last_.clear();
  }

 private:
  size_t drawn_ = 0;
  std::vector<std::string> last_;
};

// Restores the terminal and the signal dispositions on every way out.
class SignalGuard {
 public:
  explicit SignalGuard(bool tty) : tty_(tty) {
    if (::pipe(g_signal_pipe) != 0) g_signal_pipe[0] = g_signal_pipe[1] = -1;
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    if (tty_) std::cout << kHideCursor << std::flush;
  }
  ~SignalGuard() {
    if (tty_) std::cout << kShowCursor << std::flush;
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::close(g_signal_pipe[0]);
    ::close(g_signal_pipe[1]);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  bool tty_;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// The last lines of the running jobs' logs, read by offset.
class LogTails {
 public:
  void Poll(ApiClient& api, const json& run) {
    for (const json& job : run.value("jobs", json::array())) {
      int64_t id = job.value("id", int64_t{0});
      if (job.value("status", "") != "in_progress") {
        tails_.erase(id);
        continue;
      }
      int running = -1;
      for (const json& s : job.value("steps", json::array())) {
        if (s.value("status", "") == "in_progress") running = s.value("index", -1);
      }
      if (running != step_[id]) tails_[id].clear();  // a new step: the old lines are not its
      step_[id] = running;
      auto text = api.GetRaw(
          "/api/v1/jobs/" + std::to_string(id) + "/logs?offset=" + std::to_string(offset_[id]),
          "job " + std::to_string(id));
      if (!text.ok()) continue;  // the event stream reports a lost server
      const std::string& body = text.value().body;
      offset_[id] += static_cast<int64_t>(body.size());
      std::vector<std::string>& tail = tails_[id];
      for (size_t pos = 0; pos < body.size();) {
        size_t nl = body.find('\n', pos);
        if (nl == std::string::npos) nl = body.size();
        std::string line = StripLogTimestamp(body.substr(pos, nl - pos));
        pos = nl + 1;
        // The executor's markers (a step's start, group ends, debug) are not output to show.
        if (line.starts_with("##[step]") || line.starts_with("##[endgroup]") ||
            line.starts_with("##[debug]")) {
          continue;
        }
        if (line.starts_with("##[group]")) line = "▸ " + line.substr(9);
        tail.push_back(std::move(line));
        if (tail.size() > kTailLines) tail.erase(tail.begin());
      }
    }
  }
  const std::map<int64_t, std::vector<std::string>>& tails() const { return tails_; }

 private:
  std::map<int64_t, std::vector<std::string>> tails_;
  std::map<int64_t, int64_t> offset_;
  std::map<int64_t, int> step_;
};

}  // namespace

int RunCommands::RunWatch(ApiClient& api) {
  auto id = PickRun(api, true);
  if (!id.ok()) return Fail(id.status());
  std::string what = "run " + std::to_string(id.value());
  std::string path = "/api/v1/runs/" + std::to_string(id.value());
  auto got = api.Get(path, what);
  if (!got.ok()) return Fail(got.status());
  WatchState state(std::move(got).value());
  auto finish = [&](const json& run) {
    std::cout << WatchDoneLine(style_, run) << "\n" << std::flush;
    bool success = run.value("conclusion", json()) == "success";
    return exit_status_ && !success ? 1 : 0;
  };
  if (state.run().value("status", "") == "completed") {
    for (const std::string& line : RenderWatchFrame(style_, state.run(), {}, compact_, NowMs())) {
      std::cout << line << "\n";
    }
    std::cout << "\n";
    return finish(state.run());
  }
  SignalGuard guard(style_.tty);
  Screen screen;
  LogTails tails;
  if (!style_.tty) {
    std::cout << PlainChangeLine("run", state.run(), "", NowMs()) << "\n";
    for (const json& job : state.run()["jobs"]) {
      std::cout << PlainChangeLine("job", job, "", NowMs()) << "\n";
    }
    std::cout << std::flush;
  }
  auto draw = [&]() {
    style_ = OutputStyle::Detect(STDOUT_FILENO);
    screen.Draw(RenderWatchFrame(style_, state.run(), tails.tails(), compact_, NowMs()));
  };
  Clock::time_point next_poll = Clock::now();
  SseOptions options;
  options.cancel_fd = g_signal_pipe[0];
  options.tick_ms = 250;
  options.tick = [&]() {
    if (style_.tty) {
      if (Clock::now() >= next_poll) {
        tails.Poll(api, state.run());
        next_poll = Clock::now() + std::chrono::seconds(1);
      }
      draw();
    }
    return true;
  };
  bool ended = false;
  auto on_event = [&](const SseEvent& e) {
    if (e.event == "end") {
      ended = true;
      return false;
    }
    std::vector<std::string> changes = state.Apply(e, NowMs());
    if (style_.tty) {
      draw();
    } else {
      for (const std::string& line : changes) std::cout << line << "\n";
      std::cout << std::flush;
    }
    return true;
  };
  core::Status read = ReadEventStream(api.target(), path + "/events", what, on_event, options);
  if (read.code() == core::StatusCode::kCancelled) {
    if (style_.tty) screen.Leave();
    std::cout << std::flush;
    std::cerr << "\ngantry: interrupted; the run goes on (gantry run cancel " << id.value()
              << " stops it)\n";
    return 130;
  }
  if (!read.ok()) {
    screen.Leave();
    return Fail(read);
  }
  (void)ended;
  // The final state, with every job's timing.
  auto final_run = api.Get(path, what);
  if (!final_run.ok()) return Fail(final_run.status());
  state.Replace(std::move(final_run).value());
  if (style_.tty) {
    screen.Erase();
  } else {
    std::cout << "\n";
  }
  for (const std::string& line : RenderWatchFrame(style_, state.run(), {}, compact_, NowMs())) {
    std::cout << line << "\n";
  }
  std::cout << "\n";
  return finish(state.run());
}

}  // namespace gantry::cli
