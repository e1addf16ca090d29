#include <chrono>

#include "backend/docker/http.h"
#include "executor/transport.h"

namespace gantry::executor {

namespace {

using Clock = std::chrono::steady_clock;

class CurlTransport : public Transport {
 public:
  explicit CurlTransport(std::string base_url)
      : client_(backend::docker::HttpClient::ForBaseUrl(std::move(base_url))) {}

  core::Result<HttpReply> Send(const HttpRequest& request,
                               const backend::CancelToken* cancel) override {
    std::vector<std::string> headers;
    headers.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers) headers.push_back(name + ": " + value);
    // Stream (rather than Send) so that a long-poll ends as soon as `cancel` fires and a stuck
    // exchange ends at its deadline.
    std::string body;
    auto sink = [&body](std::string_view data) { body.append(data); };
    const Clock::time_point deadline =
        request.timeout.count() > 0 ? Clock::now() + request.timeout : Clock::time_point::max();
    bool expired = false;
    backend::docker::StreamControl control;
    control.wake_fd = cancel != nullptr ? cancel->wait_fd() : -1;
    control.tick = [&]() -> int {
      if (cancel != nullptr && cancel->cancelled()) return backend::docker::StreamControl::kAbort;
      if (deadline == Clock::time_point::max()) return -1;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        expired = true;
        return backend::docker::StreamControl::kAbort;
      }
      return static_cast<int>(left.count());
    };
    auto response = client_.Stream(request.method, request.path, request.body, request.content_type,
                                   sink, control, headers);
    if (!response.ok()) {
      if (expired) {
        return core::Status::DeadlineExceeded(request.method + " " + request.path +
                                              ": no answer within " +
                                              std::to_string(request.timeout.count()) + " ms");
      }
      return response.status();
    }
    HttpReply reply;
    reply.status = response->status;
    reply.body = response->ok() ? std::move(body) : std::move(response->body);
    reply.headers = std::move(response->headers);
    return reply;
  }

 private:
  backend::docker::HttpClient client_;
};

}  // namespace

std::unique_ptr<Transport> MakeCurlTransport(std::string base_url) {
  return std::make_unique<CurlTransport>(std::move(base_url));
}

}  // namespace gantry::executor
