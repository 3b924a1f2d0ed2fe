#include "core/u256.hpp"

namespace creditscope {

U256 u256_from_word(ByteView word32) {
  U256 value = 0;
  for (std::uint8_t b : word32) value = (value << 8) | b;
  return value;
}

std::array<std::uint8_t, 32> u256_to_word(const U256& value) {
  std::array<std::uint8_t, 32> out{};
  U256 v = value;
  for (int i = 31; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::string to_decimal(const U256& value) { return value.str(); }

std::optional<U256> u256_from_decimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 78) return std::nullopt;
  U256 value = 0;
  static const U256 kMaxDiv10 = std::numeric_limits<U256>::max() / 10;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    unsigned d = static_cast<unsigned>(c - '0');
    if (value > kMaxDiv10) return std::nullopt;
    U256 next = value * 10;
    if (next > std::numeric_limits<U256>::max() - d) return std::nullopt;
    value = next + d;
  }
  return value;
}

std::string format_units(const U256& raw, unsigned decimals, unsigned max_fraction_digits) {
  std::string digits = to_decimal(raw);
  if (decimals == 0) return digits;
  if (digits.size() <= decimals) digits.insert(0, decimals - digits.size() + 1, '0');
  std::string out = digits.substr(0, digits.size() - decimals);
  std::string fraction = digits.substr(digits.size() - decimals, max_fraction_digits);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

}  // namespace creditscope
