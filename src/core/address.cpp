#include "core/address.hpp"

#include "core/hex.hpp"
#include "core/keccak.hpp"

namespace creditscope {

std::string to_checksum(const Address& address) {
  std::string text = hex::encode(view(address));
  // EIP-55 hashes the lower-case hex digits without the prefix.
  Hash32 h = keccak256(view(std::string_view(text).substr(2)));
  for (std::size_t i = 0; i < 40; ++i) {
    char& c = text[2 + i];
    int nibble = (i % 2 == 0) ? (h.bytes[i / 2] >> 4) : (h.bytes[i / 2] & 0xf);
    if (c >= 'a' && c <= 'f' && nibble >= 8) c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

Result<Address> parse_address(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || text[1] != 'x')
    return make_error(Errc::kInvalidInput, "must be a 0x-prefixed 20-byte hex address (42 characters)");
  auto address = hex::decode_address(text);
  if (!address) return make_error(Errc::kInvalidInput, "must contain only hex digits after 0x");
  bool has_lower = false, has_upper = false;
  for (char c : text.substr(2)) {
    has_lower |= (c >= 'a' && c <= 'f');
    has_upper |= (c >= 'A' && c <= 'F');
  }
  if (has_lower && has_upper && to_checksum(*address) != text)
    return make_error(Errc::kInvalidInput, "mixed-case address fails its EIP-55 checksum");
  return *address;
}

}  // namespace creditscope
