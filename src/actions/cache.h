#pragma once

// The built-in actions/cache, actions/cache/restore and actions/cache/save: a local,
// content-addressed cache of directories keyed like GitHub's cache service.

#include <cstdint>
#include <string>

#include "engine/actions.h"

namespace gantry::actions {

/// Where the cache lives and how large it may grow.
struct CacheOptions {
  std::string dir;                   // the cache directory ("" = DefaultCacheDir())
  uint64_t max_bytes = 10ull << 30;  // evict least recently used entries beyond this
};

/// $XDG_CACHE_HOME/gantry/cache, else ~/.cache/gantry/cache.
std::string DefaultCacheDir();

/// Runs one stage of actions/cache, actions/cache/restore or actions/cache/save.
engine::BuiltinResult RunCacheAction(const engine::BuiltinCall& call, const CacheOptions& options);

}  // namespace gantry::actions
