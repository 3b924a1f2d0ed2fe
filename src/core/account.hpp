#pragma once
// The domain model a balances answer is made of, and the interface that produces it.
// Where the data comes from (live RPC, a persistent index) is hidden behind AccountSource.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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
  std::vector<TokenTransfer> transfers;  // ascending (block_num, log_index)
};

/// Something the API layer derived from a snapshot and caches on it (a rendered body).
struct RenderedAnswer {
  explicit RenderedAnswer(std::string text) : body(std::make_shared<const std::string>(std::move(text))) {}
  virtual ~RenderedAnswer() = default;
  std::shared_ptr<const std::string> body;
};

/// Everything known about one account. Immutable once shared: a change produces a new snapshot,
/// so anything derived from one (the rendered body) can be cached on it and never goes stale.
struct AccountSnapshot {
  Address credit_account;
  std::uint64_t snapshot_block = 0;    // the block the data was last brought up to
  std::vector<TokenHolding> holdings;  // one per token with any transfer, in token address order

  /// The API layer's rendering of this snapshot, made on first use and again only when prices
  /// changed (render_epoch is the price epoch it was made under).
  mutable std::mutex render_mutex;
  mutable std::uint64_t render_epoch = 0;
  mutable std::shared_ptr<const RenderedAnswer> rendered;
};

struct AccountAnswer {
  std::shared_ptr<const AccountSnapshot> snapshot;
  std::uint64_t block_num = 0;  // the block the answer describes (X-Block-Number)
};

/// Where an account's history backfill stands (GET /v2/credit/status).
struct BackfillStatus {
  enum class State { kUnknown, kBackfilling, kReady };
  State state = State::kUnknown;
  std::uint64_t from_block = 0;       // first block the backfill covers
  std::uint64_t to_block = 0;         // the head it is bringing the account to
  std::uint64_t scanned_through = 0;  // every block up to this one is scanned
  double progress = 0;                // 0..1
  std::optional<double> eta_s;        // seconds left, estimated from the pace so far
};

/// Produces the full snapshot of one credit account on one chain.
/// Thread-safe: called concurrently from request workers.
class AccountSource {
 public:
  virtual ~AccountSource() = default;
  /// Errc::kUpstream / kTimeout when the chain cannot be read completely: never a partial snapshot.
  /// May block on the network.
  virtual Result<AccountAnswer> snapshot(const Address& credit_account) = 0;
  /// Admits a request that would start tracking an account (its first, which starts a backfill).
  /// An error refuses it: nothing is registered and the error is returned. The token it gives is
  /// kept until that backfill ends, so the admitter can count backfills running.
  using AdmitNewAccount = std::function<Result<std::shared_ptr<void>>()>;
  /// snapshot(), asking `admit` (when set) before an unknown account is registered. A source
  /// that tracks nothing never asks.
  virtual Result<AccountAnswer> snapshot(const Address& credit_account, const AdmitNewAccount& admit) {
    (void)admit;
    return snapshot(credit_account);
  }
  /// The answer if it is available without any network call, else nullopt. Never blocks.
  virtual std::optional<AccountAnswer> peek(const Address&) { return std::nullopt; }
  /// The block answers are complete through, when the source keeps an index (nullopt: a live
  /// source, complete through the node's head at each call). Never blocks.
  virtual std::optional<std::uint64_t> indexed_head() const { return std::nullopt; }
  /// The first block that can hold account activity, when known without a network call.
  virtual std::optional<std::uint64_t> known_start_block() const { return std::nullopt; }
  /// Where the account's backfill stands. A source without an index is always ready. Never blocks
  /// on the network.
  virtual BackfillStatus status(const Address&) {
    BackfillStatus s;
    s.state = BackfillStatus::State::kReady;
    s.progress = 1;
    return s;
  }
};

}  // namespace creditscope
