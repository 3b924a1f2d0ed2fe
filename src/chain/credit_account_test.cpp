#include "chain/credit_account.hpp"

#include <gtest/gtest.h>

#include "core/address.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"

namespace creditscope::chain {
namespace {

struct Create2Case {
  const char* deployer;
  const char* salt;
  const char* init_code;
  const char* expected;
};

// Examples from EIP-1014.
TEST(Create2, MatchesEip1014Examples) {
  const Create2Case cases[] = {
      {"0x0000000000000000000000000000000000000000",
       "0x0000000000000000000000000000000000000000000000000000000000000000", "0x00",
       "0x4D1A2e2bB4F88F0250f26Ffff098B0b30B26BF38"},
      {"0xdeadbeef00000000000000000000000000000000",
       "0x0000000000000000000000000000000000000000000000000000000000000000", "0x00",
       "0xB928f69Bb1D91Cd65274e3c79d8986362984fDA3"},
      {"0x00000000000000000000000000000000deadbeef",
       "0x00000000000000000000000000000000000000000000000000000000cafebabe", "0xdeadbeef",
       "0x60f3f640a8508fC6a86d45DF051962668E1e8AC7"},
  };
  for (const auto& c : cases) {
    auto code = hex::decode(c.init_code);
    Address got = create2_address(*hex::decode_address(c.deployer), *hex::decode_hash(c.salt), keccak256(view(*code)));
    EXPECT_EQ(to_checksum(got), c.expected);
  }
}

TEST(SafeSetup, EncodesOneOwnerThresholdOne) {
  Address owner = *hex::decode_address("0x06a9af046187895acfc7258450b15397cac67400");
  Address handler = *hex::decode_address("0xfd0732dc9e303f09fcef3a7388ad10a83459ec99");
  Bytes init = safe_setup_initializer(owner, handler);
  ASSERT_EQ(init.size(), 4u + 11 * 32);
  EXPECT_EQ(hex::encode(ByteView(init).first(4)), "0xb63e800d");  // setup(...) selector
  EXPECT_EQ(init[4 + 31], 0x00);                                    // owners offset 0x100
  EXPECT_EQ(init[4 + 30], 0x01);
  EXPECT_EQ(init[4 + 32 + 31], 1);                                  // threshold
  EXPECT_EQ(hex::encode(ByteView(init).subspan(4 + 4 * 32 + 12, 20)), hex::encode(view(handler)));
  EXPECT_EQ(hex::encode(ByteView(init).subspan(4 + 9 * 32 + 12, 20)), hex::encode(view(owner)));
}

}  // namespace
}  // namespace creditscope::chain
