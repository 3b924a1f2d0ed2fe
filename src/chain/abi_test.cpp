#include "chain/abi.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"

namespace creditscope::chain {
namespace {

Bytes from_hex(std::string_view h) { return *hex::decode(h); }

TEST(Abi, DecodesDynamicStringWithBoundsChecks) {
  // abi.encode("USDC")
  Bytes data = from_hex(
      "0x0000000000000000000000000000000000000000000000000000000000000020"
      "0000000000000000000000000000000000000000000000000000000000000004"
      "5553444300000000000000000000000000000000000000000000000000000000");
  auto s = abi::decode_dynamic(view(data), 0, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(std::string(s->begin(), s->end()), "USDC");

  Bytes lying = data;
  lying[63] = 0x40;  // claims 64 bytes of string, only 32 present
  EXPECT_FALSE(abi::decode_dynamic(view(lying), 0, 0));
  Bytes huge_offset = data;
  huge_offset[0] = 0xff;  // offset far past the end
  EXPECT_FALSE(abi::decode_dynamic(view(huge_offset), 0, 0));
}

TEST(Abi, PutBytesPadsToWords) {
  Bytes out;
  abi::put_bytes(out, view(from_hex("0x010203")));
  ASSERT_EQ(out.size(), 64u);
  EXPECT_EQ(out[31], 3);
  EXPECT_EQ(out[32], 1);
  EXPECT_EQ(out[35], 0);
}

}  // namespace
}  // namespace creditscope::chain
