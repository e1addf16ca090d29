#pragma once

// Read-only access to the server's mirrors over git's smart HTTP protocol (stateless RPC), for
// executors on other machines (docs/executor-protocol.md "The job's repository"): pkt-line
// framing, gzip request bodies, `git upload-pack` as a subprocess, and the handlers that serve
// a job's repository to the executor holding that job's lease, and to no one else.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "server/api.h"

namespace gantry::server {

/// The largest payload of one pkt-line (65520 bytes with its 4-byte length).
inline constexpr size_t kMaxPktPayload = 65516;
/// The flush-pkt that ends a section of pkt-lines.
inline constexpr std::string_view kFlushPkt = "0000";

/// One pkt-line: the payload's length plus 4 as four lower-case hex digits, then the payload.
/// A payload longer than kMaxPktPayload is a bug (aborts with a message).
std::string PktLine(std::string_view payload);

/// What an info/refs answer starts with in protocol v0/v1: the pkt-line
/// "# service=<service>\n" and a flush-pkt (protocol v2 has none).
std::string ServiceAnnouncement(std::string_view service);

/// Inflates a gzip request body (git sends `Content-Encoding: gzip` for long negotiations).
/// InvalidArgument when `data` is not gzip or inflates to more than `max_bytes`.
core::Result<std::string> Gunzip(std::string_view data, size_t max_bytes);

/// Whether a `Git-Protocol` header value (colon-separated key=value pairs) asks for v2.
bool WantsProtocolV2(std::string_view git_protocol);

/// The URL that executor protocol clients clone job `job_id`'s repository from:
/// "<base_url>/api/v1/executor/jobs/<id>/git".
std::string JobGitUrl(std::string_view base_url, int64_t job_id);

/// `GET /api/v1/executor/jobs/{id}/git/info/refs?service=git-upload-pack`: the refs of the
/// job's mirror. 403 unless `executor` holds the job's lease, 404 for no such job, 4xx naming
/// the service for any service but git-upload-pack.
Response GitInfoRefs(ApiContext& ctx, const Request& request, const store::Executor& executor);

/// `POST /api/v1/executor/jobs/{id}/git/{service}`: one upload-pack exchange (negotiation or
/// the pack) with the job's mirror; the same checks as GitInfoRefs. The answer is streamed as
/// `git upload-pack` writes it (Response::stream).
Response GitUploadPack(ApiContext& ctx, const Request& request, const store::Executor& executor);

}  // namespace gantry::server
