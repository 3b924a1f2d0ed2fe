#pragma once
// Exact USD arithmetic: prices are decimals (mantissa / 10^scale), never binary floating point.

#include <boost/multiprecision/cpp_int.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/u256.hpp"

namespace creditscope::pricing {

using BigInt = boost::multiprecision::cpp_int;

/// A non-negative exact decimal: mantissa / 10^scale.
struct Decimal {
  BigInt mantissa = 0;
  unsigned scale = 0;
  bool operator==(const Decimal& o) const;
};

/// Parses a JSON/decimal number literal exactly: "1", "0.9998", "2.5e-05", "1E3". Rejects
/// negatives, NaN/Infinity, empty and absurd exponents (|e| > 80).
std::optional<Decimal> parse_decimal(std::string_view literal);

/// A Chainlink-style answer with `decimals` places.
Decimal from_fixed_point(const BigInt& answer, unsigned decimals);

/// USD cents of raw / 10^token_decimals tokens at price, rounded half up:
/// round_half_up(raw * price / 10^(token_decimals + price.scale), 2), as an integer of cents.
BigInt usd_cents(const U256& raw, unsigned token_decimals, const Decimal& price);

/// Cents as "X.YY" ("70.77", "1.80", "0.00").
std::string format_cents(const BigInt& cents);

}  // namespace creditscope::pricing
