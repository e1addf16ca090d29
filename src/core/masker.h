#pragma once

// Replaces secret values with "***" in a stream of output, including secrets split across
// chunk boundaries.

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::core {

/// A set of secret values, and a streaming filter over them. Add() and Mask() are
/// thread-safe (a job registers ::add-mask:: values while other jobs print).
class Masker {
 public:
  /// Registers `secret` (and, as GitHub does, each of its lines when it has several).
  /// Values shorter than 1 character are ignored.
  void Add(std::string_view secret);
  /// Masks every registered value in a complete text (a line, a summary, an error).
  std::string Mask(std::string_view text) const;
  /// The longest registered value's length (how much a stream must hold back).
  size_t longest() const;
  /// For an unterminated stream tail: the length of the longest prefix of `text` that can be
  /// masked and emitted now, i.e. that no occurrence of a value crosses and that ends before
  /// anything that could still become an occurrence with more input. 0 when nothing can.
  size_t SafePrefix(std::string_view text) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;  // longest first
};

/// Splits a byte stream into lines and masks each complete line with a Masker. Because
/// masking happens on whole lines, a secret split across chunks is still found. A line longer
/// than kMaxLine bytes is emitted in pieces cut where no secret can be split. Not
/// thread-safe: one per output stream.
class LineMasker {
 public:
  static constexpr size_t kMaxLine = size_t{64} * 1024;

  explicit LineMasker(const Masker& masker) : masker_(masker) {}
  /// Feeds a chunk; returns the complete lines it finished, masked, without their '\n'.
  std::vector<std::string> Feed(std::string_view chunk);
  /// Returns the unterminated tail (masked), if any, at end of stream.
  std::vector<std::string> Flush();

 private:
  const Masker& masker_;
  std::string pending_;
};

}  // namespace gantry::core
