#pragma once
// Many read-only contract calls at one block in as few round trips as possible: Multicall3
// aggregate3 (allowFailure) where the chain has it, JSON-RPC batches of eth_call otherwise.

#include <cstdint>
#include <optional>
#include <vector>

#include "chain/rpc_client.hpp"
#include "core/bytes.hpp"

namespace creditscope::chain {

struct ContractCall {
  Address to;
  Bytes data;
};

struct CallOptions {
  std::optional<Address> multicall3;  // none: plain eth_call batches
  std::uint64_t gas_cap = 1'000'000;   // per call when a call is made on its own
  std::size_t calls_per_multicall = 300;
};

/// One entry per call: the return data, or nullopt when that call reverted, ran out of gas or
/// otherwise failed inside the EVM. A call that fails inside aggregate3 is retried on its own
/// with gas_cap, so a token that burns all gas cannot starve its neighbours.
/// Errc::kUpstream when the node itself failed (transport, unknown block, bad response).
Result<std::vector<std::optional<Bytes>>> call_contracts(RpcClient& rpc, const std::vector<ContractCall>& calls,
                                                         std::uint64_t block_num, const CallOptions& options);

/// True for JSON-RPC error texts that describe an EVM failure of the call itself (revert,
/// out of gas, invalid opcode), as opposed to a node problem (unknown block, internal error).
bool is_execution_failure(const std::string& rpc_error_message);

}  // namespace creditscope::chain
