#pragma once
// The slice of the Solidity ABI this service needs: static words, dynamic bytes, and decoding
// of return data that may come from a hostile contract (every offset is bounds-checked).

#include <array>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/u256.hpp"

namespace creditscope::chain::abi {

using Word = std::array<std::uint8_t, 32>;

Word address_word(const Address& a);
Word uint_word(const U256& v);

/// Appends a word to out.
void put(Bytes& out, const Word& w);
/// Appends len word + data zero-padded to a multiple of 32.
void put_bytes(Bytes& out, ByteView data);

/// selector + static words.
Bytes call_data(std::array<std::uint8_t, 4> sel, std::initializer_list<Word> words = {});

/// First word as uint256; nullopt if shorter than 32 bytes.
std::optional<U256> decode_uint(ByteView data);
/// ABI `bytes`/`string` at `offset_word` (offset relative to base); nullopt if out of bounds.
std::optional<ByteView> decode_dynamic(ByteView data, std::size_t base, std::size_t offset_word_pos);

}  // namespace creditscope::chain::abi
