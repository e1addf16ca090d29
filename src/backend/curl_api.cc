#include "backend/curl_api.h"

#include <string>

#include "core/dynamic_library.h"

namespace gantry::backend {
namespace {

core::Status Bind(const core::DynamicLibrary& lib, CurlApi& api) {
  for (const core::Status& st : {
           lib.Bind("curl_global_init", api.global_init),
           lib.Bind("curl_easy_init", api.easy_init),
           lib.Bind("curl_easy_cleanup", api.easy_cleanup),
           lib.Bind("curl_easy_setopt", api.easy_setopt),
           lib.Bind("curl_easy_getinfo", api.easy_getinfo),
           lib.Bind("curl_easy_perform", api.easy_perform),
           lib.Bind("curl_easy_strerror", api.easy_strerror),
           lib.Bind("curl_slist_append", api.slist_append),
           lib.Bind("curl_slist_free_all", api.slist_free_all),
           lib.Bind("curl_multi_init", api.multi_init),
           lib.Bind("curl_multi_cleanup", api.multi_cleanup),
           lib.Bind("curl_multi_add_handle", api.multi_add_handle),
           lib.Bind("curl_multi_remove_handle", api.multi_remove_handle),
           lib.Bind("curl_multi_perform", api.multi_perform),
           lib.Bind("curl_multi_poll", api.multi_poll),
           lib.Bind("curl_multi_info_read", api.multi_info_read),
           lib.Bind("curl_multi_strerror", api.multi_strerror),
       }) {
    GANTRY_RETURN_IF_ERROR(st);
  }
  return core::Status::Ok();
}

struct LoadedCurl {
  core::Status status;  // why libcurl is unusable, if it is
  CurlApi api;
};

const LoadedCurl& Loaded() {
  static const LoadedCurl loaded = [] {
    LoadedCurl l;
    core::Result<core::DynamicLibrary> lib =
        core::DynamicLibrary::Open(GANTRY_LIBCURL_SONAME, "libcurl4");
    if (!lib.ok()) {
      l.status = lib.status();
      return l;
    }
    l.status = Bind(*lib, l.api);
    if (l.status.ok() && l.api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      l.status = core::Status::Internal("curl_global_init failed");
    }
    return l;
  }();
  return loaded;
}

}  // namespace

core::Result<const CurlApi*> LoadCurl(std::string_view purpose) {
  const LoadedCurl& l = Loaded();
  if (!l.status.ok()) {
    return core::Status(l.status.code(),
                        std::string(purpose) + " needs libcurl: " + l.status.message());
  }
  return &l.api;
}

}  // namespace gantry::backend
