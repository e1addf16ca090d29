#include "actions/artifacts.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "actions/builtins.h"
#include "actions/paths.h"
#include "core/glob.h"
#include "core/sha256.h"

namespace gantry::actions {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMetadata = "artifact.json";
constexpr std::string_view kFiles = "files";
constexpr int kDefaultRetentionDays = 90;  // GitHub's default (and maximum) retention

// The characters @actions/artifact v2 rejects in names; file paths may hold the last two.
constexpr std::array<std::pair<char, std::string_view>, 11> kInvalidCharacters = {{
    {'"', "Double quote \""},
    {':', "Colon :"},
    {'<', "Less than <"},
    {'>', "Greater than >"},
    {'|', "Vertical bar |"},
    {'*', "Asterisk *"},
    {'?', "Question mark ?"},
    {'\r', "Carriage return \\r"},
    {'\n', "Line feed \\n"},
    {'\\', "Backslash \\"},
    {'/', "Forward slash /"},
}};
constexpr std::size_t kInvalidPathCharacters = 9;  // the first nine

std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool Cancelled(const engine::BuiltinCall& call) {
  return call.cancel != nullptr && call.cancel->cancelled();
}

// A run id names a directory of the store: one path segment, nothing hidden.
core::Status ValidateRunId(const std::string& run_id) {
  if (run_id.empty() || run_id[0] == '.' || run_id.find_first_of("/\\\n\r") != std::string::npos) {
    return core::Status::InvalidArgument("run-id '" + Printable(run_id) +
                                         "' is not a valid run id (one path segment, e.g. 42)");
  }
  return core::Status::Ok();
}

std::string PercentEncode(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || std::string_view("/-._~").find(ch) != std::string_view::npos) {
      out.push_back(ch);
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::string UtcNow() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// An exclusive flock on a file, released on destruction: serialises changes to one run's
// artifacts across threads and processes.
class FileLock {
 public:
  explicit FileLock(const std::string& path)
      : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // closing releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

core::Result<nlohmann::json> ReadMetadata(const fs::path& dir) {
  std::ifstream in(dir / kMetadata);
  if (!in) return core::Status::NotFound("no artifact at " + dir.string());
  nlohmann::json meta = nlohmann::json::parse(in, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) {
    return core::Status::Internal("the artifact metadata " + (dir / kMetadata).string() +
                                  " is not valid JSON");
  }
  return meta;
}

// What an upload stored.
struct Stored {
  uint64_t size = 0;
  std::size_t files = 0;
  std::string digest;
};

core::Status HashFile(const std::string& path, std::string* hex) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::Unavailable("cannot read " + path);
  core::Sha256 sha;
  std::array<char, 65536> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    sha.Update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  *hex = core::Sha256::Hex(sha.Finish());
  return core::Status::Ok();
}

// Copies `files` (below `root`) into `into`, keeping their paths relative to `root`.
core::Result<Stored> CopyIntoStore(const engine::BuiltinCall& call,
                                   const std::vector<std::string>& files, const std::string& root,
                                   const fs::path& into) {
  std::vector<std::pair<std::string, std::string>> lines;  // relative path, sha256
  Stored stored;
  for (const std::string& file : files) {
    if (Cancelled(call)) return core::Status::Cancelled("the upload was cancelled");
    std::string rel = fs::path(file).lexically_relative(root).string();
    if (rel.empty() || rel == ".." || rel.starts_with("../")) {
      return core::Status::Internal("The rootDirectory: " + root +
                                    " is not a parent directory of the file: " + file);
    }
    for (std::size_t i = 0; i < kInvalidPathCharacters; ++i) {
      if (rel.find(kInvalidCharacters[i].first) != std::string::npos) {
        return core::Status::InvalidArgument(
            "The path for one of the files in artifact is not valid: " + Printable(rel) +
            ". Contains the following character: " + std::string(kInvalidCharacters[i].second));
      }
    }
    std::string target = (into / rel).string();
    GANTRY_RETURN_IF_ERROR(CopyFileReplacing(file, target));
    std::string hex;
    GANTRY_RETURN_IF_ERROR(HashFile(target, &hex));
    std::error_code ec;
    stored.size += fs::file_size(target, ec);
    lines.emplace_back(rel, hex);
  }
  std::sort(lines.begin(), lines.end());
  core::Sha256 digest;
  for (const auto& [rel, hex] : lines) digest.Update(hex + "  " + rel + "\n");
  stored.files = lines.size();
  stored.digest = core::Sha256::Hex(digest.Finish());
  return stored;
}

struct UploadInputs {
  std::string name;
  std::string path;
  std::string if_no_files_found = "warn";
  int retention_days = kDefaultRetentionDays;
  bool overwrite = false;
  bool include_hidden = false;
};

core::Result<UploadInputs> ReadUploadInputs(const engine::BuiltinCall& call) {
  UploadInputs in;
  in.name = GetInput(call, "name");
  if (in.name.empty()) in.name = "artifact";
  GANTRY_RETURN_IF_ERROR(ValidateArtifactName(in.name));
  in.path = GetInput(call, "path");
  if (in.path.empty())
    return core::Status::InvalidArgument("Input required and not supplied: path");
  std::string mode = GetInput(call, "if-no-files-found");
  if (!mode.empty()) in.if_no_files_found = mode;
  if (mode != "" && mode != "warn" && mode != "error" && mode != "ignore") {
    return core::Status::InvalidArgument("Unrecognized if-no-files-found input. Provided: " + mode +
                                         ". Available options: warn,error,ignore");
  }
  std::string retention = GetInput(call, "retention-days");
  if (!retention.empty()) {
    char* end = nullptr;
    long days = std::strtol(retention.c_str(), &end, 10);
    if (*end != '\0' || days < 0) return core::Status::InvalidArgument("Invalid retention-days");
    if (days > kDefaultRetentionDays) {
      LogLine(call,
              "Warning: Retention days cannot be greater than the maximum allowed retention "
              "set within the repository. Using 90 instead.");
    }
    if (days > 0) in.retention_days = static_cast<int>(std::min<long>(days, kDefaultRetentionDays));
  }
  std::string level = GetInput(call, "compression-level");
  if (!level.empty()) {
    char* end = nullptr;
    long value = std::strtol(level.c_str(), &end, 10);
    if (end == level.c_str()) return core::Status::InvalidArgument("Invalid compression-level");
    if (value < 0 || value > 9) {
      return core::Status::InvalidArgument("Invalid compression-level. Valid values are 0-9");
    }
  }
  auto overwrite = GetBooleanInput(call, "overwrite", false);
  if (!overwrite.ok()) return overwrite.status();
  in.overwrite = *overwrite;
  auto hidden = GetBooleanInput(call, "include-hidden-files", false);
  if (!hidden.ok()) return hidden.status();
  in.include_hidden = *hidden;
  return in;
}

// Copies the stored tree `from` into `to`, refusing to write anywhere outside `roots`.
core::Result<std::size_t> CopyFromStore(const engine::BuiltinCall& call, const fs::path& from,
                                        const std::string& to,
                                        const std::vector<std::string>& roots) {
  std::vector<std::string> canonical_roots;
  canonical_roots.reserve(roots.size());
  for (const auto& r : roots) canonical_roots.push_back(Canonical(r));
  std::size_t count = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(from, fs::directory_options::none, ec);
  if (ec) return core::Status::Internal("cannot read " + from.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return core::Status::Internal("cannot read " + from.string() + ": " + ec.message());
    if (Cancelled(call)) return core::Status::Cancelled("the download was cancelled");
    fs::file_status status = it->symlink_status(ec);
    if (fs::is_directory(status)) continue;
    std::string rel = it->path().lexically_relative(from).string();
    if (!fs::is_regular_file(status)) {
      LogLine(call, "Warning: skipping " + rel + ": not a regular file in the artifact store");
      continue;
    }
    std::string target = (fs::path(to) / rel).lexically_normal().string();
    std::string parent = Canonical(fs::path(target).parent_path().string());
    bool inside = std::any_of(canonical_roots.begin(), canonical_roots.end(),
                              [&](const std::string& r) { return IsWithin(parent, r); });
    if (!inside) {
      return core::Status::PermissionDenied("refusing to write " + target + ": it leads to " +
                                            parent + ", outside the destination " + roots[0]);
    }
    GANTRY_RETURN_IF_ERROR(CopyFileReplacing(it->path().string(), target));
    ++count;
  }
  return count;
}

}  // namespace

std::string DefaultArtifactDir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/gantry/artifacts";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.local/share/gantry/artifacts";
}

core::Status ValidateArtifactName(std::string_view name) {
  if (name.empty()) {
    return core::Status::InvalidArgument("Provided artifact name input during validation is empty");
  }
  for (const auto& [c, description] : kInvalidCharacters) {
    if (name.find(c) == std::string_view::npos) continue;
    std::string all;
    for (const auto& entry : kInvalidCharacters) {
      all += (all.empty() ? "" : ", ") + std::string(entry.second);
    }
    return core::Status::InvalidArgument(
        "The artifact name is not valid: " + Printable(name) +
        ". Contains the following character: " + std::string(description) +
        " (invalid characters include: " + all + ")");
  }
  if (name == "." || name == "..") {
    return core::Status::InvalidArgument("The artifact name is not valid: " + std::string(name) +
                                         ". It names a directory, not an artifact");
  }
  return core::Status::Ok();
}

engine::BuiltinResult RunUploadArtifact(const engine::BuiltinCall& call,
                                        const std::string& artifact_dir) {
  auto inputs = ReadUploadInputs(call);
  if (!inputs.ok()) return FailedStep(inputs.status().message());
  const UploadInputs& in = *inputs;
  core::Status run_ok = ValidateRunId(call.run_id);
  if (!run_ok.ok()) return FailedStep(run_ok.message());
  LogLine(call, "Artifact name is valid!");

  // @actions/glob's rules: relative patterns are relative to the workspace, absolute and `~/`
  // patterns are searched wherever they point, `..` is rejected (core::ParseGlobPatterns).
  FindOptions find;
  find.include_hidden = in.include_hidden;
  find.warn = [&](std::string_view line) { LogLine(call, "Warning: " + std::string(line)); };
  auto found = FindFiles(in.path, call.workspace, find);
  if (!found.ok()) return FailedStep(found.status().message());
  const std::vector<std::string>& files = found->files;
  if (files.empty()) {
    std::string message = "No files were found with the provided path: " + Printable(in.path) +
                          ". No artifacts will be uploaded.";
    if (in.if_no_files_found == "error") return FailedStep(message);
    LogLine(call, in.if_no_files_found == "warn" ? "Warning: " + message : message);
    return {};
  }
  LogLine(call, "With the provided path, there will be " + std::to_string(files.size()) + " file" +
                    (files.size() == 1 ? "" : "s") + " uploaded");
  // The artifact's root, as upload-artifact's findFilesToUpload() chooses it.
  const std::vector<std::string>& searched = found->search_paths;
  std::string root;
  if (searched.size() > 1) {
    root = LeastCommonAncestor(searched);
    LogLine(call, "The least common ancestor is " + root +
                      ". This will be the root directory of "
                      "the artifact");
  } else if (files.size() == 1 && searched[0] == files[0]) {
    root = fs::path(files[0]).parent_path().string();
  } else {
    root = searched[0];
  }

  fs::path run_dir = fs::path(artifact_dir) / call.run_id;
  fs::path staging_parent = fs::path(artifact_dir) / ".staging";
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  fs::create_directories(staging_parent, ec);
  if (ec)
    return FailedStep("cannot create the artifact store " + artifact_dir + ": " + ec.message());
  std::string pattern = (staging_parent / "upload-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return FailedStep("cannot create a staging directory in " + staging_parent.string());
  }
  fs::path staging = pattern;
  auto stored = CopyIntoStore(call, files, root, staging / kFiles);
  if (!stored.ok()) {
    fs::remove_all(staging, ec);
    return FailedStep(stored.status().message());
  }

  fs::path dest = run_dir / in.name;
  std::string url = "file://" + PercentEncode(dest.string());
  int64_t id = 1;
  {
    FileLock lock((staging_parent / (call.run_id + ".lock")).string());
    if (!lock.ok()) {
      fs::remove_all(staging, ec);
      return FailedStep("cannot lock the artifact store " + artifact_dir);
    }
    if (fs::exists(dest)) {
      if (!in.overwrite) {
        fs::remove_all(staging, ec);
        return FailedStep(
            "Failed to CreateArtifact: Received non-retryable error: Failed request: "
            "(409) Conflict: an artifact with this name already exists on the workflow "
            "run");
      }
      auto old = ReadMetadata(dest);
      std::string old_id = old.ok() ? old->value("id", nlohmann::json(0)).dump() : "?";
      fs::remove_all(dest, ec);
      LogLine(call, "Artifact '" + in.name + "' (ID: " + old_id + ") deleted");
    }
    // Ids never repeat within a run, even after an overwrite deleted the previous holder.
    fs::path last_id = staging_parent / (call.run_id + ".last-id");
    int64_t last = 0;
    std::ifstream(last_id) >> last;
    id = last + 1;
    for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
      auto meta = ReadMetadata(entry.path());
      if (meta.ok()) id = std::max<int64_t>(id, meta->value("id", int64_t{0}) + 1);
    }
    std::ofstream(last_id) << id << "\n";
    nlohmann::json meta = {
        {"id", id},
        {"name", in.name},
        {"run_id", call.run_id},
        {"size", stored->size},
        {"files", stored->files},
        {"created", UtcNow()},
        {"retention_days", in.retention_days},
        {"digest", "sha256:" + stored->digest},
    };
    std::ofstream out(staging / kMetadata);
    out << meta.dump(2) << "\n";
    out.close();
    if (!out) {
      fs::remove_all(staging, ec);
      return FailedStep("cannot write the artifact metadata in " + staging.string());
    }
    fs::rename(staging, dest, ec);
    if (ec) {
      fs::remove_all(staging, ec);
      return FailedStep("cannot store the artifact " + in.name + " at " + dest.string());
    }
  }
  LogLine(call, "Artifact " + in.name + " has been successfully uploaded! Final size is " +
                    std::to_string(stored->size) + " bytes. Artifact ID is " + std::to_string(id));
  LogLine(call, "Artifact download URL: " + url);
  engine::BuiltinResult result;
  engine::SetEnv(result.outputs, "artifact-id", std::to_string(id));
  engine::SetEnv(result.outputs, "artifact-url", url);
  engine::SetEnv(result.outputs, "artifact-digest", stored->digest);
  return result;
}

engine::BuiltinResult RunDownloadArtifact(const engine::BuiltinCall& call,
                                          const std::string& artifact_dir) {
  std::string name = GetInput(call, "name");
  std::string pattern = GetInput(call, "pattern");
  auto merge = GetBooleanInput(call, "merge-multiple", false);
  if (!merge.ok()) return FailedStep(merge.status().message());
  std::string repository = GetInput(call, "repository");
  if (!repository.empty() && repository != call.github_repository) {
    return FailedStep(
        "Unable to download artifact(s): downloading artifacts of another repository (" +
        repository + ") is not supported in local runs");
  }
  std::string run_id = GetInput(call, "run-id");
  if (run_id.empty()) run_id = call.run_id;
  core::Status run_ok = ValidateRunId(run_id);
  if (!run_ok.ok()) return FailedStep(run_ok.message());
  // download-artifact resolves `path` (`~` expanded) against the workspace and writes there,
  // wherever it is; the artifact's own files never leave it (nor through symlinks inside it).
  std::string dest = ExpandHome(GetInput(call, "path"));
  dest = fs::path(call.workspace).append(dest).lexically_normal().string();
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  const std::vector<std::string> roots = {dest};

  fs::path run_dir = fs::path(artifact_dir) / run_id;
  std::vector<std::string> names;
  if (!name.empty()) {
    core::Status valid = ValidateArtifactName(name);
    if (!valid.ok()) return FailedStep(valid.message());
    if (!ReadMetadata(run_dir / name).ok()) {
      return FailedStep("Unable to download artifact(s): Artifact not found for name: " + name);
    }
    names.push_back(name);
  } else {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
      std::string candidate = entry.path().filename().string();
      if (!ReadMetadata(entry.path()).ok()) continue;
      if (!pattern.empty() && !core::GlobSegmentMatches(pattern, candidate)) continue;
      names.push_back(candidate);
    }
    std::sort(names.begin(), names.end());
  }
  if (!names.empty()) {
    LogLine(call, "Preparing to download the following artifacts:");
    for (const auto& n : names) LogLine(call, "- " + n);
  }
  bool single = !name.empty();
  for (const auto& n : names) {
    std::string into = single || *merge ? dest : (fs::path(dest) / n).string();
    auto copied = CopyFromStore(call, run_dir / n / kFiles, into, roots);
    if (!copied.ok())
      return FailedStep("Unable to download artifact(s): " + copied.status().message());
    LogLine(call, "Artifact " + n + " was downloaded to " + into + " (" + std::to_string(*copied) +
                      " files)");
  }
  LogLine(call, "Total of " + std::to_string(names.size()) + " artifact(s) downloaded");
  engine::BuiltinResult result;
  engine::SetEnv(result.outputs, "download-path", dest);
  return result;
}

}  // namespace gantry::actions
