#include "pricing/usd.hpp"

#include <cctype>

namespace creditscope::pricing {
namespace {
BigInt pow10(unsigned n) {
  BigInt r = 1;
  for (unsigned i = 0; i < n; ++i) r *= 10;
  return r;
}
}  // namespace

bool Decimal::operator==(const Decimal& o) const {
  // Equal value, whatever the scale.
  if (scale == o.scale) return mantissa == o.mantissa;
  return scale < o.scale ? mantissa * pow10(o.scale - scale) == o.mantissa
                         : mantissa == o.mantissa * pow10(scale - o.scale);
}

std::optional<Decimal> parse_decimal(std::string_view s) {
  std::size_t i = 0;
  std::string digits;
  int exponent = 0;
  bool any = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) digits.push_back(s[i++]), any = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) digits.push_back(s[i++]), --exponent, any = true;
  }
  if (!any) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    int e = 0;
    bool exp_digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      e = e * 10 + (s[i++] - '0');
      exp_digits = true;
      if (e > 80) return std::nullopt;
    }
    if (!exp_digits) return std::nullopt;
    exponent += negative ? -e : e;
  }
  if (i != s.size() || exponent > 80 || exponent < -160) return std::nullopt;
  // cpp_int reads a leading 0 as octal: strip leading zeros.
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  Decimal d;
  d.mantissa = BigInt(digits.empty() ? "0" : digits);
  if (exponent >= 0) {
    d.mantissa *= pow10(static_cast<unsigned>(exponent));
  } else {
    d.scale = static_cast<unsigned>(-exponent);
  }
  return d;
}

Decimal from_fixed_point(const BigInt& answer, unsigned decimals) { return Decimal{answer, decimals}; }

BigInt usd_cents(const U256& raw, unsigned token_decimals, const Decimal& price) {
  const BigInt denominator = pow10(token_decimals + price.scale);
  const BigInt numerator = BigInt(raw) * price.mantissa * 100;
  return (numerator * 2 + denominator) / (denominator * 2);  // half up: floor(x + 1/2)
}

std::string format_cents(const BigInt& cents) {
  std::string digits = cents.str();
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  return digits.substr(0, digits.size() - 2) + "." + digits.substr(digits.size() - 2);
}

}  // namespace creditscope::pricing
