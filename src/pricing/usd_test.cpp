#include "pricing/usd.hpp"

#include <gtest/gtest.h>

namespace creditscope::pricing {
namespace {

const char* const kMax = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

struct Case {
  std::string raw;
  unsigned token_decimals;
  std::string price;  // as a decimal literal
  std::string expected;
};

TEST(UsdValue, RoundingTable) {
  const Case cases[] = {
      {"70710737", 6, "1.0008", "70.77"},            // 70.76730... -> 70.77
      {"876484654169830", 18, "2053.37", "1.80"},    // 1.79975... -> 1.80
      {"5", 3, "1", "0.01"},                         // 0.005 exactly: half up
      {"4", 3, "1", "0.00"},                         // 0.004 -> down
      {"15", 3, "1", "0.02"},                        // 0.015 -> 0.02
      {"0", 18, "3000", "0.00"},
      {"1", 0, "0.005", "0.01"},                     // 0 decimals
      {"1", 24, "1000000000000000000000", "0.00"},   // 24 decimals: 0.001
      {"1000000000000000000000000", 24, "1.234", "1.23"},
      {kMax, 0, "1", std::string(kMax) + ".00"},     // 2^256-1 raw
      {kMax, 18, "1", "115792089237316195423570985008687907853269984665640564039457.58"},
      {"123456789", 8, "2.5e-05", "0.00"},           // exponent literal: 0.0000308...
      {"100000000000", 8, "2.5E-05", "0.03"},        // 1000 * 0.000025 = 0.025 -> 0.03
  };
  for (const auto& c : cases) {
    auto price = parse_decimal(c.price);
    ASSERT_TRUE(price) << c.price;
    EXPECT_EQ(format_cents(usd_cents(U256(c.raw), c.token_decimals, *price)), c.expected)
        << c.raw << " @" << c.token_decimals << " x " << c.price;
  }
}

TEST(UsdValue, ChainlinkFixedPoint) {
  // 8-decimal answer 100080000 = $1.0008
  EXPECT_EQ(format_cents(usd_cents(U256(70710737), 6, from_fixed_point(100080000, 8))), "70.77");
}

TEST(ParseDecimal, RejectsJunk) {
  for (const char* bad : {"", "-1", "1e", "1e999", "abc", "1.2.3", ".", "NaN", "Infinity", "1 "})
    EXPECT_FALSE(parse_decimal(bad)) << bad;
  EXPECT_TRUE((*parse_decimal("0.5") == Decimal{5, 1}));
  EXPECT_TRUE((*parse_decimal("1.50") == Decimal{15, 1}));
  EXPECT_TRUE((*parse_decimal("1e3") == Decimal{1000, 0}));
}

TEST(FormatCents, PadsSmallValues) {
  EXPECT_EQ(format_cents(0), "0.00");
  EXPECT_EQ(format_cents(7), "0.07");
  EXPECT_EQ(format_cents(180), "1.80");
}

}  // namespace
}  // namespace creditscope::pricing
