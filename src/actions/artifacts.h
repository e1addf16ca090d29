#pragma once

// The built-in actions/upload-artifact and actions/download-artifact (v4 semantics) backed by
// a directory: an artifact is <artifact_dir>/<run_id>/<name>/ holding `files/` (the uploaded
// tree) and `artifact.json` (id, name, run_id, size, files, created, retention_days, digest).

#include <string>
#include <string_view>

#include "core/status.h"
#include "engine/actions.h"

namespace gantry::actions {

/// $XDG_DATA_HOME/gantry/artifacts, else ~/.local/share/gantry/artifacts.
std::string DefaultArtifactDir();

/// Ok when `name` is a valid artifact name for upload-artifact v4: not empty, none of
/// " : < > | * ? \r \n \ /, and not "." or "..". InvalidArgument with v4's message otherwise.
core::Status ValidateArtifactName(std::string_view name);

/// actions/upload-artifact: inputs name, path, if-no-files-found, retention-days,
/// compression-level, overwrite, include-hidden-files; outputs artifact-id, artifact-url,
/// artifact-digest (the SHA-256 of the lines "<sha256 of file>  <relative path>\n" of the
/// stored files in byte order of their paths). Thread-safe, also across processes sharing
/// `artifact_dir`.
engine::BuiltinResult RunUploadArtifact(const engine::BuiltinCall& call,
                                        const std::string& artifact_dir);

/// actions/download-artifact: inputs name, path, pattern, merge-multiple, run-id (github-token
/// and repository are accepted for the workflow's own repository); output download-path.
engine::BuiltinResult RunDownloadArtifact(const engine::BuiltinCall& call,
                                          const std::string& artifact_dir);

}  // namespace gantry::actions
