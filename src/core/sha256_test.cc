#include "core/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace gantry::core {
namespace {

TEST(Sha256Test, MatchesKnownDigests) {
  Sha256 empty;
  EXPECT_EQ(Sha256::Hex(empty.Finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.Update("abc");
  EXPECT_EQ(Sha256::Hex(abc.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 million;
  std::string block(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.Update(block);
  EXPECT_EQ(Sha256::Hex(million.Finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace gantry::core
