#pragma once

// SHA-256 (FIPS 180-4), used by hashFiles().

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gantry::expr {

/// Incremental SHA-256. Not thread-safe; one instance per digest.
class Sha256 {
 public:
  Sha256();
  void Update(const void* data, std::size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  /// Finishes and returns the 32-byte digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> Finish();

  /// Lower-case hex of a digest.
  static std::string Hex(const std::array<std::uint8_t, 32>& digest);

 private:
  void Block(const std::uint8_t* p);

  std::uint32_t h_[8];
  std::uint8_t buffer_[64];
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace gantry::expr
