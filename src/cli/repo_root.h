#pragma once

// The one rule `gantry lint` and `gantry exec` use to find the repository a workflow file
// belongs to: where `uses: ./…` and `uses: $/…` paths resolve.

#include <filesystem>

namespace gantry::cli {

/// The absolute repository root of `path` (a workflow file, or a folder of them):
///  1. the folder holding the nearest `.github` folder that `path` is in
///     (`<root>/.github/workflows/ci.yml` → `<root>`);
///  2. else the nearest enclosing folder with a `.git` entry (a git working tree);
///  3. else the folder of `path` itself (`path` when it is a folder).
/// Never depends on the current directory except to make a relative `path` absolute.
std::filesystem::path RepositoryRootFor(const std::filesystem::path& path);

}  // namespace gantry::cli
