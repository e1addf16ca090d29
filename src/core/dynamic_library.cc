#include "core/dynamic_library.h"

#include <dlfcn.h>

namespace gantry::core {

Result<DynamicLibrary> DynamicLibrary::Open(const std::string& soname, std::string_view package) {
  // RTLD_LOCAL: the library's symbols stay out of the global scope, so a later dlopen of
  // another library cannot bind to them by accident.
  void* handle = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status::Unavailable("cannot load " + soname + ": " + (why != nullptr ? why : "?") +
                               " (install " + std::string(package) + ")");
  }
  return DynamicLibrary(handle, soname);
}

Result<void*> DynamicLibrary::Symbol(const char* name) const {
  dlerror();  // clears an earlier error
  void* symbol = dlsym(handle_, name);
  if (symbol == nullptr) {
    const char* why = dlerror();
    return Status::Unavailable(soname_ + " has no " + name + ": " + (why != nullptr ? why : "?") +
                               " (is it older than the headers Gantry was built with?)");
  }
  return symbol;
}

}  // namespace gantry::core
