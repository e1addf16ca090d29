#include "server/git_http.h"

#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/subprocess.h"
#include "server/git_mirrors.h"

namespace gantry::server {
namespace {

constexpr std::string_view kUploadPack = "git-upload-pack";
// The advertisement reads refs only; a pack of a large repository takes a while to build.
constexpr std::chrono::seconds kAdvertiseTimeout{60};
constexpr std::chrono::seconds kUploadPackTimeout{600};

// Responses of the protocol must never be cached by a proxy (git http-backend's headers).
void NoCache(Response& r) {
  r.headers.emplace_back("Cache-Control", "no-cache, max-age=0, must-revalidate");
  r.headers.emplace_back("Pragma", "no-cache");
  r.headers.emplace_back("Expires", "Fri, 01 Jan 1980 00:00:00 GMT");
}

// The job's mirror when `executor` holds the job's lease; else the 403/404 answer.
std::optional<Response> LeasedMirror(ApiContext& ctx, const Request& request,
                                     const store::Executor& executor, std::string* mirror) {
  auto id = ParseId(request.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such job");
  auto job = ctx.store->GetJob(*id);
  if (!job.ok()) return Response::Error(404, "not_found", "no such job");
  // Executor names are unique (registration refuses a taken one), and a job row names the
  // executor that leased it while it runs.
  if (job.value().status != "in_progress" || job.value().lease_id.empty() ||
      job.value().executor != executor.name) {
    return Response::Error(403, "forbidden",
                           "this executor holds no lease on job " + std::to_string(*id) +
                               ": a job's repository is served only to the executor running it");
  }
  auto run = ctx.store->GetRun(job.value().run_id);
  if (!run.ok()) return StoreError(run.status());
  auto project = ctx.store->GetProject(run.value().project_id);
  if (!project.ok()) return StoreError(project.status());
  const store::Project& p = project.value();
  // Another replica may have received the push: reading at the commit clones the mirror or
  // fetches the commit when this replica lacks it.
  (void)ctx.mirrors->ReadFile(p.owner, p.name, run.value().sha, run.value().workflow_file);
  *mirror = ctx.mirrors->PathFor(p.owner, p.name);
  return std::nullopt;
}

// 4xx naming `service` unless it is git-upload-pack (the mirrors are read-only).
std::optional<Response> CheckService(std::string_view service) {
  if (service == kUploadPack) return std::nullopt;
  if (service.empty()) {
    return Response::Error(400, "invalid",
                           "the dumb HTTP protocol is not served: ask for "
                           "?service=git-upload-pack (any git since 1.6.6 does)",
                           "service");
  }
  if (service == "git-receive-pack") {
    return Response::Error(403, "forbidden",
                           "'git-receive-pack' is not served: a job's repository is read-only",
                           "service");
  }
  return Response::Error(
      400, "invalid",
      "unknown service '" + std::string(service) + "': only git-upload-pack is served", "service");
}

// `git upload-pack` on `mirror`: one stateless exchange. Wants of any commit reachable from a
// ref are allowed, so that an executor may fetch the job's commit alone (or a pull request's).
// `on_output`, when set, receives the output as it comes instead of the result holding it.
core::Result<std::string> UploadPack(const std::string& mirror, bool advertise,
                                     const std::string* input, bool v2,
                                     std::function<bool(std::string_view)> on_output = nullptr) {
  std::vector<std::string> args = {"git",
                                   "-c",
                                   "uploadpack.allowReachableSHA1InWant=true",
                                   "-c",
                                   "uploadpack.allowTipSHA1InWant=true",
                                   "upload-pack",
                                   "--strict",
                                   "--stateless-rpc"};
  if (advertise) args.emplace_back("--advertise-refs");
  args.push_back(mirror);
  core::ProgramOptions options;
  options.input = input;
  options.timeout = advertise ? kAdvertiseTimeout : kUploadPackTimeout;
  if (v2) options.env.emplace_back("GIT_PROTOCOL", "version=2");
  options.on_output = std::move(on_output);
  return core::RunProgram(args, options);
}

void LogFailure(const std::string& job, const core::Status& status) {
  std::cerr << "gantry server: git upload-pack for job " << job << " failed: " << status.message()
            << "\n";
}

Response GitFailure(const Request& request, const core::Status& status) {
  LogFailure(request.Param("id"), status);
  if (status.code() == core::StatusCode::kDeadlineExceeded) {
    return Response::Error(504, "timeout", "git upload-pack took too long: " + status.message());
  }
  return Response::Error(500, "internal", "git upload-pack failed: " + status.message());
}

}  // namespace

std::string PktLine(std::string_view payload) {
  if (payload.size() > kMaxPktPayload) {
    std::fprintf(stderr, "PktLine: a payload of %zu bytes does not fit a pkt-line\n",
                 payload.size());
    std::abort();
  }
  char length[5];
  std::snprintf(length, sizeof length, "%04zx", payload.size() + 4);
  std::string line(length, 4);
  line.append(payload);
  return line;
}

std::string ServiceAnnouncement(std::string_view service) {
  return PktLine("# service=" + std::string(service) + "\n") + std::string(kFlushPkt);
}

core::Result<std::string> Gunzip(std::string_view data, size_t max_bytes) {
  z_stream z{};
  // 16 + MAX_WBITS: a gzip header and trailer, not a raw zlib stream.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    return core::Status::Internal("cannot initialize zlib");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_bytes) break;
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) break;  // truncated
  }
  inflateEnd(&z);
  if (out.size() > max_bytes) {
    return core::Status::InvalidArgument("the body inflates to more than " +
                                         std::to_string(max_bytes) + " bytes");
  }
  if (rc != Z_STREAM_END) return core::Status::InvalidArgument("the body is not valid gzip");
  return out;
}

bool WantsProtocolV2(std::string_view git_protocol) {
  size_t pos = 0;
  while (pos <= git_protocol.size()) {
    size_t colon = git_protocol.find(':', pos);
    if (colon == std::string_view::npos) colon = git_protocol.size();
    if (git_protocol.substr(pos, colon - pos) == "version=2") return true;
    pos = colon + 1;
  }
  return false;
}

std::string JobGitUrl(std::string_view base_url, int64_t job_id) {
  return std::string(base_url) + "/api/v1/executor/jobs/" + std::to_string(job_id) + "/git";
}

Response GitInfoRefs(ApiContext& ctx, const Request& request, const store::Executor& executor) {
  std::string service = request.Query("service").value_or("");
  if (auto e = CheckService(service)) return *e;
  std::string mirror;
  if (auto e = LeasedMirror(ctx, request, executor, &mirror)) return *e;
  bool v2 = WantsProtocolV2(request.Header("git-protocol"));
  auto refs = UploadPack(mirror, /*advertise=*/true, nullptr, v2);
  if (!refs.ok()) return GitFailure(request, refs.status());
  Response r;
  r.content_type = "application/x-git-upload-pack-advertisement";
  // A v2 client reads the capability advertisement with no service announcement before it.
  r.body = v2 ? std::move(refs).value() : ServiceAnnouncement(service) + refs.value();
  NoCache(r);
  return r;
}

Response GitUploadPack(ApiContext& ctx, const Request& request, const store::Executor& executor) {
  if (auto e = CheckService(request.Param("service"))) return *e;
  std::string mirror;
  if (auto e = LeasedMirror(ctx, request, executor, &mirror)) return *e;
  if (request.Header("content-type") != "application/x-git-upload-pack-request") {
    return Response::Error(415, "unsupported_media_type",
                           "send the request as application/x-git-upload-pack-request",
                           "content-type");
  }
  std::string encoding = request.Header("content-encoding");
  std::string inflated_or_body;
  if (encoding == "gzip" || encoding == "x-gzip") {
    // As large as the server takes a body: git's negotiation is a few kB per 32 haves.
    auto body = Gunzip(request.body, size_t{64} << 20);
    if (!body.ok()) {
      return Response::Error(400, "invalid", body.status().message(), "content-encoding");
    }
    inflated_or_body = std::move(body).value();
  } else if (!encoding.empty() && encoding != "identity") {
    return Response::Error(
        415, "unsupported_media_type",
        "content encoding '" + encoding + "' is not supported: send gzip or none",
        "content-encoding");
  } else {
    inflated_or_body = request.body;
  }
  bool v2 = WantsProtocolV2(request.Header("git-protocol"));
  Response r;
  r.content_type = "application/x-git-upload-pack-result";
  NoCache(r);
  // Streamed as git produces it, on a thread of the response's own: a pack as large as the
  // repository is never held in memory, and no handler thread waits for it. A failure after
  // the headers can only cut the body short, which git reports.
  r.stream = [mirror = std::move(mirror), input = std::move(inflated_or_body), v2,
              job = request.Param("id")](BodyWriter& writer) {
    auto sent = UploadPack(mirror, /*advertise=*/false, &input, v2,
                           [&writer](std::string_view chunk) { return writer.Write(chunk); });
    if (!sent.ok() && sent.status().code() != core::StatusCode::kCancelled) {
      LogFailure(job, sent.status());
    }
  };
  return r;
}

}  // namespace gantry::server
