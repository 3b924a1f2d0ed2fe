#pragma once
// Hex encoding as Ethereum JSON-RPC uses it: "0x"-prefixed data and quantities.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace creditscope::hex {

/// Lower-case hex with a "0x" prefix.
std::string encode(ByteView data);

/// Decodes "0x"-prefixed (or bare) hex of even length. nullopt on any non-hex character.
std::optional<Bytes> decode(std::string_view text);

/// Decodes exactly N bytes; nullopt if the length differs.
std::optional<Address> decode_address(std::string_view text);
std::optional<Hash32> decode_hash(std::string_view text);

/// JSON-RPC QUANTITY ("0x1a") to integer; nullopt on overflow, empty digits or non-hex.
std::optional<std::uint64_t> decode_quantity(std::string_view text);

/// Integer to JSON-RPC QUANTITY: no leading zeros, "0x0" for zero.
std::string encode_quantity(std::uint64_t value);

/// Value of one hex digit, or -1.
constexpr int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace creditscope::hex
