#pragma once
// API keys are configured only as SHA-256 hashes; a presented key is hashed and compared in
// constant time against every stored hash, so neither timing nor logs reveal a key.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace creditscope::api {

class ApiKeys {
 public:
  ApiKeys() = default;
  /// hex SHA-256 digests (64 hex digits each); kInvalidInput on a malformed entry.
  static Result<ApiKeys> from_hex_hashes(const std::vector<std::string>& hashes);

  /// No keys configured: the API is open.
  bool open() const { return hashes_.empty(); }
  /// True if open, or key hashes to one of the configured digests.
  bool accepts(std::optional<std::string_view> key) const;

  static std::array<unsigned char, 32> sha256(std::string_view data);

 private:
  std::vector<std::array<unsigned char, 32>> hashes_;
};

}  // namespace creditscope::api
