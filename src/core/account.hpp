#pragma once
// The domain model a balances answer is made of, and the interface that produces it.
// Where the data comes from (live RPC, a persistent index) is hidden behind AccountSource.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/u256.hpp"

namespace creditscope {

/// One ERC-20 Transfer log that names the account as sender or recipient.
struct TokenTransfer {
  Address token;
  Address from;
  Address to;
  U256 raw_amount;
  std::uint64_t block_num = 0;
  std::uint32_t log_index = 0;
  Hash32 txn_hash;
  std::uint64_t block_timestamp = 0;  // unix seconds
};

/// Token metadata as read from the token contract and sanitised (see chain/token_metadata.hpp).
struct TokenMetadata {
  std::string symbol;     // valid UTF-8, no control characters, at most 32 characters
  unsigned decimals = 0;  // 0..77
};

struct TokenHolding {
  Address token;
  TokenMetadata metadata;
  U256 balance;                          // balanceOf(account) at the snapshot block
  std::optional<std::string> usd_value;  // "70.77"; nullopt when no price is known
  std::vector<TokenTransfer> transfers;  // ascending (block_num, log_index)
};

struct AccountSnapshot {
  Address credit_account;
  std::uint64_t snapshot_block = 0;
  std::vector<TokenHolding> holdings;  // one per token with any transfer, in token address order
};

/// Produces the full snapshot of one credit account on one chain.
/// Thread-safe: called concurrently from request workers.
class AccountSource {
 public:
  virtual ~AccountSource() = default;
  /// Errc::kUpstream / kTimeout when the chain cannot be read completely: never a partial snapshot.
  virtual Result<AccountSnapshot> snapshot(const Address& credit_account) = 0;
};

}  // namespace creditscope
