#include "server/http_metrics.h"

#include <fmt/format.h>

namespace gantry::server {
namespace {

// Label values escape backslash, double quote and newline (text exposition format).
std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string_view HttpMethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

void HttpMetrics::Record(std::string_view route, std::string_view method, int status,
                         std::chrono::nanoseconds latency) {
  double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), std::string(method), status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(std::string(route), Histogram{}).first;
  Histogram& histogram = it->second;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += seconds;
}

std::string HttpMetrics::Text() const {
  std::lock_guard lock(mu_);
  std::string out =
      "# HELP gantry_http_requests_total HTTP requests answered, by route pattern, method and "
      "status code.\n"
      "# TYPE gantry_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, code] = key;
    out += fmt::format("gantry_http_requests_total{{route=\"{}\",method=\"{}\",code=\"{}\"}} {}\n",
                       EscapeLabel(route), EscapeLabel(method), code, count);
  }
  out +=
      "# HELP gantry_http_request_duration_seconds Time from a request's header to its "
      "response (to the header of a streamed one).\n"
      "# TYPE gantry_http_request_duration_seconds histogram\n";
  for (const auto& [route, histogram] : latency_) {
    std::string label = EscapeLabel(route);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += histogram.buckets[i];
      out +=
          fmt::format("gantry_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                      label, kBuckets[i], cumulative);
    }
    out += fmt::format(
        "gantry_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n"
        "gantry_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n"
        "gantry_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
        label, histogram.count, label, histogram.sum, label, histogram.count);
  }
  return out;
}

}  // namespace gantry::server
