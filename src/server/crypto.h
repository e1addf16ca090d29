#pragma once

// The server's cryptography, all from libsodium (linked statically): password hashes
// (Argon2id), random tokens, SHA-256 and HMAC-SHA256, constant-time comparison, webhook
// signatures (GitHub, Gitea, Forgejo) and a SecretBox that seals stored secrets with a key kept
// in a file of the data directory.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::server::crypto {

/// Initialises libsodium. Idempotent and thread-safe; every function below calls it, so
/// calling it first only turns a failure (no entropy source) into a Status at start-up
/// instead of an abort later. Errors: Internal.
core::Status Init();

/// Argon2id cost of new password hashes: libsodium's interactive opslimit (2 passes) with
/// 19 MiB of memory instead of its 64 MiB — OWASP's recommended Argon2id minimum
/// (m=19 MiB, t=2, p=1). Every concurrent login holds this much memory, and the reference
/// deployment is a 1 GiB machine; 64 MiB also costs ~4x the time (~190 ms against ~50 ms on a
/// loaded 2-core builder). Hashes store their own parameters, so raising these later keeps old
/// hashes verifiable and PasswordNeedsRehash tells when to re-hash at the next login.
inline constexpr unsigned long long kPasswordOpsLimit = 2;  // OPSLIMIT_INTERACTIVE
inline constexpr std::size_t kPasswordMemLimit = std::size_t{19} << 20;

/// A self-describing Argon2id hash of `password` ("$argon2id$v=19$m=19456,t=2,p=1$..."),
/// with a fresh random salt. Thread-safe; takes ~50 ms and kPasswordMemLimit bytes of memory.
/// Errors: Unavailable when that memory cannot be allocated.
core::Result<std::string> HashPassword(std::string_view password);

/// True when `password` matches `hash` (made by HashPassword, with any parameters). False
/// for a wrong password and for a malformed hash. Thread-safe.
bool VerifyPassword(std::string_view hash, std::string_view password);

/// True when `hash` was made with other parameters than the current ones (or is malformed):
/// the caller should store HashPassword(password) after a successful login.
bool PasswordNeedsRehash(std::string_view hash);

/// `prefix` followed by 40 letters and digits ([A-Za-z0-9], ~238 random bits), e.g.
/// RandomToken("gnt_") for personal tokens, "gns_" sessions, "gne_" executors. Thread-safe.
std::string RandomToken(std::string_view prefix);

/// `bytes` random bytes as 2 * `bytes` lower-case hex digits. Thread-safe.
std::string RandomHex(std::size_t bytes);

/// Lower-case hex SHA-256 of `data` (64 digits).
std::string Sha256Hex(std::string_view data);

/// Lower-case hex HMAC-SHA256 of `data` under `key` (any length, as RFC 2104).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

/// True when `a` and `b` hold the same bytes. The running time depends on a.size() only,
/// never on the contents nor on where they differ; a length mismatch is false without an
/// early exit. Pass the value that came from the outside as `a`.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// Checks a webhook's signature header against HMAC-SHA256(`secret`, `body`): GitHub's
/// `X-Hub-Signature-256: sha256=<hex>`, or Gitea's `X-Gitea-Signature` / Forgejo's
/// `X-Forgejo-Signature` (the bare hex). Hex digits of either case. False for an empty
/// secret, an empty or malformed header and any other algorithm ("sha1=...").
bool VerifyGithubSignature(std::string_view secret, std::string_view body, std::string_view header);

/// Authenticated encryption (XSalsa20-Poly1305) of stored secrets with one 32-byte key held
/// in a file. Copyable; the key is wiped from memory on destruction. Seal and Open are
/// thread-safe.
class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;

  /// Reads the key from `key_file`, or creates that file with a new random key (mode 0600,
  /// atomically: a concurrent creator's key wins and is the one returned). Errors:
  /// PermissionDenied when the file is accessible by group or others (the message says the
  /// chmod to run) or cannot be read; InvalidArgument when it does not hold exactly 32 bytes,
  /// is not a regular file or `key_file` is empty; Unavailable when it cannot be created.
  static core::Result<SecretBox> LoadOrCreate(const std::string& key_file);

  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;
  ~SecretBox();

  /// A random 24-byte nonce followed by the ciphertext and its 16-byte tag (so 40 bytes more
  /// than `plaintext`). Sealing the same plaintext twice gives different bytes.
  std::vector<std::uint8_t> Seal(std::string_view plaintext) const;

  /// The plaintext of a value made by Seal with the same key. Errors: InvalidArgument when
  /// it is too short, was altered or was sealed with another key.
  core::Result<std::string> Open(const std::vector<std::uint8_t>& sealed) const;

 private:
  explicit SecretBox(const std::array<std::uint8_t, kKeyBytes>& key) : key_(key) {}

  std::array<std::uint8_t, kKeyBytes> key_;
};

}  // namespace gantry::server::crypto
