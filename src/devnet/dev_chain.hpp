#pragma once
// Driving a local anvil for tests, the demo and benchmarks: deploy contracts from compiled
// artifacts, send transactions from unlocked or impersonated accounts, read receipts.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chain/rpc_client.hpp"
#include "core/bytes.hpp"
#include "core/u256.hpp"

namespace creditscope::devnet {
namespace json = boost::json;

/// Bytecode bundle written by scripts/compile-contracts.mjs.
class Artifacts {
 public:
  /// Loads path, or the build's default bundle when path is empty.
  static Result<Artifacts> load(const std::string& path = {});
  /// Creation bytecode; throws std::out_of_range for an unknown name (a test bug).
  const Bytes& bytecode(const std::string& name) const { return bytecode_.at(name); }
  const Bytes& deployed_bytecode(const std::string& name) const { return deployed_.at(name); }

 private:
  std::map<std::string, Bytes> bytecode_, deployed_;
};

struct LogEntry {
  Address address;
  std::vector<Hash32> topics;
  Bytes data;
  std::uint32_t log_index = 0;
};

struct Receipt {
  Hash32 txn_hash;
  std::uint64_t block_num = 0;
  std::optional<Address> contract_address;
  std::vector<LogEntry> logs;
};

/// anvil's first unlocked dev account (from the default mnemonic).
Address dev_account(unsigned index = 0);

class DevChain {
 public:
  explicit DevChain(const std::string& url);
  chain::RpcClient& rpc() { return *rpc_; }

  /// Sends a transaction (automine) and returns its receipt; kUpstream if it reverted.
  Result<Receipt> send(const Address& from, const std::optional<Address>& to, const Bytes& data);
  /// Sends many transactions in one JSON-RPC batch and mines blocks until all are in, then
  /// fetches all receipts in another batch.
  Result<std::vector<Receipt>> send_many(const std::vector<std::tuple<Address, Address, Bytes>>& txns,
                                         std::uint64_t gas_per_txn = 250'000);
  Result<Address> deploy(const Bytes& creation_code, const Address& from = dev_account());
  Result<Bytes> call(const Address& to, const Bytes& data);
  Result<void> set_code(const Address& at, const Bytes& runtime_code);
  /// Lets `who` send transactions without a key, and gives it gas money.
  Result<void> impersonate(const Address& who);
  Result<std::uint64_t> block_number();
  Result<std::uint64_t> block_timestamp(std::uint64_t block_num);
  Result<void> mine(std::uint64_t blocks);
  /// Turns automine off/on (to put many transactions in one block).
  Result<void> set_automine(bool on);

 private:
  Result<std::vector<Receipt>> wait_for_receipts(const std::vector<json::value>& hashes);
  Result<json::value> rpc_ok(const std::string& method, json::array params);
  std::unique_ptr<chain::RpcClient> rpc_;
};

/// ABI helpers for test calls.
Bytes encode_call(std::string_view signature, std::initializer_list<std::array<std::uint8_t, 32>> words);
/// Constructor args (string, uint8) appended to creation code.
Bytes with_string_and_uint8(const Bytes& creation_code, std::string_view s, unsigned u);

}  // namespace creditscope::devnet
