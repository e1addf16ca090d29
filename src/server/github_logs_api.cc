// /api/v3 job logs (plain text in GitHub's line format) and a run's log archive as
// `gh run view --log` reads it: a folder per job with a file per step, "<number>_<name>.txt"
// (github_api.h).

#include <map>

#include "executor/artifact_zip.h"
#include "server/github_api.h"

namespace gantry::server::github {
namespace {

// Every stored log chunk of a job, in order.
core::Result<std::vector<store::LogChunk>> AllChunks(ApiContext& ctx, store::Id job_id) {
  std::vector<store::LogChunk> out;
  int64_t offset = 0;
  for (;;) {
    auto chunks = ctx.store->ReadLogs(job_id, offset, 4 << 20);
    if (!chunks.ok()) return chunks.status();
    int64_t before = offset;
    for (store::LogChunk& c : chunks.value()) {
      int64_t end = c.offset + static_cast<int64_t>(c.data.size());
      if (end <= offset) continue;
      if (c.offset < offset) c.data.erase(0, static_cast<size_t>(offset - c.offset));
      offset = end;
      out.push_back(std::move(c));
    }
    if (offset == before) return out;
  }
}

// `text` (stored lines) in GitHub's line format, appended to `out`; `##[step]` markers dropped
// when `drop_markers`.
void AppendGitHubLines(std::string_view text, bool drop_markers, std::string* last,
                       std::string* out) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::string converted = LogLine(line, last);
    if (drop_markers) {
      size_t space = converted.find(' ');
      if (space != std::string::npos && converted.compare(space + 1, 8, "##[step]") == 0) continue;
    }
    *out += converted;
    *out += '\n';
  }
}

Response JobLogs(ApiContext& ctx, Request& r, const Principal& who) {
  store::Job job;
  store::Run run;
  ProjectAccess access;
  if (auto e = JobOf(ctx, r, who, "viewer", &job, &run, &access)) return *e;
  auto chunks = AllChunks(ctx, job.id);
  if (!chunks.ok()) return Rewrite(StoreError(chunks.status()));
  std::string text, last;
  for (const store::LogChunk& c : chunks.value()) AppendGitHubLines(c.data, false, &last, &text);
  Response resp = Response::Text(200, std::move(text));
  resp.content_type = "text/plain; charset=utf-8";
  return resp;
}

Response RunLogs(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunOf(ctx, r, who, "viewer", &run, &access)) return *e;
  auto jobs = ctx.store->ListJobs(run.id, run.attempt);
  if (!jobs.ok()) return Rewrite(StoreError(jobs.status()));
  std::vector<executor::ZipMember> members;
  int i = 0;
  for (const store::Job& job : jobs.value()) {
    auto chunks = AllChunks(ctx, job.id);
    if (!chunks.ok()) return Rewrite(StoreError(chunks.status()));
    auto steps = ctx.store->ListSteps(job.id);
    std::vector<std::pair<int, store::Step>> numbered =
        NumberedSteps(steps.ok() ? steps.value() : std::vector<store::Step>{});
    // A chunk's step is the engine's index of a step or post stage (pre stages count apart).
    std::map<int, std::string> per_step;  // GitHub step number → lines
    std::string whole, last, step_last;
    for (const store::LogChunk& c : chunks.value()) {
      AppendGitHubLines(c.data, false, &last, &whole);
      for (const auto& [number, s] : numbered) {
        if (s.stage != "pre" && s.index == c.step) {
          AppendGitHubLines(c.data, true, &step_last, &per_step[number]);
          break;
        }
      }
    }
    const std::string dir = SafeName(job.name);
    const int64_t mtime = job.completed_at != 0 ? job.completed_at : run.created_at;
    members.push_back({std::to_string(++i) + "_" + dir + ".txt", std::move(whole), mtime});
    for (const auto& [number, s] : numbered) {
      members.push_back({dir + "/" + std::to_string(number) + "_" + SafeName(StepName(s)) + ".txt",
                         std::move(per_step[number]), mtime});
    }
  }
  Response resp;
  resp.content_type = "application/zip";
  auto zip = executor::ZipToMemory(members);
  if (!zip.ok()) return Error(500, "cannot build the log archive: " + zip.status().message());
  resp.body = std::move(zip).value();
  resp.headers.emplace_back("Content-Disposition",
                            "attachment; filename=logs_" + std::to_string(run.id) + ".zip");
  return resp;
}

}  // namespace

void AddGitHubLogRoutes(Router& router, ApiContext& ctx) {
  using Fn = Response (*)(ApiContext&, Request&, const Principal&);
  auto add = [&](const std::string& path, Fn fn) {
    router.Add("GET", "/api/v3/repos/{owner}/{repo}" + path,
               GhAuthed(ctx, [&ctx, fn](Request& r, const Principal& w) { return fn(ctx, r, w); }));
  };
  add("/actions/runs/{id}/logs", RunLogs);
  add("/actions/jobs/{id}/logs", JobLogs);
}

}  // namespace gantry::server::github
