#pragma once
// Everything the service knows about one configured chain. A plain struct filled by app/config.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/credit_account.hpp"

namespace creditscope::chain {

struct ChainSettings {
  std::string name;  // "base", "tempo", ... as in the API's chain parameter
  std::uint64_t chain_id = 0;
  std::vector<std::string> rpc_urls;
  std::uint64_t start_block = 0;          // first block that can hold account activity
  bool start_block_factory = false;       // start_block = "factory": the proxy_factory's deployment block
  std::optional<Address> multicall3;      // none: contract reads fall back to eth_call batches
  CreditAccountParams credit_account;
  std::uint64_t logs_initial_span = 0;    // eth_getLogs blocks per request to start with; 0: whole range
  std::uint64_t logs_max_span = 0;        // never ask for more than this; 0: no cap
  std::chrono::milliseconds rpc_timeout{10000};
  std::size_t rpc_max_batch = 100;
  std::uint64_t eth_call_gas_cap = 1'000'000;
  std::uint64_t max_lag_blocks = 64;  // an RPC URL this far behind the chain's best URL is not used
  std::size_t max_in_flight = 4;      // HTTP requests in flight per RPC URL
  std::string native_symbol = "ETH";  // empty: no native coin (Tempo)
  unsigned native_decimals = 18;
  bool quorum = false;                // verify = "quorum": reads at a block are compared across two URLs
  std::chrono::seconds quarantine{300};  // a URL outvoted in a quorum read is skipped this long
  double max_rps = 0;                 // JSON-RPC calls per second per RPC URL; 0: unknown (learned from 429s)
};

}  // namespace creditscope::chain
