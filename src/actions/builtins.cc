#include "actions/builtins.h"

#include <algorithm>
#include <array>
#include <utility>

#include "actions/artifacts.h"
#include "actions/checkout.h"
#include "actions/report_actions.h"

namespace gantry::actions {

namespace {

constexpr std::string_view kCheckout = "actions/checkout";
constexpr std::string_view kUpload = "actions/upload-artifact";
constexpr std::string_view kDownload = "actions/download-artifact";
constexpr std::string_view kCache = "actions/cache";
constexpr std::string_view kCacheRestore = "actions/cache/restore";
constexpr std::string_view kCacheSave = "actions/cache/save";
constexpr std::array<std::string_view, 6> kNames = {kCheckout, kUpload,       kDownload,
                                                    kCache,    kCacheRestore, kCacheSave};

class Builtins final : public engine::BuiltinActions {
 public:
  explicit Builtins(BuiltinOptions options) : options_(std::move(options)) {
    if (options_.artifact_dir.empty()) options_.artifact_dir = DefaultArtifactDir();
    if (options_.cache.dir.empty()) options_.cache.dir = DefaultCacheDir();
  }

  bool Handles(std::string_view name) const override {
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end() || IsReportAction(name);
  }

  // actions/cache's action.yml: `post: dist/save/index.js`, `post-if: success()`; the others
  // have no post stage worth running locally (checkout's post only removes credentials).
  bool HasPost(std::string_view name) const override { return name == kCache; }

  std::string PostIf(std::string_view name) const override {
    return name == kCache ? "success()" : "";
  }

  engine::BuiltinResult Run(const engine::BuiltinCall& call) override {
    std::string key = call.action.name();
    if (key == kCheckout) return call.post ? engine::BuiltinResult{} : RunCheckout(call);
    if (key == kUpload) return RunUploadArtifact(call, options_.artifact_dir);
    if (key == kDownload) {
      if (options_.before_download) {
        core::Status ready = options_.before_download(call);
        if (!ready.ok()) {
          engine::BuiltinResult failed;
          failed.error = "Unable to download artifact(s): " + ready.message();
          return failed;
        }
      }
      return RunDownloadArtifact(call, options_.artifact_dir);
    }
    if (key == kCache || key == kCacheRestore || key == kCacheSave) {
      return RunCacheAction(call, options_.cache);
    }
    if (IsReportAction(key)) return RunReportAction(call);
    engine::BuiltinResult result;
    result.error = "'" + call.action.uses + "' is not a built-in action";
    return result;
  }

 private:
  BuiltinOptions options_;  // immutable after construction
};

}  // namespace

std::unique_ptr<engine::BuiltinActions> MakeBuiltinActions(BuiltinOptions options) {
  return std::make_unique<Builtins>(std::move(options));
}

std::string GetInput(const engine::BuiltinCall& call, std::string_view name) {
  const std::string* value = engine::FindEnv(call.inputs, name);
  if (value == nullptr) return "";
  std::size_t begin = value->find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  std::size_t end = value->find_last_not_of(" \t\r\n");
  return value->substr(begin, end - begin + 1);
}

core::Result<bool> GetBooleanInput(const engine::BuiltinCall& call, std::string_view name,
                                   bool fallback) {
  std::string value = GetInput(call, name);
  if (value.empty()) return fallback;
  if (value == "true" || value == "True" || value == "TRUE") return true;
  if (value == "false" || value == "False" || value == "FALSE") return false;
  return core::Status::InvalidArgument(
      "Input does not meet YAML 1.2 \"Core Schema\" specification: " + std::string(name) +
      " (support boolean input list: `true | True | TRUE | false | False | FALSE`)");
}

engine::BuiltinResult FailedStep(std::string error) {
  engine::BuiltinResult result;
  result.error = std::move(error);
  return result;
}

void LogLine(const engine::BuiltinCall& call, std::string_view line) {
  if (call.log) call.log(line);
}

}  // namespace gantry::actions
