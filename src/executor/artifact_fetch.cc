#include "executor/artifact_fetch.h"

#include <stdlib.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "core/sha256.h"

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The metadata upload-artifact writes (actions/artifacts.h) for the files under `files`:
// size, count and digest (SHA-256 of "<sha256 of file>  <relative path>\n" in path order).
nlohmann::json Metadata(const fs::path& files, int64_t id, const std::string& name,
                        const std::string& run_id) {
  std::vector<std::pair<std::string, std::string>> lines;
  uint64_t size = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(files, ec); !ec && it != end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    core::Sha256 sha;
    sha.Update(ReadAll(it->path()));
    size += it->file_size(ec);
    lines.emplace_back(it->path().lexically_relative(files).generic_string(),
                       core::Sha256::Hex(sha.Finish()));
  }
  std::sort(lines.begin(), lines.end());
  core::Sha256 digest;
  for (const auto& [rel, hex] : lines) digest.Update(hex + "  " + rel + "\n");
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> created{};
  std::strftime(created.data(), created.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {
      {"id", id},
      {"name", name},
      {"run_id", run_id},
      {"size", size},
      {"files", lines.size()},
      {"created", created.data()},
      {"retention_days", 90},
      {"digest", "sha256:" + core::Sha256::Hex(digest.Finish())},
  };
}

}  // namespace

RunArtifactFetcher::RunArtifactFetcher(ProtocolClient& client, int64_t job, std::string lease_id,
                                       std::string artifact_dir)
    : client_(client),
      job_(job),
      lease_id_(std::move(lease_id)),
      artifact_dir_(std::move(artifact_dir)) {}

core::Status RunArtifactFetcher::Fetch(const std::string& run_id, const std::string& only,
                                       const std::function<void(std::string_view)>& log) {
  if (run_id.empty() || run_id[0] == '.' || run_id.find('/') != std::string::npos) {
    return core::Status::InvalidArgument("'" + run_id + "' is not a run id");
  }
  std::lock_guard lock(mu_);
  if (!listed_) {
    auto listed = client_.ListArtifacts(job_, lease_id_);
    if (!listed.ok()) return listed.status();
    listed_ = std::move(*listed);
  }
  const fs::path run_dir = fs::path(artifact_dir_) / run_id;
  int64_t id = 0;
  int fetched = 0;
  for (const RemoteArtifact& artifact : *listed_) {
    ++id;
    if (!only.empty() && artifact.name != only) continue;
    if (artifact.name.empty() || artifact.name.find('/') != std::string::npos ||
        artifact.name == "." || artifact.name == ".." || tried_.count(artifact.name) != 0) {
      continue;
    }
    std::error_code ec;
    if (fs::exists(run_dir / artifact.name, ec)) {
      tried_.insert(artifact.name);  // a job's own upload of that name wins
      continue;
    }
    auto zip = client_.DownloadArtifact(job_, lease_id_, artifact.name);
    if (!zip.ok()) return zip.status();
    GANTRY_RETURN_IF_ERROR(Store(run_id, id, artifact.name, *zip));
    tried_.insert(artifact.name);
    ++fetched;
  }
  if (log) log("Fetched " + std::to_string(fetched) + " artifact(s) of this run from the server");
  return core::Status::Ok();
}

bool RunArtifactFetcher::Unchanged(const StoredArtifact& artifact) const {
  std::lock_guard lock(mu_);
  auto it = fetched_.find(artifact.files_dir);
  return it != fetched_.end() &&
         ReadAll(fs::path(artifact.files_dir).parent_path() / "artifact.json") == it->second;
}

core::Status RunArtifactFetcher::Store(const std::string& run_id, int64_t id,
                                       const std::string& name, const std::string& zip) {
  const fs::path dest = fs::path(artifact_dir_) / run_id / name;
  const fs::path staging_parent = fs::path(artifact_dir_) / ".staging";
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  fs::create_directories(staging_parent, ec);
  if (ec) return core::Status::Internal("cannot create " + dest.parent_path().string());
  std::string staging = (staging_parent / "fetch-XXXXXX").string();
  if (mkdtemp(staging.data()) == nullptr) {
    return core::Status::Internal("cannot create a staging directory in " +
                                  staging_parent.string());
  }
  const fs::path zip_path = fs::path(staging) / "artifact.zip";
  core::Status st;
  {
    std::ofstream out(zip_path, std::ios::binary | std::ios::trunc);
    out.write(zip.data(), static_cast<std::streamsize>(zip.size()));
    if (!out) st = core::Status::Internal("cannot write " + zip_path.string());
  }
  if (st.ok()) st = UnzipToDirectory(zip_path.string(), (fs::path(staging) / "files").string());
  fs::remove(zip_path, ec);
  std::string meta;
  if (st.ok()) {
    meta = Metadata(fs::path(staging) / "files", id, name, run_id).dump(2) + "\n";
    std::ofstream out(fs::path(staging) / "artifact.json");
    out << meta;
    if (!out) st = core::Status::Internal("cannot write the metadata of " + name);
  }
  if (st.ok()) {
    fs::rename(staging, dest, ec);
    if (ec) st = core::Status::Internal("cannot store " + dest.string() + ": " + ec.message());
  }
  if (!st.ok()) {
    fs::remove_all(staging, ec);
    return core::Status(st.code(), "artifact " + name + ": " + st.message());
  }
  fetched_[(dest / "files").string()] = meta;
  return core::Status::Ok();
}

}  // namespace gantry::executor
