#include "core/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "core/dynamic_library.h"

namespace gantry::core {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "gantry: fatal: OpenSSL %s\n", what.c_str());
  std::abort();
}

// The EVP functions used here, from libcrypto opened on the first digest: linking it costs
// every start of gantry ~3 ms of relocations, and most commands never hash.
struct Evp {
  decltype(&EVP_MD_CTX_new) md_ctx_new = nullptr;
  decltype(&EVP_MD_CTX_free) md_ctx_free = nullptr;
  decltype(&EVP_sha256) sha256 = nullptr;
  decltype(&EVP_DigestInit_ex) digest_init = nullptr;
  decltype(&EVP_DigestUpdate) digest_update = nullptr;
  decltype(&EVP_DigestFinal_ex) digest_final = nullptr;
};

// libcrypto ships with every machine that built gantry (libssl-dev): failing to load it is
// a broken installation, reported as such.
const Evp& LoadEvp() {
  static const Evp evp = [] {
    Result<DynamicLibrary> lib = DynamicLibrary::Open(GANTRY_LIBCRYPTO_SONAME, "libssl3");
    if (!lib.ok()) Die(lib.status().message());
    Evp e;
    for (const Status& st :
         {lib->Bind("EVP_MD_CTX_new", e.md_ctx_new), lib->Bind("EVP_MD_CTX_free", e.md_ctx_free),
          lib->Bind("EVP_sha256", e.sha256), lib->Bind("EVP_DigestInit_ex", e.digest_init),
          lib->Bind("EVP_DigestUpdate", e.digest_update),
          lib->Bind("EVP_DigestFinal_ex", e.digest_final)}) {
      if (!st.ok()) Die(st.message());
    }
    return e;
  }();
  return evp;
}

}  // namespace

struct Sha256::Context {
  const Evp* evp = nullptr;
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : ctx_(std::make_unique<Context>()) {
  ctx_->evp = &LoadEvp();
  ctx_->md = ctx_->evp->md_ctx_new();
  if (ctx_->md == nullptr || ctx_->evp->digest_init(ctx_->md, ctx_->evp->sha256(), nullptr) != 1) {
    Die("SHA-256 init failed");
  }
}

Sha256::~Sha256() { ctx_->evp->md_ctx_free(ctx_->md); }

void Sha256::Update(const void* data, std::size_t size) {
  if (ctx_->evp->digest_update(ctx_->md, data, size) != 1) Die("SHA-256 update failed");
}

std::array<std::uint8_t, 32> Sha256::Finish() {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (ctx_->evp->digest_final(ctx_->md, digest.data(), &length) != 1 || length != digest.size()) {
    Die("SHA-256 final failed");
  }
  return digest;
}

std::string Sha256::Hex(const std::array<std::uint8_t, 32>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (std::uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

}  // namespace gantry::core
