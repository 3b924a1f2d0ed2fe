#include "core/u256.hpp"

#include <gtest/gtest.h>

#include "core/time.hpp"

namespace creditscope {
namespace {

const char* const kMaxDecimal =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

struct FormatCase {
  std::string raw;
  unsigned decimals;
  std::string expected;
};

TEST(FormatUnits, EdgeCases) {
  const FormatCase cases[] = {
      {"0", 0, "0"},
      {"0", 18, "0"},
      {"1", 18, "0"},           // 1 wei truncates toward zero
      {"1", 6, "0.000001"},
      {"1", 0, "1"},
      {"70710737", 6, "70.710737"},
      {"876484654169830", 18, "0.000876"},
      {"1000000", 6, "1"},      // bare dot dropped
      {"1500000", 6, "1.5"},    // trailing zeros dropped
      {"999999999", 9, "0.999999"},
      {kMaxDecimal, 0, kMaxDecimal},
      {kMaxDecimal, 18, "115792089237316195423570985008687907853269984665640564039457.584007"},
      {kMaxDecimal, 77, "1.15792"},  // 1.157920... with the trailing zero dropped
      {"1", 77, "0"},
      {"5", 77, "0"},
  };
  for (const auto& c : cases) {
    auto raw = u256_from_decimal(c.raw);
    ASSERT_TRUE(raw) << c.raw;
    EXPECT_EQ(format_units(*raw, c.decimals), c.expected) << c.raw << " / 10^" << c.decimals;
  }
}

TEST(U256, DecimalParsingRejectsOverflowAndJunk) {
  EXPECT_TRUE(u256_from_decimal(kMaxDecimal));
  EXPECT_FALSE(u256_from_decimal(
      "115792089237316195423570985008687907853269984665640564039457584007913129639936"));
  EXPECT_FALSE(u256_from_decimal(""));
  EXPECT_FALSE(u256_from_decimal("12a"));
  EXPECT_FALSE(u256_from_decimal("-1"));
}

TEST(U256, WordRoundTrip) {
  U256 max = std::numeric_limits<U256>::max();
  auto word = u256_to_word(max);
  for (auto b : word) EXPECT_EQ(b, 0xff);
  EXPECT_EQ(u256_from_word({word.data(), word.size()}), max);
  EXPECT_EQ(to_decimal(max), kMaxDecimal);
}

TEST(FormatUtc, RendersIso8601Seconds) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(951782400), "2000-02-29T00:00:00Z");  // leap day
  EXPECT_EQ(format_utc(1774451085), "2026-03-25T15:04:45Z");  // the spec's example timestamp
}

}  // namespace
}  // namespace creditscope
