#pragma once

// Request counters and latency histograms of the HTTP server, rendered as Prometheus text.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace gantry::server {

/// Counts answered requests by (route pattern, method, status) and their latency by route.
/// Thread-safe. Labels are kept as given: callers pass route patterns and a bounded set of
/// methods (HttpMethodLabel), never raw paths, so the number of series stays bounded.
class HttpMetrics {
 public:
  /// Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied.
  static constexpr std::array<double, 11> kBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,   1,    2.5,   10};

  void Record(std::string_view route, std::string_view method, int status,
              std::chrono::nanoseconds latency);
  /// gantry_http_requests_total{route,method,code} and
  /// gantry_http_request_duration_seconds{route} (histogram) in the text exposition format.
  std::string Text() const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // GUARDED_BY(mu_)
  std::map<std::string, Histogram, std::less<>> latency_;                   // GUARDED_BY(mu_)
};

/// `method` when it is a standard one (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS), else
/// "other": clients choose methods freely and must not grow the metrics without bound.
std::string_view HttpMethodLabel(std::string_view method);

}  // namespace gantry::server
