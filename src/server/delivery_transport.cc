#include "server/delivery_transport.h"

#include <curl/curl.h>

#include <algorithm>

#include "backend/curl_api.h"

namespace gantry::server {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct Upload {
  const std::string* text;
  size_t at = 0;
};

size_t Feed(char* buffer, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t len = std::min(size * n, u->text->size() - u->at);
  std::copy_n(u->text->data() + u->at, len, buffer);
  u->at += len;
  return len;
}

// One easy handle with its header list, both freed at the end of the transfer.
class Transfer {
 public:
  explicit Transfer(const backend::CurlApi& api) : api_(api), easy_(api.easy_init()) {}
  ~Transfer() {
    if (list_ != nullptr) api_.slist_free_all(list_);
    if (easy_ != nullptr) api_.easy_cleanup(easy_);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  CURL* easy() const { return easy_; }
  curl_slist* Append(const std::string& line) {
    list_ = api_.slist_append(list_, line.c_str());
    return list_;
  }
  // Runs the transfer; the error names what failed without the request's headers.
  core::Status Perform(const std::string& what) {
    errors_[0] = '\0';
    api_.easy_setopt(easy_, CURLOPT_ERRORBUFFER, errors_);
    CURLcode rc = api_.easy_perform(easy_);
    if (rc == CURLE_OK) return core::Status::Ok();
    std::string detail = errors_[0] != '\0' ? errors_ : api_.easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return core::Status::DeadlineExceeded(what + ": timed out (" + detail + ")");
    }
    return core::Status::Unavailable(what + ": " + detail);
  }

 private:
  const backend::CurlApi& api_;
  CURL* easy_;
  curl_slist* list_ = nullptr;
  char errors_[CURL_ERROR_SIZE] = {};
};

class CurlTransport final : public DeliveryTransport {
 public:
  explicit CurlTransport(int timeout_seconds) : timeout_(timeout_seconds) {}

  core::Result<OutboundResponse> Http(const OutboundRequest& request) override {
    auto curl = backend::LoadCurl("outbound deliveries");
    if (!curl.ok()) return curl.status();
    const backend::CurlApi& api = *curl.value();
    Transfer t(api);
    if (t.easy() == nullptr) return core::Status::Internal("curl_easy_init failed");
    CURL* h = t.easy();
    OutboundResponse response;
    api.easy_setopt(h, CURLOPT_URL, request.url.c_str());
    api.easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    api.easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    api.easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    curl_slist* headers = t.Append("Content-Type: application/json");
    headers = t.Append("Accept: application/json");
    headers = t.Append("User-Agent: gantry");
    headers = t.Append("Expect:");
    for (const std::string& h2 : request.headers) headers = t.Append(h2);
    api.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    api.easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
    api.easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    api.easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(timeout_));
    api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min(timeout_, 10)));
    api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    GANTRY_RETURN_IF_ERROR(t.Perform(request.method + " " + request.url));
    api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    if (response.body.size() > 4096) response.body.resize(4096);
    return response;
  }

  core::Status Mail(const SmtpSettings& smtp, const std::vector<std::string>& to,
                    const std::string& message) override {
    auto curl = backend::LoadCurl("outbound deliveries");
    if (!curl.ok()) return curl.status();
    const backend::CurlApi& api = *curl.value();
    Transfer t(api);
    if (t.easy() == nullptr) return core::Status::Internal("curl_easy_init failed");
    CURL* h = t.easy();
    api.easy_setopt(h, CURLOPT_URL, smtp.url.c_str());
    std::string from = "<" + MailAddress(smtp.from) + ">";
    api.easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_slist* rcpt = nullptr;
    for (const std::string& addr : to) rcpt = t.Append("<" + addr + ">");
    api.easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    if (!smtp.user.empty()) {
      api.easy_setopt(h, CURLOPT_USERNAME, smtp.user.c_str());
      api.easy_setopt(h, CURLOPT_PASSWORD, smtp.password.c_str());
    }
    if (smtp.url.rfind("smtp://", 0) == 0) {
      long use_ssl = smtp.starttls == SmtpSettings::StartTls::kAlways  ? CURLUSESSL_ALL
                     : smtp.starttls == SmtpSettings::StartTls::kNever ? CURLUSESSL_NONE
                                                                       : CURLUSESSL_TRY;
      api.easy_setopt(h, CURLOPT_USE_SSL, use_ssl);
    }
    if (!smtp.ca_file.empty()) api.easy_setopt(h, CURLOPT_CAINFO, smtp.ca_file.c_str());
    Upload upload{&message};
    api.easy_setopt(h, CURLOPT_READFUNCTION, Feed);
    api.easy_setopt(h, CURLOPT_READDATA, &upload);
    api.easy_setopt(h, CURLOPT_UPLOAD, 1L);
    api.easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(timeout_));
    api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min(timeout_, 10)));
    api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    return t.Perform("SMTP " + smtp.url);
  }

 private:
  int timeout_;
};

}  // namespace

std::unique_ptr<DeliveryTransport> MakeCurlTransport(int timeout_seconds) {
  return std::make_unique<CurlTransport>(timeout_seconds);
}

std::string MailAddress(const std::string& from) {
  size_t open = from.rfind('<');
  size_t close = from.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    return from.substr(open + 1, close - open - 1);
  }
  return from;
}

}  // namespace gantry::server
