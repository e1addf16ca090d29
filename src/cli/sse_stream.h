#pragma once

// A client of the server's event streams (text/event-stream: `GET /api/v1/runs/{id}/events`,
// `GET /api/v1/jobs/{id}/logs?follow=1`) that hands over each event as soon as it arrives,
// over libcurl (backend/docker/http.h: loaded on first use), and reconnects with
// Last-Event-ID when the connection breaks.

#include <functional>
#include <string>
#include <string_view>

#include "cli/api_client.h"
#include "core/status.h"

namespace gantry::cli {

/// One server-sent event.
struct SseEvent {
  std::string id;     // the last `id:` seen on the stream so far ("" when none)
  std::string event;  // "message" when the event named none
  std::string data;   // the `data:` lines joined with '\n'
};

/// Incremental parser of the event-stream format: bytes in, whole events out. Pure.
class SseParser {
 public:
  /// Feeds the next bytes (any split, even inside a line); calls `on_event` for each event
  /// they complete, in order. Comments (": keep-alive") are skipped. Returns false as soon as
  /// `on_event` does (the rest of `bytes` is dropped).
  bool Feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event);
  /// The id of the last event (to resume from with Last-Event-ID).
  const std::string& last_id() const { return last_id_; }
  /// Forgets a partial line or event (after a broken connection).
  void Reset();

 private:
  bool Line(std::string_view line, const std::function<bool(const SseEvent&)>& on_event);

  std::string partial_;
  std::string last_id_;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

/// How ReadEventStream behaves.
struct SseOptions {
  /// Becomes readable when the reader must stop (e.g. a Ctrl-C pipe); -1 = none.
  int cancel_fd = -1;
  /// Called at least every `tick_ms` while the stream is open (redraws, log tails); returns
  /// false to stop reading (ReadEventStream then returns Cancelled).
  std::function<bool()> tick;
  int tick_ms = 500;
  /// A stream that breaks before the handler stops it is opened again (with Last-Event-ID)
  /// for this long since the last event; then the reader gives up with Unavailable.
  int reconnect_ms = 5000;
};

/// Reads the event stream at `path` of `target` (Bearer token), calling `on_event` for each
/// event until it returns false (then OK). Errors, as one line for "gantry: ": Unavailable
/// "lost the connection to the Gantry server at URL: REASON" once reconnecting failed;
/// NotFound "WHAT not found on URL" for a 404; PermissionDenied for 401/403 (as ApiClient);
/// Cancelled when `cancel_fd` fired or `tick` returned false.
core::Status ReadEventStream(const ClientTarget& target, const std::string& path,
                             std::string_view what,
                             const std::function<bool(const SseEvent&)>& on_event,
                             const SseOptions& options);

}  // namespace gantry::cli
