#include "chain/token_metadata.hpp"

#include "chain/abi.hpp"
#include "core/json_writer.hpp"

namespace creditscope::chain {
namespace {

std::string sanitize(std::string_view raw) {
  std::string utf8 = to_valid_utf8(raw);
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < utf8.size() && chars < kMaxSymbolChars;) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    bool control = c < 0x20 || c == 0x7f ||
                   (n == 2 && c == 0xC2 && static_cast<unsigned char>(utf8[i + 1]) < 0xA0);  // C1
    if (!control) {
      out.append(utf8, i, n);
      ++chars;
    }
    i += n;
  }
  // Surrounding blanks only ever disguise one symbol as another.
  auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

}  // namespace

std::string decode_symbol(const std::optional<Bytes>& return_data) {
  if (!return_data || return_data->size() > kMaxSymbolReturnBytes) return kUnknownSymbol;
  ByteView data = view(*return_data);
  std::string symbol;
  if (auto s = abi::decode_dynamic(data, 0, 0)) {
    symbol = sanitize({reinterpret_cast<const char*>(s->data()), s->size()});
  } else if (data.size() == 32) {
    std::size_t len = 0;
    while (len < 32 && data[len] != 0) ++len;
    symbol = sanitize({reinterpret_cast<const char*>(data.data()), len});
  }
  return symbol.empty() ? kUnknownSymbol : symbol;
}

unsigned decode_decimals(const std::optional<Bytes>& return_data) {
  const U256 v = decode_balance(return_data);  // the same rule: exactly one word, else 0
  return v > kMaxDecimals ? 0 : static_cast<unsigned>(v);
}

U256 decode_balance(const std::optional<Bytes>& return_data) {
  if (!return_data || return_data->size() != 32) return 0;
  return u256_from_word(view(*return_data));
}

}  // namespace creditscope::chain
