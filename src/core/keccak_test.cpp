#include "core/keccak.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"

namespace creditscope {
namespace {

struct Vector {
  std::string input;
  std::string digest;
};

// Published Keccak-256 (pre-NIST padding) digests.
TEST(Keccak256, MatchesKnownVectors) {
  const Vector vectors[] = {
      {"", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
      {"abc", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
      {"Transfer(address,address,uint256)",
       "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"},
  };
  for (const auto& v : vectors) EXPECT_EQ(hex::encode(view(keccak256(view(v.input)))), v.digest) << v.input;
}

TEST(Keccak256, SelectorIsFirstFourBytes) {
  auto sel = selector("balanceOf(address)");
  EXPECT_EQ(hex::encode({sel.data(), sel.size()}), "0x70a08231");
}

}  // namespace
}  // namespace creditscope
