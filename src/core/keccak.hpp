#pragma once
// Keccak-256 as Ethereum uses it (the original Keccak padding, not NIST SHA3-256).

#include "core/bytes.hpp"

namespace creditscope {

Hash32 keccak256(ByteView data);

/// First four bytes of keccak256(signature): the ABI function selector.
std::array<std::uint8_t, 4> selector(std::string_view signature);

}  // namespace creditscope
