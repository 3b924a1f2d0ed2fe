#include "api/api_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/hex.hpp"

namespace creditscope::api {

Result<ApiKeys> ApiKeys::from_hex_hashes(const std::vector<std::string>& hashes) {
  ApiKeys keys;
  for (const auto& h : hashes) {
    auto digest = hex::decode_hash(h);
    if (!digest || h.starts_with("0x") || h.size() != 64)
      return make_error(Errc::kInvalidInput, "api_keys_sha256 entries must be 64 hex digits (a SHA-256 digest)");
    keys.hashes_.push_back(digest->bytes);
  }
  return keys;
}

std::array<unsigned char, 32> ApiKeys::sha256(std::string_view data) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

bool ApiKeys::accepts(std::optional<std::string_view> key) const {
  if (open()) return true;
  if (!key) return false;
  const auto digest = sha256(*key);
  int matches = 0;
  for (const auto& h : hashes_) matches |= CRYPTO_memcmp(h.data(), digest.data(), digest.size()) == 0;
  return matches != 0;
}

}  // namespace creditscope::api
