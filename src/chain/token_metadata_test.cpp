#include "chain/token_metadata.hpp"

#include <gtest/gtest.h>

#include "chain/abi.hpp"

namespace creditscope::chain {
namespace {

Bytes abi_string(std::string_view s) {
  Bytes out;
  abi::put(out, abi::uint_word(32));
  abi::put_bytes(out, view(s));
  return out;
}

Bytes bytes32(std::string_view s) {
  Bytes out(32, 0);
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

TEST(DecodeSymbol, Table) {
  struct Case {
    std::optional<Bytes> data;
    std::string expected;
  };
  const Case cases[] = {
      {abi_string("USDC"), "USDC"},
      {bytes32("MKR"), "MKR"},
      {std::nullopt, "UNKNOWN"},                              // reverted
      {Bytes{}, "UNKNOWN"},                                   // no code: empty return
      {Bytes(5, 1), "UNKNOWN"},                               // neither ABI string nor bytes32
      {abi_string("US\x01" "DC\n"), "USDC"},                  // control characters stripped
      {abi_string(std::string(40, 'A')), std::string(32, 'A')},
      {abi_string("\xff" "ETH"), "\xEF\xBF\xBD" "ETH"},       // invalid UTF-8 replaced
      {abi_string("\xC3\xA9" + std::string(40, 'x')), "\xC3\xA9" + std::string(31, 'x')},  // cut by characters
      {abi_string(""), "UNKNOWN"},
      {abi_string("  "), "UNKNOWN"},
      {abi_string(std::string(1 << 20, 'Z')), "UNKNOWN"},  // 1 MB symbol: unreadable
      {abi_string(std::string(4000, 'Z')), std::string(32, 'Z')},  // long but bounded: cut
  };
  for (const auto& c : cases) EXPECT_EQ(decode_symbol(c.data), c.expected);
}

Bytes word(unsigned n) {
  auto w = abi::uint_word(n);
  return Bytes(w.begin(), w.end());
}

TEST(DecodeDecimals, ClampsAbsurdValuesToZero) {
  EXPECT_EQ(decode_decimals(word(6)), 6u);
  EXPECT_EQ(decode_decimals(word(77)), 77u);
  EXPECT_EQ(decode_decimals(word(78)), 0u);
  EXPECT_EQ(decode_decimals(word(255)), 0u);
  EXPECT_EQ(decode_decimals(std::nullopt), 0u);
  EXPECT_EQ(decode_decimals(Bytes(3, 0)), 0u);
  EXPECT_EQ(decode_decimals(abi_string("18")), 0u);  // a string is not a uint8
}

TEST(DecodeBalance, OnlyOneWordCounts) {
  EXPECT_EQ(decode_balance(word(12345)), 12345);
  EXPECT_EQ(decode_balance(std::nullopt), 0);
  EXPECT_EQ(decode_balance(abi_string("12345")), 0);
  EXPECT_EQ(decode_balance(Bytes{}), 0);
}

}  // namespace
}  // namespace creditscope::chain
