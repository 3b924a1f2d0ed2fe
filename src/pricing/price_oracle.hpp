#pragma once
// USD prices for listed tokens, from the sources a chain's config names, in its order:
// Chainlink AggregatorV3 feeds read on chain, an HTTP price API in the DefiLlama coins format,
// fixed pegs, and Tempo's TIP-20 currency() = "USD". Unlisted tokens never get a price (a spam
// token calling itself "USDC" stays null). Prices are cached and refreshed in the background;
// lookups never block.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chain/rpc_client.hpp"
#include "core/bytes.hpp"
#include "pricing/usd.hpp"

namespace creditscope::pricing {

/// The key a chain's native coin is priced under ([[chains.X.prices]] token = "native"): the
/// conventional 0xEeee...EEeE placeholder, which no contract can occupy.
inline const Address kNativeCoin = [] {
  Address a;
  a.bytes.fill(0xee);
  return a;
}();

enum class SourceKind { kChainlink, kHttp, kPeg, kTip20Currency };

/// Where one token's price may come from.
struct TokenSources {
  std::vector<SourceKind> order = {SourceKind::kChainlink, SourceKind::kHttp, SourceKind::kPeg,
                                   SourceKind::kTip20Currency};
  std::optional<Address> chainlink_feed;
  std::uint64_t heartbeat_s = 86400;  // a round older than this (chain time) is stale: no price
  bool http = false;
  std::optional<Decimal> usd_peg;
  bool tip20_currency = false;  // price 1 when the token's currency() is "USD"
};

struct ChainPricing {
  std::map<Address, TokenSources> tokens;       // only these get prices
  std::optional<Address> sequencer_uptime_feed;  // L2s: no Chainlink price while the sequencer is down
  std::uint64_t sequencer_grace_s = 3600;        // ... or back up for less than this
  std::string http_chain;                        // the price API's chain name ("base", "ethereum", ...)
  std::optional<Address> multicall3;
  std::uint64_t eth_call_gas_cap = 1'000'000;
};

struct PricingOptions {
  std::chrono::milliseconds ttl{30000};          // cached prices are refreshed this often
  std::string http_base_url;                     // empty: the HTTP source is off
  std::chrono::milliseconds http_timeout{3000};
};

/// Parses a DefiLlama /prices/current body into exact prices keyed by lower-case "chain:0xaddr".
/// Coins without a usable price are absent. nullopt if the body is not that shape.
std::optional<std::map<std::string, Decimal>> parse_coins_response(std::string_view body);

/// REQUIRES: rpc outlives the oracle. Thread-safe.
class PriceOracle {
 public:
  PriceOracle(ChainPricing pricing, PricingOptions options, std::shared_ptr<chain::RpcClient> rpc);
  ~PriceOracle();

  void start();  // background refresh of tokens in use
  void stop();

  /// The cached price, or nullopt (unlisted, no source answered, stale or not fetched yet).
  /// Never blocks; marks the token as in use so the refresher keeps it fresh.
  std::optional<Decimal> price(const Address& token);
  /// Fetches listed tokens that have no cached entry yet. Blocks (used on cold requests).
  void ensure(const std::vector<Address>& tokens);
  /// Prices as of block_num, read now and not cached: Chainlink feeds and TIP-20 currency() at
  /// that block, pegs as always; the HTTP source (current prices only) gives none. Blocks.
  std::map<Address, std::optional<Decimal>> prices_at(const std::vector<Address>& tokens, std::uint64_t block_num);
  /// Changes whenever any cached price changes: renderings made under another epoch are stale.
  std::uint64_t epoch() const { return epoch_.load(); }
  bool listed(const Address& token) const { return pricing_.tokens.count(token) != 0; }
  /// The tokens that get a price, in address order.
  std::vector<Address> listed_tokens() const {
    std::vector<Address> out;
    for (const auto& [token, _] : pricing_.tokens) out.push_back(token);
    return out;
  }

 private:
  struct Entry {
    std::optional<Decimal> price;
    std::chrono::steady_clock::time_point fetched;
  };
  std::map<Address, std::optional<Decimal>> fetch(const std::set<Address>& tokens,
                                                  std::optional<std::uint64_t> at_block = std::nullopt);
  void store(const std::map<Address, std::optional<Decimal>>& prices);
  void refresh_loop();

  const ChainPricing pricing_;
  const PricingOptions options_;
  const std::shared_ptr<chain::RpcClient> rpc_;

  mutable std::mutex mutex_;
  std::map<Address, Entry> cache_;  // guarded by mutex_
  std::set<Address> in_use_;        // guarded by mutex_
  bool wake_now_ = false;           // guarded by mutex_
  bool stopping_ = false;           // guarded by mutex_
  std::condition_variable wake_;
  std::atomic<std::uint64_t> epoch_{1};
  std::thread refresher_;
};

}  // namespace creditscope::pricing
