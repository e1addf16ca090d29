#pragma once

// SHA-256 digests (hashFiles(), and later content-addressed caches), backed by OpenSSL's
// libcrypto, loaded on the first digest (core/dynamic_library.h).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace gantry::core {

/// Incremental SHA-256. Not thread-safe; one instance per digest.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, std::size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  /// Finishes and returns the 32-byte digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> Finish();

  /// Lower-case hex of a digest.
  static std::string Hex(const std::array<std::uint8_t, 32>& digest);

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

}  // namespace gantry::core
