#include "backend/docker/http.h"

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace gantry::backend::docker {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      std::fputs("gantry: fatal: curl_global_init failed\n", stderr);
      std::abort();
    }
  });
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// State shared with the write callback.
struct Transfer {
  CURL* easy = nullptr;
  const std::function<void(std::string_view)>* sink = nullptr;  // null: collect everything
  HttpResponse response;
  bool status_known = false;
  bool streaming = false;  // the response is 2xx and goes to *sink
  const std::function<void(long)>* on_headers = nullptr;
  bool headers_done = false;
};

// Watches for the blank line that ends the final (non-1xx) response's headers.
size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  if (!t->headers_done && (line == "\r\n" || line == "\n")) {
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) {
      t->headers_done = true;
      if (t->on_headers != nullptr && *t->on_headers) (*t->on_headers)(status);
    }
  }
  return len;
}

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (!t->status_known) {
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status);
    t->status_known = true;
    t->streaming = t->sink != nullptr && t->response.ok();
  }
  if (t->streaming) {
    (*t->sink)(std::string_view(data, len));
  } else {
    t->response.body.append(data, len);
  }
  return len;
}

// Prepares `easy` for one request; `headers` must outlive the transfer.
void Setup(CURL* easy, const std::string& socket_path, std::string_view method,
           const std::string& url, const std::string& body, std::string_view content_type,
           Slist& headers, Transfer& t, char* errbuf,
           const std::vector<std::string>& extra_headers = {}) {
  curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str());
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  for (const std::string& h : extra_headers) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  }
  std::string m(method);
  if (m == "POST" || m == "PUT" || !body.empty()) {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
    std::string ct = "Content-Type: " + std::string(content_type);
    headers.reset(curl_slist_append(headers.release(), ct.c_str()));
    // The engine never answers 100-continue usefully; it only delays large bodies.
    headers.reset(curl_slist_append(headers.release(), "Expect:"));
  }
  if (m != "GET" && m != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m.c_str());
  if (m == "HEAD") curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  if (headers) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
}

// Why nothing answered on the socket, in words (curl only says it could not connect to
// "localhost port 80", which is meaningless for a Unix socket).
std::string SocketProblem(const std::string& socket_path) {
  struct stat st {};
  if (stat(socket_path.c_str(), &st) != 0) return "no such socket";
  if (!S_ISSOCK(st.st_mode)) return "not a socket";
  if (access(socket_path.c_str(), R_OK | W_OK) != 0) return "permission denied";
  return "connection refused: nothing listens on it";
}

core::Status CurlError(CURLcode code, const char* errbuf, const std::string& socket_path,
                       std::string_view method, const std::string& path) {
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
  std::string where = std::string(method) + " " + path + " on " + socket_path;
  if (code == CURLE_COULDNT_CONNECT) {
    return core::Status::Unavailable("cannot reach " + socket_path + ": " +
                                     SocketProblem(socket_path));
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return core::Status::Unavailable("cannot reach " + socket_path + ": " + detail);
  }
  return core::Status::Unavailable(where + " failed: " + detail);
}

}  // namespace

HttpClient::HttpClient(std::string socket_path) : socket_path_(std::move(socket_path)) {
  GlobalInit();
}

core::Result<HttpResponse> HttpClient::Send(std::string_view method, const std::string& path,
                                            const std::string& body,
                                            std::string_view content_type) const {
  Easy easy(curl_easy_init());
  if (!easy) return core::Status::Internal("curl_easy_init failed");
  Transfer t;
  t.easy = easy.get();
  Slist headers;
  char errbuf[CURL_ERROR_SIZE] = {0};
  Setup(easy.get(), socket_path_, method, "http://localhost" + path, body, content_type, headers, t,
        errbuf);
  CURLcode rc = curl_easy_perform(easy.get());
  if (rc != CURLE_OK) return CurlError(rc, errbuf, socket_path_, method, path);
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &t.response.status);
  return std::move(t.response);
}

core::Result<HttpResponse> HttpClient::Stream(std::string_view method, const std::string& path,
                                              const std::string& body,
                                              std::string_view content_type,
                                              const std::function<void(std::string_view)>& sink,
                                              const StreamControl& control,
                                              const std::vector<std::string>& extra_headers) const {
  Easy easy(curl_easy_init());
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  if (!easy || !multi) return core::Status::Internal("curl_easy_init failed");
  Transfer t;
  t.easy = easy.get();
  t.sink = &sink;
  t.on_headers = &control.on_headers;
  Slist headers;
  char errbuf[CURL_ERROR_SIZE] = {0};
  Setup(easy.get(), socket_path_, method, "http://localhost" + path, body, content_type, headers, t,
        errbuf, extra_headers);
  curl_multi_add_handle(multi.get(), easy.get());
  // Removes the handle before either is cleaned up, on every way out.
  struct Remover {
    CURLM* m;
    CURL* e;
    ~Remover() { curl_multi_remove_handle(m, e); }
  } remover{multi.get(), easy.get()};

  int wake_fd = control.wake_fd;
  int wait_ms = control.tick ? control.tick() : -1;
  for (;;) {
    if (wait_ms == StreamControl::kAbort) {
      return core::Status::Cancelled(std::string(method) + " " + path + " was cancelled");
    }
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi.get(), &running);
    if (mc != CURLM_OK) return core::Status::Internal(curl_multi_strerror(mc));
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      if (msg->data.result != CURLE_OK) {
        return CurlError(msg->data.result, errbuf, socket_path_, method, path);
      }
      curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &t.response.status);
      return std::move(t.response);
    }
    curl_waitfd extra{};
    unsigned n_extra = 0;
    if (wake_fd >= 0) {
      extra.fd = wake_fd;
      extra.events = CURL_WAIT_POLLIN;
      n_extra = 1;
    }
    // curl_multi_poll caps its own wait at curl's timers; 1s also bounds a lost wake-up.
    int timeout = wait_ms < 0 || wait_ms > 1000 ? 1000 : wait_ms;
    mc = curl_multi_poll(multi.get(), n_extra ? &extra : nullptr, n_extra, timeout, nullptr);
    if (mc != CURLM_OK) return core::Status::Internal(curl_multi_strerror(mc));
    // The watched descriptor is one-shot: a cancellation pipe stays readable for good.
    if (n_extra && (extra.revents & CURL_WAIT_POLLIN) != 0) wake_fd = -1;
    if (control.tick) wait_ms = control.tick();
  }
}

std::string UrlEncode(std::string_view s) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace gantry::backend::docker
