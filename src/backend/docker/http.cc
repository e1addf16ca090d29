#include "backend/docker/http.h"

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "backend/curl_api.h"

namespace gantry::backend::docker {
namespace {

// libcurl for the Docker engine and the executor protocol (backend/curl_api.h); every
// transfer checks Curl() first and only then calls Api().
core::Result<const CurlApi*> Curl() {
  return LoadCurl("the HTTP client (Docker engine, executor protocol)");
}
const CurlApi& Api() { return *Curl().value(); }

struct EasyDeleter {
  void operator()(CURL* h) const { Api().easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { Api().slist_free_all(l); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { Api().multi_cleanup(m); }
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
  if (t->headers_done) return len;  // trailers
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new response (after a 1xx or a redirect)
    return len;
  }
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' '))
      value.remove_suffix(1);
    t->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    return len;
  }
  if (line == "\r\n" || line == "\n") {
    long status = 0;
    Api().easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
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
    Api().easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status);
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
  const CurlApi& curl = Api();
  if (!socket_path.empty()) curl.easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str());
  curl.easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  // Like OpenSSL's and Go's clients, trust the certificate authorities of SSL_CERT_FILE when it
  // is set (a local CA, e.g. scripts/dev-cert.sh's), instead of only the system's bundle.
  if (const char* ca = std::getenv("SSL_CERT_FILE"); ca != nullptr && *ca != '\0') {
    curl.easy_setopt(easy, CURLOPT_CAINFO, ca);
  }
  curl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl.easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl.easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl.easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  for (const std::string& h : extra_headers) {
    headers.reset(curl.slist_append(headers.release(), h.c_str()));
  }
  std::string m(method);
  if (m == "POST" || m == "PUT" || !body.empty()) {
    curl.easy_setopt(easy, CURLOPT_POST, 1L);
    curl.easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl.easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
    std::string ct = "Content-Type: " + std::string(content_type);
    headers.reset(curl.slist_append(headers.release(), ct.c_str()));
    // The engine never answers 100-continue usefully; it only delays large bodies.
    headers.reset(curl.slist_append(headers.release(), "Expect:"));
  }
  if (m != "GET" && m != "POST") curl.easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m.c_str());
  if (m == "HEAD") curl.easy_setopt(easy, CURLOPT_NOBODY, 1L);
  if (headers) curl.easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
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
                       const std::string& base_url, std::string_view method,
                       const std::string& path) {
  std::string detail = errbuf[0] != '\0' ? errbuf : Api().easy_strerror(code);
  if (socket_path.empty()) {
    return core::Status::Unavailable(std::string(method) + " " + base_url + path +
                                     " failed: " + detail);
  }
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

HttpClient::HttpClient(std::string socket_path) : socket_path_(std::move(socket_path)) {}

HttpClient HttpClient::ForBaseUrl(std::string base_url) {
  HttpClient client("");
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  client.base_url_ = std::move(base_url);
  return client;
}

std::string HttpResponse::Header(std::string_view name) const {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::string wanted = lower(name);
  for (const auto& [n, v] : headers) {
    if (lower(n) == wanted) return v;
  }
  return "";
}

core::Result<HttpResponse> HttpClient::Send(std::string_view method, const std::string& path,
                                            const std::string& body,
                                            std::string_view content_type) const {
  GANTRY_RETURN_IF_ERROR(Curl().status());
  Easy easy(Api().easy_init());
  if (!easy) return core::Status::Internal("curl_easy_init failed");
  Transfer t;
  t.easy = easy.get();
  Slist headers;
  char errbuf[CURL_ERROR_SIZE] = {0};
  Setup(easy.get(), socket_path_, method, base_url_ + path, body, content_type, headers, t, errbuf);
  CURLcode rc = Api().easy_perform(easy.get());
  if (rc != CURLE_OK) return CurlError(rc, errbuf, socket_path_, base_url_, method, path);
  Api().easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &t.response.status);
  return std::move(t.response);
}

core::Result<HttpResponse> HttpClient::Stream(std::string_view method, const std::string& path,
                                              const std::string& body,
                                              std::string_view content_type,
                                              const std::function<void(std::string_view)>& sink,
                                              const StreamControl& control,
                                              const std::vector<std::string>& extra_headers) const {
  GANTRY_RETURN_IF_ERROR(Curl().status());
  Easy easy(Api().easy_init());
  std::unique_ptr<CURLM, MultiDeleter> multi(Api().multi_init());
  if (!easy || !multi) return core::Status::Internal("curl_easy_init failed");
  Transfer t;
  t.easy = easy.get();
  t.sink = &sink;
  t.on_headers = &control.on_headers;
  Slist headers;
  char errbuf[CURL_ERROR_SIZE] = {0};
  Setup(easy.get(), socket_path_, method, base_url_ + path, body, content_type, headers, t, errbuf,
        extra_headers);
  Api().multi_add_handle(multi.get(), easy.get());
  // Removes the handle before either is cleaned up, on every way out.
  struct Remover {
    CURLM* m;
    CURL* e;
    ~Remover() { Api().multi_remove_handle(m, e); }
  } remover{multi.get(), easy.get()};

  int wake_fd = control.wake_fd;
  int wait_ms = control.tick ? control.tick() : -1;
  for (;;) {
    if (wait_ms == StreamControl::kAbort) {
      return core::Status::Cancelled(std::string(method) + " " + path + " was cancelled");
    }
    int running = 0;
    CURLMcode mc = Api().multi_perform(multi.get(), &running);
    if (mc != CURLM_OK) return core::Status::Internal(Api().multi_strerror(mc));
    int queued = 0;
    while (CURLMsg* msg = Api().multi_info_read(multi.get(), &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      if (msg->data.result != CURLE_OK) {
        return CurlError(msg->data.result, errbuf, socket_path_, base_url_, method, path);
      }
      Api().easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &t.response.status);
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
    mc = Api().multi_poll(multi.get(), n_extra ? &extra : nullptr, n_extra, timeout, nullptr);
    if (mc != CURLM_OK) return core::Status::Internal(Api().multi_strerror(mc));
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
