#include "core/hex.hpp"

#include <gtest/gtest.h>

namespace creditscope {
namespace {

TEST(Hex, QuantityRoundTrip) {
  EXPECT_EQ(hex::encode_quantity(0), "0x0");
  EXPECT_EQ(hex::encode_quantity(255), "0xff");
  EXPECT_EQ(hex::decode_quantity("0x1a"), 26u);
  EXPECT_EQ(hex::decode_quantity("0xffffffffffffffff"), UINT64_MAX);
  EXPECT_FALSE(hex::decode_quantity("0x"));
  EXPECT_FALSE(hex::decode_quantity("0x1ffffffffffffffff"));
  EXPECT_FALSE(hex::decode_quantity("0xzz"));
}

TEST(Hex, DecodeRejectsOddLengthAndNonHex) {
  EXPECT_FALSE(hex::decode("0xabc"));
  EXPECT_FALSE(hex::decode("0xgg"));
  auto ok = hex::decode("0x00ff10");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (Bytes{0x00, 0xff, 0x10}));
  EXPECT_EQ(hex::encode(view(*ok)), "0x00ff10");
}

}  // namespace
}  // namespace creditscope
