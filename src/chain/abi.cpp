#include "chain/abi.hpp"

namespace creditscope::chain::abi {

Word address_word(const Address& a) {
  Word w{};
  std::copy(a.bytes.begin(), a.bytes.end(), w.begin() + 12);
  return w;
}

Word uint_word(const U256& v) { return u256_to_word(v); }

void put(Bytes& out, const Word& w) { out.insert(out.end(), w.begin(), w.end()); }

void put_bytes(Bytes& out, ByteView data) {
  put(out, uint_word(data.size()));
  out.insert(out.end(), data.begin(), data.end());
  out.resize(out.size() + (32 - data.size() % 32) % 32, 0);
}

Bytes call_data(std::array<std::uint8_t, 4> sel, std::initializer_list<Word> words) {
  Bytes out(sel.begin(), sel.end());
  for (const auto& w : words) put(out, w);
  return out;
}

std::optional<U256> decode_uint(ByteView data) {
  if (data.size() < 32) return std::nullopt;
  return u256_from_word(data.first(32));
}

namespace {
// A word that must fit in a size_t-sized offset or length well below the data size.
std::optional<std::size_t> small_word(ByteView data, std::size_t pos) {
  if (pos > data.size() || data.size() - pos < 32) return std::nullopt;
  for (std::size_t i = 0; i < 24; ++i)
    if (data[pos + i] != 0) return std::nullopt;
  std::size_t v = 0;
  for (std::size_t i = 24; i < 32; ++i) v = v << 8 | data[pos + i];
  return v;
}
}  // namespace

std::optional<ByteView> decode_dynamic(ByteView data, std::size_t base, std::size_t offset_word_pos) {
  auto offset = small_word(data, offset_word_pos);
  if (!offset || *offset > data.size() || base > data.size() - *offset) return std::nullopt;
  std::size_t start = base + *offset;
  auto length = small_word(data, start);
  if (!length || *length > data.size() - start - 32) return std::nullopt;
  return data.subspan(start + 32, *length);
}

}  // namespace creditscope::chain::abi
