#include "cli/sse_stream.h"

#include <poll.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "backend/docker/http.h"

namespace gantry::cli {

bool SseParser::Feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      return true;
    }
    partial_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    std::string line = std::move(partial_);
    partial_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!Line(line, on_event)) return false;
  }
  return true;
}

bool SseParser::Line(std::string_view line, const std::function<bool(const SseEvent&)>& on_event) {
  if (line.empty()) {
    if (!has_data_) {
      event_.clear();
      return true;
    }
    SseEvent e{last_id_, event_.empty() ? "message" : event_, data_};
    event_.clear();
    data_.clear();
    has_data_ = false;
    return on_event(e);
  }
  if (line.front() == ':') return true;
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) data_ += '\n';
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_ = std::string(value);
  } else if (field == "id" && value.find('\0') == std::string_view::npos) {
    last_id_ = std::string(value);
  }
  return true;
}

void SseParser::Reset() {
  partial_.clear();
  event_.clear();
  data_.clear();
  has_data_ = false;
}

namespace {

bool Readable(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

// The server's error message of a JSON error body, else the body's start.
std::string ServerMessage(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    return j["error"].value("message", "");
  }
  return body.substr(0, 200);
}

}  // namespace

core::Status ReadEventStream(const ClientTarget& target, const std::string& path,
                             std::string_view what,
                             const std::function<bool(const SseEvent&)>& on_event,
                             const SseOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto client = backend::docker::HttpClient::ForBaseUrl(target.url);
  SseParser parser;
  bool stopped = false;    // the handler has seen enough
  bool cancelled = false;  // cancel_fd or tick
  Clock::time_point last_event = Clock::now();
  std::string last_error;
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> headers = {"Accept: text/event-stream"};
    if (!target.token.empty()) headers.push_back("Authorization: Bearer " + target.token);
    if (!parser.last_id().empty()) headers.push_back("Last-Event-ID: " + parser.last_id());
    parser.Reset();
    auto sink = [&](std::string_view bytes) {
      if (stopped) return;
      last_event = Clock::now();
      if (!parser.Feed(bytes, on_event)) stopped = true;
    };
    Clock::time_point next_tick = Clock::now();
    backend::docker::StreamControl control;
    control.wake_fd = options.cancel_fd;
    control.tick = [&]() -> int {
      if (stopped) return backend::docker::StreamControl::kAbort;
      if (Readable(options.cancel_fd)) {
        cancelled = true;
        return backend::docker::StreamControl::kAbort;
      }
      if (options.tick && Clock::now() >= next_tick) {
        if (!options.tick()) {
          cancelled = true;
          return backend::docker::StreamControl::kAbort;
        }
        next_tick = Clock::now() + std::chrono::milliseconds(options.tick_ms);
      }
      return options.tick_ms;
    };
    auto reply = client.Stream("GET", path, "", "", sink, control, headers);
    if (stopped) return core::Status::Ok();
    if (cancelled) return core::Status::Cancelled("interrupted");
    if (reply.ok()) {
      long status = reply.value().status;
      if (status == 404) {
        return core::Status::NotFound(std::string(what) + " not found on " + target.url);
      }
      if (status == 401) {
        return core::Status::PermissionDenied("not logged in to " + target.url +
                                              " (or the token expired): run `gantry auth login "
                                              "--url " +
                                              target.url + "`");
      }
      if (status == 403) return core::Status::PermissionDenied(ServerMessage(reply.value().body));
      if (status >= 400) {
        return core::Status::Internal(std::to_string(status) + " from " + target.url + ": " +
                                      ServerMessage(reply.value().body));
      }
      last_error = "the server closed the stream";
    } else {
      last_error = reply.status().message();
      // "GET http://host/api/... failed: Connection refused" → the reason only.
      if (size_t at = last_error.find(" failed: "); at != std::string::npos) {
        last_error = last_error.substr(at + 9);
      }
    }
    if (Clock::now() - last_event > std::chrono::milliseconds(options.reconnect_ms)) {
      return core::Status::Unavailable("lost the connection to the Gantry server at " + target.url +
                                       ": " + last_error);
    }
    // Back off a little (200 ms, 400 ms, ... up to 1 s), still answering cancel_fd.
    auto wait = std::chrono::milliseconds(std::min(1000, 200 << std::min(attempt, 3)));
    auto until = Clock::now() + wait;
    while (Clock::now() < until) {
      if (Readable(options.cancel_fd)) return core::Status::Cancelled("interrupted");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace gantry::cli
