#include "core/address.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

namespace creditscope {
namespace {

// The test vectors listed in EIP-55 itself.
const char* const kEip55Vectors[] = {
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(Eip55, ChecksumsMatchTheEip) {
  for (const char* v : kEip55Vectors) {
    auto parsed = parse_address(lower(v));
    ASSERT_TRUE(parsed) << v;
    EXPECT_EQ(to_checksum(*parsed), v);
    EXPECT_TRUE(parse_address(v)) << "checksummed form must parse: " << v;
  }
}

TEST(Eip55, RejectsMixedCaseWithWrongChecksum) {
  std::string bad = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";  // last digit case flipped
  auto parsed = parse_address(bad);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::kInvalidInput);
}

TEST(Eip55, AcceptsAllUpperCaseHex) {
  EXPECT_TRUE(parse_address("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"));
}

TEST(ParseAddress, RejectsMalformedText) {
  const char* bad[] = {"", "0x", "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
                       "0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
                       "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae",
                       "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed0",
                       "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg",
                       " 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae"};
  for (const char* b : bad) EXPECT_FALSE(parse_address(b)) << b;
}

}  // namespace
}  // namespace creditscope
