#pragma once
// 256-bit unsigned integers (token amounts) and their exact decimal renderings.

#include <boost/multiprecision/cpp_int.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace creditscope {

using U256 = boost::multiprecision::uint256_t;

/// Big-endian 32-byte word (an ABI uint256 or a log data word).
U256 u256_from_word(ByteView word32);
/// Big-endian 32-byte word of value.
std::array<std::uint8_t, 32> u256_to_word(const U256& value);

/// Base-10 digits, no sign, no leading zeros ("0" for zero).
std::string to_decimal(const U256& value);

/// Parses base-10 digits; nullopt on anything else or on overflow past 2^256-1.
std::optional<U256> u256_from_decimal(std::string_view digits);

/// raw / 10^decimals rounded toward zero to at most max_fraction_digits, with trailing zeros
/// and a bare dot dropped: (70710737, 6) -> "70.710737", (876484654169830, 18) -> "0.000876".
/// Exact: works on the decimal digits, never on floating point.
std::string format_units(const U256& raw, unsigned decimals, unsigned max_fraction_digits = 6);

}  // namespace creditscope
