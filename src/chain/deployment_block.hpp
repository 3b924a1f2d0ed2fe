#pragma once
// The block a contract was deployed in, found by bisecting eth_getCode over block numbers: for
// `start_block = "factory"`, where no credit account can have existed before its factory did.

#include <cstdint>

#include "chain/rpc_client.hpp"
#include "core/bytes.hpp"

namespace creditscope::chain {

/// The lowest block at which `contract` has code, asking at most about log2(head) + 2 eth_getCode
/// calls. kInvalidInput when it has no code at head (wrong address or chain); kUpstream when
/// the node cannot serve old state (not an archive node: the message asks for a number instead)
/// or fails. Code that is later destroyed and redeployed is not looked for.
Result<std::uint64_t> find_deployment_block(RpcClient& rpc, const Address& contract, std::uint64_t head);

}  // namespace creditscope::chain
