#pragma once
// Turning what a token contract returned into metadata we can render safely. Token contracts are
// written by anyone: symbols may be bytes32 (MKR), huge, binary or missing; decimals absurd.

#include <optional>
#include <string>

#include "core/account.hpp"
#include "core/bytes.hpp"
#include "core/u256.hpp"

namespace creditscope::chain {

inline constexpr std::size_t kMaxSymbolChars = 32;
inline constexpr unsigned kMaxDecimals = 77;  // 10^77 is the largest power of ten below 2^256
inline constexpr const char* kUnknownSymbol = "UNKNOWN";

/// symbol() return data (ABI string, or bytes32 padded with NULs) -> sanitised symbol:
/// valid UTF-8, control characters stripped, at most 32 characters. "UNKNOWN" when the call
/// failed (nullopt), returned more than kMaxSymbolReturnBytes, decodes as neither form, or
/// nothing printable is left.
std::string decode_symbol(const std::optional<Bytes>& return_data);

/// decimals() return data -> 0..77. A failed call, anything but one 32-byte word, or a value
/// above 77 gives 0.
unsigned decode_decimals(const std::optional<Bytes>& return_data);

/// balanceOf() return data -> the balance. A failed call or anything but one 32-byte word gives
/// 0: the contract offers no number to trust, and inventing one from the history could be wrong.
U256 decode_balance(const std::optional<Bytes>& return_data);

/// symbol() answers longer than this count as unreadable. Without the bound the same token could
/// read as a symbol through Multicall3 (all the gas) and fail alone (gas cap): answers would
/// depend on which path a call took.
inline constexpr std::size_t kMaxSymbolReturnBytes = 4096;

}  // namespace creditscope::chain
