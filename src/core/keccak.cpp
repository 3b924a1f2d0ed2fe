#include "core/keccak.hpp"

#include <cryptopp/keccak.h>

namespace creditscope {

Hash32 keccak256(ByteView data) {
  CryptoPP::Keccak_256 hasher;
  hasher.Update(data.data(), data.size());
  Hash32 out;
  hasher.Final(out.bytes.data());
  return out;
}

std::array<std::uint8_t, 4> selector(std::string_view signature) {
  Hash32 h = keccak256(view(signature));
  return {h.bytes[0], h.bytes[1], h.bytes[2], h.bytes[3]};
}

}  // namespace creditscope
