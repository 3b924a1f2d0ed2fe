#pragma once
// Fixed-size byte types shared by every module: addresses, 32-byte hashes, raw byte strings.

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace creditscope {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

struct Hash32 {
  std::array<std::uint8_t, 32> bytes{};
  auto operator<=>(const Hash32&) const = default;
};

struct Address {
  std::array<std::uint8_t, 20> bytes{};
  auto operator<=>(const Address&) const = default;
  bool is_zero() const {
    for (auto b : bytes)
      if (b != 0) return false;
    return true;
  }
};

inline ByteView view(const Address& a) { return {a.bytes.data(), a.bytes.size()}; }
inline ByteView view(const Hash32& h) { return {h.bytes.data(), h.bytes.size()}; }
inline ByteView view(const Bytes& b) { return {b.data(), b.size()}; }
inline ByteView view(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace creditscope

template <>
struct std::hash<creditscope::Address> {
  std::size_t operator()(const creditscope::Address& a) const noexcept {
    std::size_t h;
    std::memcpy(&h, a.bytes.data() + 12, sizeof h);  // addresses are already uniformly distributed
    return h;
  }
};
