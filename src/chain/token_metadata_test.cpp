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
      {abi_string(std::string(1 << 20, 'Z')), std::string(32, 'Z')},  // 1 MB symbol
  };
  for (const auto& c : cases) EXPECT_EQ(decode_symbol(c.data), c.expected);
}

TEST(DecodeDecimals, ClampsAbsurdValuesToZero) {
  EXPECT_EQ(decode_decimals(Bytes(abi::uint_word(6).begin(), abi::uint_word(6).end())), 6u);
  EXPECT_EQ(decode_decimals(Bytes(abi::uint_word(77).begin(), abi::uint_word(77).end())), 77u);
  EXPECT_EQ(decode_decimals(Bytes(abi::uint_word(78).begin(), abi::uint_word(78).end())), 0u);
  EXPECT_EQ(decode_decimals(Bytes(abi::uint_word(255).begin(), abi::uint_word(255).end())), 0u);
  EXPECT_EQ(decode_decimals(std::nullopt), 0u);
  EXPECT_EQ(decode_decimals(Bytes(3, 0)), 0u);
}

}  // namespace
}  // namespace creditscope::chain
