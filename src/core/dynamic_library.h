#pragma once

// Shared libraries opened on first use (dlopen) instead of at start-up. libcurl, libarchive
// and libcrypto pull in some forty libraries whose loading, relocation and constructors cost
// ~30 ms; `gantry lint` and `gantry expr` never call them, so they load only when a command
// does (docs/development.md, "Start-up").

#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace gantry::core {

/// A shared library opened with dlopen. It is never closed: function pointers bound from it
/// stay valid for the life of the process. Copyable; thread-safe.
class DynamicLibrary {
 public:
  /// Opens `soname` (e.g. "libcurl.so.4"). Unavailable, naming the library, the loader's
  /// reason and `package` (what to install), when it cannot be loaded.
  static Result<DynamicLibrary> Open(const std::string& soname, std::string_view package);

  /// Sets `fn` to the function `name` of the library. Unavailable when it has no such symbol
  /// (a library older than the headers Gantry was built with).
  template <typename Fn>
  Status Bind(const char* name, Fn*& fn) const {
    Result<void*> symbol = Symbol(name);
    if (!symbol.ok()) return symbol.status();
    fn = reinterpret_cast<Fn*>(*symbol);  // POSIX guarantees a function pointer fits void*
    return Status::Ok();
  }

  const std::string& soname() const { return soname_; }

 private:
  DynamicLibrary(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  Result<void*> Symbol(const char* name) const;

  void* handle_;
  std::string soname_;
};

}  // namespace gantry::core
