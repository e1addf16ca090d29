#pragma once

#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <variant>

namespace gantry::core {

/// The few error classes a Gantry function can report (STYLE.md).
enum class StatusCode {
  kOk,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kUnavailable,
  kDeadlineExceeded,
  kCancelled,
  kInternal,
};

/// Human-readable name of a code, e.g. "InvalidArgument".
const char* StatusCodeName(StatusCode code);

/// A value-type outcome: Ok, or a code with a user-facing message.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "InvalidArgument: message" (or "OK").
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// Either a T or a non-OK Status. Accessing the value of an error is a bug and aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(data_).ok()) Die("Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  /// The error; Status::Ok() when there is a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  T& value() & {
    if (!ok()) Die(std::get<Status>(data_).ToString());
    return std::get<T>(data_);
  }
  const T& value() const& {
    if (!ok()) Die(std::get<Status>(data_).ToString());
    return std::get<T>(data_);
  }
  T&& value() && {
    if (!ok()) Die(std::get<Status>(data_).ToString());
    return std::get<T>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  [[noreturn]] static void Die(const std::string& why) {
    std::cerr << "gantry: fatal: value() of a failed Result: " << why << "\n";
    std::abort();
  }
  std::variant<T, Status> data_;
};

}  // namespace gantry::core

/// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define GANTRY_RETURN_IF_ERROR(expr)     \
  do {                                   \
    ::gantry::core::Status _st = (expr); \
    if (!_st.ok()) return _st;           \
  } while (0)
