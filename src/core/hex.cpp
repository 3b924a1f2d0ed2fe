#include "core/hex.hpp"

namespace creditscope::hex {
namespace {
constexpr char kDigits[] = "0123456789abcdef";

std::string_view strip_prefix(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  return text;
}

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> decode_fixed(std::string_view text) {
  text = strip_prefix(text);
  if (text.size() != 2 * N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    int hi = digit_value(text[2 * i]), lo = digit_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}
}  // namespace

std::string encode(ByteView data) {
  std::string out(2 + 2 * data.size(), '0');
  out[1] = 'x';
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 + 2 * i] = kDigits[data[i] >> 4];
    out[3 + 2 * i] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::optional<Bytes> decode(std::string_view text) {
  text = strip_prefix(text);
  if (text.size() % 2 != 0) return std::nullopt;
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = digit_value(text[2 * i]), lo = digit_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::optional<Address> decode_address(std::string_view text) {
  auto bytes = decode_fixed<20>(text);
  if (!bytes) return std::nullopt;
  return Address{*bytes};
}

std::optional<Hash32> decode_hash(std::string_view text) {
  auto bytes = decode_fixed<32>(text);
  if (!bytes) return std::nullopt;
  return Hash32{*bytes};
}

std::optional<std::uint64_t> decode_quantity(std::string_view text) {
  text = strip_prefix(text);
  if (text.empty() || text.size() > 16) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    int d = digit_value(c);
    if (d < 0) return std::nullopt;
    value = value << 4 | static_cast<std::uint64_t>(d);
  }
  return value;
}

std::string encode_quantity(std::uint64_t value) {
  if (value == 0) return "0x0";
  char buf[18];
  int n = 0;
  while (value) {
    buf[n++] = kDigits[value & 0xf];
    value >>= 4;
  }
  std::string out = "0x";
  while (n) out.push_back(buf[--n]);
  return out;
}

}  // namespace creditscope::hex
