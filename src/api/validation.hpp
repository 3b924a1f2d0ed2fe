#pragma once
// Query parameters of the credit routes, validated the way FastAPI/pydantic v2 would, with error
// bodies byte-for-byte in pydantic's shape: {"detail":[...]} listing every problem in the order
// the parameters are declared.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace creditscope::api {

/// The chains of the seed's API, in the order its enum lists them.
inline constexpr std::string_view kSpecChains[] = {"arbitrum", "base", "ethereum", "tempo"};

/// Decodes application/x-www-form-urlencoded pairs ('+' is a space, %XX escapes; a malformed
/// escape is kept literally, as Python's parse_qsl does). A repeated name keeps its last value.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

/// The chain enum: the seed's four plus any configured extra names, in byte order. Its pydantic
/// rendering ("'a', 'b' or 'c'") is what 422 bodies and /openapi.json show.
class ChainNames {
 public:
  ChainNames();  // the seed's four
  explicit ChainNames(const std::vector<std::string>& configured);
  bool contains(std::string_view name) const;
  const std::vector<std::string>& names() const { return names_; }
  const std::string& expected() const { return expected_; }

 private:
  std::vector<std::string> names_;
  std::string expected_;
};

/// `block`: a number or a tag resolved against the node.
struct BlockSpec {
  enum class Kind { kLatest, kSafe, kFinalized, kNumber };
  Kind kind = Kind::kLatest;
  std::uint64_t number = 0;
  bool above_max = false;  // digits beyond 2^64-1: above any head
  std::string input;       // as sent, for error bodies
};

enum class SpamMode { kOff, kFlag, kExclude };

struct BalancesParams {
  std::string chain;
  Address owner;
  BlockSpec block;
  bool block_given = false;
  std::optional<std::uint32_t> transfers_limit;
  bool reconcile = false;
  SpamMode spam = SpamMode::kOff;
  bool native = false;
  std::string client;  // not a query parameter: who new-account limits count against (ApiRequest::limit_key)
};

/// Either valid parameters or the 422 body.
struct BalancesValidation {
  std::optional<BalancesParams> params;
  std::string error_body;
};

/// GET /v2/credit/balances (and /balances/stream): chain, owner, block, transfers_limit,
/// reconcile, spam, native. With chain_required false (the /all route) chain is not read.
BalancesValidation validate_balances_query(std::string_view query, const ChainNames& chains = ChainNames(),
                                           bool chain_required = true);

struct TransfersParams {
  std::string chain;
  Address owner;
  std::optional<Address> token;
  std::uint32_t limit = 100;
  std::optional<std::pair<std::uint64_t, std::uint32_t>> cursor;  // continue after (block_num, log_index)
  BlockSpec block;
  std::optional<bool> csv;  // format=csv (true) or json (false); absent: the Accept header decides
};

struct TransfersValidation {
  std::optional<TransfersParams> params;
  std::string error_body;
};

/// GET /v2/credit/transfers: chain, owner, token, limit (1..1000), cursor, block, format (json|csv).
TransfersValidation validate_transfers_query(std::string_view query, const ChainNames& chains = ChainNames());

/// The opaque cursor for a position (block_num, log_index), and back (nullopt when malformed).
std::string encode_cursor(std::uint64_t block_num, std::uint32_t log_index);
std::optional<std::pair<std::uint64_t, std::uint32_t>> decode_cursor(std::string_view cursor);

/// The 422 bodies for a block number outside what the chain can answer (pinned texts).
std::string block_above_head_error(std::string_view input, std::uint64_t head);
std::string block_below_start_error(std::string_view input, std::uint64_t start_block);

}  // namespace creditscope::api
