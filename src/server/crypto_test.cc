#include "server/crypto.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

namespace gantry::server::crypto {
namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/gantry-crypto-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream(path, std::ios::binary) << content;
  chmod(path.c_str(), mode);
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

bool IsLowerHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// GitHub's documented example ("Validating webhook deliveries").
constexpr std::string_view kGithubSecret = "It's a Secret to Everybody";
constexpr std::string_view kGithubPayload = "Hello, World!";
constexpr std::string_view kGithubDigest =
    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(CryptoTest, InitIsIdempotentAcrossThreads) {
  std::vector<int> ok(8, 0);
  std::vector<std::thread> threads;
  threads.reserve(ok.size());
  for (int& slot : ok) threads.emplace_back([&slot] { slot = Init().ok() ? 1 : 0; });
  for (std::thread& t : threads) t.join();
  for (int slot : ok) EXPECT_EQ(slot, 1);
  EXPECT_TRUE(Init().ok());
}

TEST(CryptoTest, HashPasswordIsArgon2idWithTheChosenCost) {
  core::Result<std::string> hash = HashPassword("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << *hash;
  EXPECT_FALSE(PasswordNeedsRehash(*hash));
}

TEST(CryptoTest, VerifyPasswordAcceptsOnlyTheRightPassword) {
  core::Result<std::string> hash = HashPassword("s3cret");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(VerifyPassword(*hash, "s3cret"));
  EXPECT_FALSE(VerifyPassword(*hash, "s3cret "));
  EXPECT_FALSE(VerifyPassword(*hash, "S3cret"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
}

TEST(CryptoTest, HashPasswordSaltsEveryHash) {
  core::Result<std::string> a = HashPassword("same");
  core::Result<std::string> b = HashPassword("same");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPassword(*b, "same"));
}

TEST(CryptoTest, PasswordWithNulBytesIsHashedWhole) {
  const std::string password("ab\0cd", 5);
  core::Result<std::string> hash = HashPassword(password);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(VerifyPassword(*hash, password));
  EXPECT_FALSE(VerifyPassword(*hash, "ab"));
}

TEST(CryptoTest, VerifyPasswordRejectsMalformedHashes) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "x"));
  EXPECT_FALSE(VerifyPassword(std::string(500, 'a'), "x"));
  EXPECT_TRUE(PasswordNeedsRehash("$argon2id$garbage"));
  EXPECT_TRUE(PasswordNeedsRehash(""));
}

TEST(CryptoTest, HashesOfOtherCostsVerifyAndAskForARehash) {
  char cheap[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_argon2id_str(cheap, "pw", 2, crypto_pwhash_argon2id_OPSLIMIT_MIN,
                                       crypto_pwhash_argon2id_MEMLIMIT_MIN),
            0);
  EXPECT_TRUE(VerifyPassword(cheap, "pw"));
  EXPECT_TRUE(PasswordNeedsRehash(cheap));
}

TEST(CryptoTest, RandomTokenIsPrefixAnd40LettersAndDigits) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string token = RandomToken("gnt_");
    ASSERT_EQ(token.size(), 44u) << token;
    ASSERT_TRUE(token.starts_with("gnt_"));
    ASSERT_EQ(token.find_first_not_of(
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 4),
              std::string::npos)
        << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(RandomToken("").size(), 40u);
  EXPECT_TRUE(RandomToken("gne_").starts_with("gne_"));
}

TEST(CryptoTest, RandomHexHasTwoDigitsPerByte) {
  std::string hex = RandomHex(16);
  EXPECT_EQ(hex.size(), 32u);
  EXPECT_TRUE(IsLowerHex(hex)) << hex;
  EXPECT_NE(RandomHex(16), hex);
  EXPECT_EQ(RandomHex(0), "");
}

TEST(CryptoTest, Sha256HexMatchesKnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, HmacSha256HexMatchesRfc4231AndGithub) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than the block size is hashed first (RFC 4231 test case 6).
  EXPECT_EQ(HmacSha256Hex(std::string(131, '\xaa'),
                          "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(HmacSha256Hex(kGithubSecret, kGithubPayload), kGithubDigest);
}

TEST(CryptoTest, ConstantTimeEqualsComparesWholeValues) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals("a", ""));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(CryptoTest, GithubSignatureExampleVerifies) {
  EXPECT_TRUE(
      VerifyGithubSignature(kGithubSecret, kGithubPayload, "sha256=" + std::string(kGithubDigest)));
}

TEST(CryptoTest, GiteaAndForgejoBareHexSignatureVerifies) {
  EXPECT_TRUE(VerifyGithubSignature(kGithubSecret, kGithubPayload, kGithubDigest));
  std::string upper(kGithubDigest);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyGithubSignature(kGithubSecret, kGithubPayload, upper));
  EXPECT_TRUE(VerifyGithubSignature(kGithubSecret, kGithubPayload,
                                    " sha256=" + std::string(kGithubDigest) + "\r"));
}

TEST(CryptoTest, GithubSignatureRejectsWrongSecretBodyOrFormat) {
  const std::string header = "sha256=" + std::string(kGithubDigest);
  EXPECT_FALSE(VerifyGithubSignature("another secret", kGithubPayload, header));
  EXPECT_FALSE(VerifyGithubSignature(kGithubSecret, "Hello, World?", header));
  EXPECT_FALSE(VerifyGithubSignature("", kGithubPayload, header));
  EXPECT_FALSE(VerifyGithubSignature(kGithubSecret, kGithubPayload, ""));
  EXPECT_FALSE(VerifyGithubSignature(kGithubSecret, kGithubPayload, "sha256="));
  EXPECT_FALSE(VerifyGithubSignature(kGithubSecret, kGithubPayload, header.substr(0, 70)));
  EXPECT_FALSE(VerifyGithubSignature(kGithubSecret, kGithubPayload, header + "00"));
  EXPECT_FALSE(
      VerifyGithubSignature(kGithubSecret, kGithubPayload, "sha1=" + std::string(kGithubDigest)));
  std::string bad_digit = header;
  bad_digit.back() = 'g';
  EXPECT_FALSE(VerifyGithubSignature(kGithubSecret, kGithubPayload, bad_digit));
}

TEST(CryptoSecretBoxTest, CreatesAPrivateKeyFileAndLoadsItAgain) {
  TempDir dir;
  const std::string key_file = dir / "secret.key";
  const mode_t old_umask = umask(0);  // the file must be 0600 whatever the umask
  core::Result<SecretBox> created = SecretBox::LoadOrCreate(key_file);
  umask(old_umask);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(Mode(key_file), 0600u);
  EXPECT_EQ(std::filesystem::file_size(key_file), SecretBox::kKeyBytes);
  // Only the key file is left behind: no temporary file.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);

  core::Result<SecretBox> loaded = SecretBox::LoadOrCreate(key_file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  core::Result<std::string> opened = loaded->Open(created->Seal("db-password"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "db-password");
}

TEST(CryptoSecretBoxTest, SealOpenRoundTripsAnyBytes) {
  TempDir dir;
  core::Result<SecretBox> box = SecretBox::LoadOrCreate(dir / "k");
  ASSERT_TRUE(box.ok());
  for (const std::string& plaintext :
       {std::string(), std::string("x"), std::string("a\0b", 3), std::string(100000, 'z')}) {
    std::vector<std::uint8_t> sealed = box->Seal(plaintext);
    EXPECT_EQ(sealed.size(), plaintext.size() + 40);
    core::Result<std::string> opened = box->Open(sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, plaintext);
  }
  EXPECT_NE(box->Seal("same"), box->Seal("same"));  // a fresh nonce each time
}

TEST(CryptoSecretBoxTest, OpenRejectsAlteredShortOrForeignValues) {
  TempDir dir;
  core::Result<SecretBox> box = SecretBox::LoadOrCreate(dir / "a.key");
  core::Result<SecretBox> other = SecretBox::LoadOrCreate(dir / "b.key");
  ASSERT_TRUE(box.ok() && other.ok());
  std::vector<std::uint8_t> sealed = box->Seal("token");

  std::vector<std::uint8_t> altered = sealed;
  altered.back() ^= 1;
  EXPECT_EQ(box->Open(altered).status().code(), core::StatusCode::kInvalidArgument);
  std::vector<std::uint8_t> altered_nonce = sealed;
  altered_nonce.front() ^= 1;
  EXPECT_FALSE(box->Open(altered_nonce).ok());
  EXPECT_FALSE(other->Open(sealed).ok());
  EXPECT_EQ(box->Open(std::vector<std::uint8_t>(39)).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(box->Open({}).ok());
}

TEST(CryptoSecretBoxTest, RefusesAKeyFileOthersCanRead) {
  TempDir dir;
  const std::string key_file = dir / "secret.key";
  WriteFile(key_file, std::string(32, 'k'), 0644);
  core::Result<SecretBox> box = SecretBox::LoadOrCreate(key_file);
  ASSERT_FALSE(box.ok());
  EXPECT_EQ(box.status().code(), core::StatusCode::kPermissionDenied);
  EXPECT_NE(box.status().message().find("mode 0644"), std::string::npos) << box.status().message();
  EXPECT_NE(box.status().message().find("chmod 600 " + key_file), std::string::npos);

  chmod(key_file.c_str(), 0640);
  EXPECT_EQ(SecretBox::LoadOrCreate(key_file).status().code(), core::StatusCode::kPermissionDenied);
  chmod(key_file.c_str(), 0400);
  EXPECT_TRUE(SecretBox::LoadOrCreate(key_file).ok());
}

TEST(CryptoSecretBoxTest, RefusesAKeyFileOfTheWrongSize) {
  TempDir dir;
  const std::string key_file = dir / "secret.key";
  for (std::size_t size : {0, 16, 31, 33, 64}) {
    WriteFile(key_file, std::string(size, 'k'), 0600);
    core::Result<SecretBox> box = SecretBox::LoadOrCreate(key_file);
    ASSERT_FALSE(box.ok()) << size;
    EXPECT_EQ(box.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(box.status().message().find("holds " + std::to_string(size) + " bytes"),
              std::string::npos)
        << box.status().message();
  }
  // The wrong file is left alone, never replaced by a new key.
  EXPECT_EQ(std::filesystem::file_size(key_file), 64u);
}

TEST(CryptoSecretBoxTest, FollowsASymlinkToAPrivateKey) {
  TempDir dir;
  WriteFile(dir / "real.key", std::string(32, 'k'), 0600);
  std::filesystem::create_symlink(dir / "real.key", dir / "link.key");
  core::Result<SecretBox> via_link = SecretBox::LoadOrCreate(dir / "link.key");
  core::Result<SecretBox> direct = SecretBox::LoadOrCreate(dir / "real.key");
  ASSERT_TRUE(via_link.ok() && direct.ok()) << via_link.status().ToString();
  EXPECT_TRUE(direct->Open(via_link->Seal("v")).ok());
}

TEST(CryptoSecretBoxTest, ReportsAMissingDirectoryAndADirectoryAsKey) {
  TempDir dir;
  core::Result<SecretBox> missing = SecretBox::LoadOrCreate(dir / "no/such/dir/key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("no/such/dir/key"), std::string::npos);

  std::filesystem::create_directory(dir / "d");
  chmod((dir / "d").c_str(), 0700);
  EXPECT_EQ(SecretBox::LoadOrCreate(dir / "d").status().code(), core::StatusCode::kInvalidArgument);
}

TEST(CryptoSecretBoxTest, ConcurrentCreatorsAgreeOnOneKey) {
  TempDir dir;
  const std::string key_file = dir / "secret.key";
  std::vector<std::optional<SecretBox>> boxes(8);
  std::vector<std::thread> threads;
  threads.reserve(boxes.size());
  for (auto& slot : boxes) {
    threads.emplace_back([&slot, &key_file] {
      core::Result<SecretBox> box = SecretBox::LoadOrCreate(key_file);
      if (box.ok()) slot = *box;
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(boxes[0].has_value());
  std::vector<std::uint8_t> sealed = boxes[0]->Seal("shared");
  for (const auto& box : boxes) {
    ASSERT_TRUE(box.has_value());
    EXPECT_TRUE(box->Open(sealed).ok());
  }
}

}  // namespace
}  // namespace gantry::server::crypto
