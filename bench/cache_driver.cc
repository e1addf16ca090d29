// Drives the built-in actions/cache for bench/cache_restore.sh: saves or restores one entry
// the way a workflow step would, and exits non-zero when the step would fail or miss.
// Usage: cache_driver save|restore CACHE_DIR WORKSPACE KEY PATH

#include <cstdio>
#include <iostream>
#include <string>

#include "actions/cache.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: cache_driver save|restore CACHE_DIR WORKSPACE KEY PATH\n";
    return 2;
  }
  const std::string mode = argv[1];
  gantry::engine::BuiltinCall call;
  call.action.owner = "actions";
  call.action.repo = "cache";
  call.action.path = mode;  // actions/cache/save or actions/cache/restore
  call.workspace = argv[3];
  call.inputs = {{"key", argv[4]}, {"path", argv[5]}};
  call.github_repository = "bench/cache";
  bool quiet = mode == "restore";
  call.log = [quiet](std::string_view line) {
    if (!quiet) std::cerr << line << "\n";
  };
  gantry::actions::CacheOptions options;
  options.dir = argv[2];
  gantry::engine::BuiltinResult r = gantry::actions::RunCacheAction(call, options);
  if (!r.error.empty()) {
    std::cerr << "cache_driver: " << r.error << "\n";
    return 1;
  }
  if (mode == "restore") {
    for (const auto& [name, value] : r.outputs) {
      if (name == "cache-hit" && value == "true") return 0;
    }
    std::cerr << "cache_driver: no exact cache hit for " << argv[4] << "\n";
    return 1;
  }
  return 0;
}
