#include "server/crypto.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>

namespace gantry::server::crypto {
namespace {

static_assert(kPasswordOpsLimit == crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
static_assert(kPasswordMemLimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN);
static_assert(kPasswordMemLimit <= crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
static_assert(SecretBox::kKeyBytes == crypto_secretbox_KEYBYTES);

// 30 random bytes are exactly 40 base64 characters, without padding.
constexpr std::size_t kTokenChars = 40;  // ~238 random bits

// libsodium without an entropy source cannot produce a token or a salt: nothing sensible can
// go on, and Init() lets main report it cleanly before this is ever reached.
void EnsureInit() {
  core::Status status = Init();
  if (!status.ok()) {
    std::cerr << "gantry: fatal: " << status.message() << "\n";
    std::abort();
  }
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string Hex(const unsigned char* bin, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bin, size);
  hex.resize(size * 2);
  return hex;
}

// The lower-cased `hex` when it is 64 hex digits, else nullopt.
std::optional<std::string> LowerDigest(std::string_view hex) {
  if (hex.size() != crypto_auth_hmacsha256_BYTES * 2) return std::nullopt;
  std::string lower(hex);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return lower;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

using Key = std::array<std::uint8_t, SecretBox::kKeyBytes>;

std::string ErrnoText(int error) { return std::strerror(error); }

// Reads the key of an existing `path`; nullopt when there is no such file.
core::Result<std::optional<Key>> ReadKeyFile(const std::string& path) {
  // No O_NOFOLLOW: Kubernetes mounts secrets as symlinks; the target is what is checked.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT) return std::optional<Key>();
    return core::Status::PermissionDenied("cannot read the key file " + path + ": " +
                                          ErrnoText(error));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return core::Status::InvalidArgument("the key file " + path + " is not a regular file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return core::Status::PermissionDenied(
        "the key file " + path + " is accessible by group or others (mode " + mode +
        "); it protects every stored secret: run 'chmod 600 " + path + "'");
  }
  if (st.st_size != static_cast<off_t>(SecretBox::kKeyBytes)) {
    close(fd);
    return core::Status::InvalidArgument(
        "the key file " + path + " holds " + std::to_string(st.st_size) + " bytes instead of " +
        std::to_string(SecretBox::kKeyBytes) +
        ": restore the right file (removing it makes a new key, and the secrets sealed with "
        "the old one are lost)");
  }
  Key key{};
  std::size_t done = 0;
  while (done < key.size()) {
    ssize_t n = read(fd, key.data() + done, key.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = n < 0 ? errno : EIO;
      close(fd);
      sodium_memzero(key.data(), key.size());
      return core::Status::PermissionDenied("cannot read the key file " + path + ": " +
                                            ErrnoText(error));
    }
    done += static_cast<std::size_t>(n);
  }
  close(fd);
  return std::optional<Key>(key);
}

bool WriteAll(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Writes `key` to `path` through a temporary file that is hard-linked into place: readers
// never see a partial key, and link() fails with EEXIST instead of replacing a key another
// process created meanwhile (AlreadyExists then; that key must be the one used).
core::Status CreateKeyFile(const std::string& path, const Key& key) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = mkstemp(tmp.data());  // mode 0600 whatever the umask
  if (fd < 0) {
    return core::Status::Unavailable("cannot create the key file " + path + ": " +
                                     ErrnoText(errno) + " (does its directory exist?)");
  }
  bool written =
      fchmod(fd, S_IRUSR | S_IWUSR) == 0 && WriteAll(fd, key.data(), key.size()) && fsync(fd) == 0;
  int error = errno;
  close(fd);
  if (!written) {
    unlink(tmp.c_str());
    return core::Status::Unavailable("cannot write the key file " + tmp + ": " + ErrnoText(error));
  }
  int linked = link(tmp.c_str(), path.c_str());
  error = errno;
  unlink(tmp.c_str());
  if (linked != 0 && error == EEXIST) return core::Status::AlreadyExists(path);
  if (linked != 0) {
    return core::Status::Unavailable("cannot create the key file " + path + ": " +
                                     ErrnoText(error));
  }
  // Make the new name durable: a key lost in a crash would make every sealed secret useless.
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dir_fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return core::Status::Ok();
}

}  // namespace

core::Status Init() {
  // sodium_init is thread-safe and idempotent itself; the static keeps its answer.
  static const int rc = sodium_init();
  if (rc < 0) return core::Status::Internal("libsodium cannot be initialised (sodium_init)");
  return core::Status::Ok();
}

core::Result<std::string> HashPassword(std::string_view password) {
  EnsureInit();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), kPasswordOpsLimit,
                                 kPasswordMemLimit) != 0) {
    return core::Status::Unavailable("not enough memory to hash a password (Argon2id needs " +
                                     std::to_string(kPasswordMemLimit >> 20) + " MiB)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  EnsureInit();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string terminated(hash);  // libsodium reads a NUL-terminated string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view hash) {
  EnsureInit();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  std::string terminated(hash);
  // -1 (not Argon2id, or malformed) also asks for a new hash.
  return crypto_pwhash_argon2id_str_needs_rehash(terminated.c_str(), kPasswordOpsLimit,
                                                 kPasswordMemLimit) != 0;
}

std::string RandomToken(std::string_view prefix) {
  EnsureInit();
  // Letters and digits only, as GitHub's tokens: tools that mask a token keep what precedes its
  // last '_' (gh auth status shows "gnt_****"), so a '_' among the random characters would show
  // part of the secret, or all of it when it came last.
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string token(prefix);
  for (std::size_t i = 0; i < kTokenChars; ++i) {
    token += kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))];
  }
  return token;
}

std::string RandomHex(std::size_t bytes) {
  EnsureInit();
  std::vector<unsigned char> random(bytes);
  randombytes_buf(random.data(), random.size());
  std::string hex = Hex(random.data(), random.size());
  sodium_memzero(random.data(), random.size());
  return hex;
}

std::string Sha256Hex(std::string_view data) {
  EnsureInit();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, Bytes(data), data.size());
  return Hex(digest, sizeof digest);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  EnsureInit();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, Bytes(key), key.size());
  crypto_auth_hmacsha256_update(&state, Bytes(data), data.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return Hex(mac, sizeof mac);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.empty()) return b.empty();
  const bool same_size = a.size() == b.size();
  // With another size, `a` is compared with itself: the same work, whatever `b` holds.
  const char* other = same_size ? b.data() : a.data();
  const bool same_bytes = sodium_memcmp(a.data(), other, a.size()) == 0;
  return same_size && same_bytes;
}

bool VerifyGithubSignature(std::string_view secret, std::string_view body,
                           std::string_view header) {
  // Without a secret anyone can sign; the caller decides whether unsigned hooks are accepted.
  if (secret.empty()) return false;
  header = Trim(header);
  constexpr std::string_view kGithubPrefix = "sha256=";
  if (header.starts_with(kGithubPrefix)) header.remove_prefix(kGithubPrefix.size());
  std::optional<std::string> given = LowerDigest(header);
  if (!given) return false;
  return ConstantTimeEquals(*given, HmacSha256Hex(secret, body));
}

core::Result<SecretBox> SecretBox::LoadOrCreate(const std::string& key_file) {
  EnsureInit();
  if (key_file.empty()) return core::Status::InvalidArgument("no key file given");
  // Two rounds at most: a creator that loses the race to another process reads its key.
  for (int round = 0; round < 2; ++round) {
    core::Result<std::optional<Key>> loaded = ReadKeyFile(key_file);
    if (!loaded.ok()) return loaded.status();
    if (loaded->has_value()) {
      SecretBox box(**loaded);
      sodium_memzero(loaded->value().data(), kKeyBytes);
      return box;
    }
    Key key{};
    crypto_secretbox_keygen(key.data());
    core::Status created = CreateKeyFile(key_file, key);
    if (created.ok()) {
      SecretBox box(key);
      sodium_memzero(key.data(), key.size());
      return box;
    }
    sodium_memzero(key.data(), key.size());
    if (created.code() != core::StatusCode::kAlreadyExists) return created;
  }
  return core::Status::Unavailable("the key file " + key_file +
                                   " appeared and disappeared while it was being created");
}

SecretBox::~SecretBox() { sodium_memzero(key_.data(), key_.size()); }

std::vector<std::uint8_t> SecretBox::Seal(std::string_view plaintext) const {
  std::vector<std::uint8_t> sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                   plaintext.size());
  randombytes_buf(sealed.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(sealed.data() + crypto_secretbox_NONCEBYTES, Bytes(plaintext),
                        plaintext.size(), sealed.data(), key_.data());
  return sealed;
}

core::Result<std::string> SecretBox::Open(const std::vector<std::uint8_t>& sealed) const {
  constexpr std::size_t kOverhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < kOverhead) {
    return core::Status::InvalidArgument("a sealed value is at least " + std::to_string(kOverhead) +
                                         " bytes, this one is " + std::to_string(sealed.size()));
  }
  std::string plaintext(sealed.size() - kOverhead, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()),
                                 sealed.data() + crypto_secretbox_NONCEBYTES,
                                 sealed.size() - crypto_secretbox_NONCEBYTES, sealed.data(),
                                 key_.data()) != 0) {
    return core::Status::InvalidArgument(
        "a sealed value cannot be opened: it was altered or sealed with another key (was the "
        "key file replaced?)");
  }
  return plaintext;
}

}  // namespace gantry::server::crypto
