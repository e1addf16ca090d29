#pragma once

// libcurl, opened with dlopen on first use instead of linked: with its dependencies (TLS,
// HTTP/2, LDAP, Kerberos, SSH, ...) it is ~40 libraries whose loading and constructors would
// cost every start of gantry ~25 ms, while only Docker jobs, executors and the server's
// outbound deliveries talk HTTP or SMTP through it.

#include <curl/curl.h>

#include <string_view>

#include "core/status.h"

namespace gantry::backend {

/// The libcurl functions Gantry calls.
struct CurlApi {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  decltype(&curl_multi_init) multi_init = nullptr;
  decltype(&curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&curl_multi_perform) multi_perform = nullptr;
  decltype(&curl_multi_poll) multi_poll = nullptr;
  decltype(&curl_multi_info_read) multi_info_read = nullptr;
  decltype(&curl_multi_strerror) multi_strerror = nullptr;
};

/// libcurl, opened, bound and globally initialised once per process (thread-safe). `purpose`
/// names what needs it in the error ("the HTTP client (Docker engine, executor protocol)").
/// Unavailable when the library is missing; the API is usable only when this is OK.
core::Result<const CurlApi*> LoadCurl(std::string_view purpose);

}  // namespace gantry::backend
