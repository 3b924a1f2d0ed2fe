#pragma once
// Addresses as users write them: EIP-55 mixed-case checksums
// (https://eips.ethereum.org/EIPS/eip-55).

#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace creditscope {

/// "0x" + 40 hex digits, upper-cased where EIP-55 says so.
std::string to_checksum(const Address& address);

/// Accepts "0x" + 40 hex digits. All-lower or all-upper hex is accepted as is; mixed case must
/// match the EIP-55 checksum exactly. Errc::kInvalidInput with a user-facing message otherwise.
Result<Address> parse_address(std::string_view text);

}  // namespace creditscope
