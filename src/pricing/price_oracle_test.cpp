#include "pricing/price_oracle.hpp"

#include <gtest/gtest.h>

namespace creditscope::pricing {
namespace {

TEST(CoinsResponse, ReadsExactPricesFromTheLiteral) {
  // The DefiLlama /prices/current response shape.
  const std::string body = R"({"coins":{"base:0x833589fcd6edb6e08f4c7c32d4f71b54bda02913":{"decimals":6,"symbol":"USDC",)"
                           R"("price":0.999912345678901234,"timestamp":1774451085,"confidence":0.99},)"
                           R"("base:0x4200000000000000000000000000000000000006":{"decimals":18,"symbol":"WETH","price":2053.37,)"
                           R"("timestamp":1774451085,"confidence":0.99},"base:0xdead":{"symbol":"X"}}})";
  auto coins = parse_coins_response(body);
  ASSERT_TRUE(coins);
  ASSERT_EQ(coins->size(), 2u);
  EXPECT_TRUE(coins->at("base:0x833589fcd6edb6e08f4c7c32d4f71b54bda02913") == *parse_decimal("0.999912345678901234"));
  EXPECT_TRUE(coins->at("base:0x4200000000000000000000000000000000000006") == *parse_decimal("2053.37"));
}

TEST(CoinsResponse, RejectsOtherShapes) {
  EXPECT_FALSE(parse_coins_response("<html>"));
  EXPECT_FALSE(parse_coins_response(R"({"error":"x"})"));
  auto negative = parse_coins_response(R"({"coins":{"base:0x1":{"price":-1}}})");
  ASSERT_TRUE(negative);
  EXPECT_TRUE(negative->empty());
}

}  // namespace
}  // namespace creditscope::pricing
