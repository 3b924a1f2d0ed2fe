#include "devnet/dev_chain.hpp"

#include <fstream>
#include <sstream>
#include <thread>

#include "chain/abi.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"

namespace creditscope::devnet {

#ifndef CREDITSCOPE_ARTIFACTS_PATH
#define CREDITSCOPE_ARTIFACTS_PATH "contracts.json"
#endif

namespace abi = chain::abi;

Result<Artifacts> Artifacts::load(const std::string& path) {
  const std::string file = path.empty() ? CREDITSCOPE_ARTIFACTS_PATH : path;
  std::ifstream in(file);
  if (!in) return make_error(Errc::kNotConfigured, "contract artifacts not found at " + file + " (build first)");
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto doc = json::parse(ss.str(), ec);
  if (ec || !doc.is_object()) return make_error(Errc::kInvalidInput, "bad artifacts file " + file);
  Artifacts a;
  for (const auto& [name, v] : doc.as_object()) {
    a.bytecode_[name] = hex::decode(v.at("bytecode").as_string()).value_or(Bytes{});
    a.deployed_[name] = hex::decode(v.at("deployedBytecode").as_string()).value_or(Bytes{});
  }
  return a;
}

Address dev_account(unsigned index) {
  static const char* const kAccounts[] = {
      "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
      "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc", "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
      "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65", "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc"};
  return *hex::decode_address(kAccounts[index % std::size(kAccounts)]);
}

DevChain::DevChain(const std::string& url)
    : rpc_(std::make_unique<chain::HttpRpcClient>(
          chain::RpcOptions{"devnet", {url}, std::chrono::milliseconds(30000), 2, std::chrono::milliseconds(50), 500})) {}

Result<json::value> DevChain::rpc_ok(const std::string& method, json::array params) {
  auto r = rpc_->call(method, std::move(params));
  if (!r) return make_error(Errc::kUpstream, method + ": " + r.error().message);
  return r;
}

namespace {
json::object txn_object(const Address& from, const std::optional<Address>& to, const Bytes& data) {
  json::object tx{{"from", hex::encode(view(from))}, {"data", hex::encode(view(data))}, {"gas", "0x1c9c380"}};
  if (to) tx["to"] = hex::encode(view(*to));
  return tx;
}

Result<Receipt> parse_receipt(const json::value& v) {
  if (!v.is_object()) return make_error(Errc::kUpstream, "no receipt (transaction not mined?)");
  const auto& o = v.as_object();
  Receipt r;
  r.txn_hash = *hex::decode_hash(o.at("transactionHash").as_string());
  r.block_num = *hex::decode_quantity(o.at("blockNumber").as_string());
  if (o.at("status").as_string() != "0x1")
    return make_error(Errc::kUpstream, "transaction " + hex::encode(view(r.txn_hash)) + " reverted");
  if (auto* ca = o.if_contains("contractAddress"); ca && ca->is_string()) r.contract_address = hex::decode_address(ca->as_string());
  for (const auto& l : o.at("logs").as_array()) {
    LogEntry e;
    e.address = *hex::decode_address(l.at("address").as_string());
    for (const auto& t : l.at("topics").as_array()) e.topics.push_back(*hex::decode_hash(t.as_string()));
    e.data = *hex::decode(l.at("data").as_string());
    e.log_index = static_cast<std::uint32_t>(*hex::decode_quantity(l.at("logIndex").as_string()));
    r.logs.push_back(std::move(e));
  }
  return r;
}
}  // namespace

Result<Receipt> DevChain::send(const Address& from, const std::optional<Address>& to, const Bytes& data) {
  auto hash = rpc_ok("eth_sendTransaction", json::array{txn_object(from, to, data)});
  if (!hash) return hash.error();
  auto receipts = wait_for_receipts({*hash});
  if (!receipts) return receipts.error();
  return std::move(receipts->front());
}

Result<std::vector<Receipt>> DevChain::send_many(const std::vector<std::tuple<Address, Address, Bytes>>& txns,
                                                 std::uint64_t gas_per_txn) {
  // anvil handles a batch concurrently: give each transaction its nonce, or they collide, and
  // mine them together, since automine may take a later nonce first and then wait.
  if (auto r = set_automine(false); !r) return r.error();
  std::map<Address, std::uint64_t> nonces;
  for (const auto& [from, to, data] : txns) {
    if (nonces.count(from)) continue;
    auto n = rpc_ok("eth_getTransactionCount", json::array{hex::encode(view(from)), "pending"});
    if (!n) return n.error();
    nonces[from] = *hex::decode_quantity(n->as_string());
  }
  std::vector<chain::RpcRequest> sends;
  for (const auto& [from, to, data] : txns) {
    auto tx = txn_object(from, to, data);
    tx["nonce"] = hex::encode_quantity(nonces[from]++);
    tx["gas"] = hex::encode_quantity(gas_per_txn);  // the default gas would allow one per block
    sends.push_back({"eth_sendTransaction", json::array{tx}});
  }
  auto hashes = rpc_->batch(sends);
  Result<json::value> mined = json::value(nullptr);
  for (std::size_t blocks = 0; blocks <= txns.size() && mined; ++blocks) {
    mined = rpc_ok("evm_mine", {});
    auto pool = rpc_ok("txpool_status", {});
    if (!pool) break;
    auto pending = pool->as_object().if_contains("pending");
    if (pending && pending->is_string() && hex::decode_quantity(pending->as_string()) == 0u) break;
    if (pending && pending->is_number() && pending->to_number<std::uint64_t>() == 0) break;
  }
  if (auto r = set_automine(true); !r) return r.error();
  if (!hashes) return hashes.error();
  if (!mined) return mined.error();
  std::vector<json::value> ids;
  for (auto& h : *hashes) {
    if (!h) return make_error(Errc::kUpstream, "eth_sendTransaction: " + h.error().message);
    ids.push_back(*h);
  }
  return wait_for_receipts(ids);
}

Result<std::vector<Receipt>> DevChain::wait_for_receipts(const std::vector<json::value>& hashes) {
  // anvil mines right after a send, but the receipt can trail the send's answer by a moment.
  for (int attempt = 0; attempt < 2000; ++attempt) {
    std::vector<chain::RpcRequest> gets;
    for (const auto& h : hashes) gets.push_back({"eth_getTransactionReceipt", json::array{h}});
    auto receipts = rpc_->batch(gets);
    if (!receipts) return receipts.error();
    bool all_mined = true;
    for (auto& r : *receipts) all_mined &= r && r->is_object();
    if (!all_mined) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    std::vector<Receipt> out;
    for (auto& r : *receipts) {
      auto parsed = parse_receipt(*r);
      if (!parsed) return parsed.error();
      out.push_back(std::move(*parsed));
    }
    return out;
  }
  return make_error(Errc::kTimeout, "transactions not mined within 10 s");
}

Result<Address> DevChain::deploy(const Bytes& creation_code, const Address& from) {
  auto r = send(from, std::nullopt, creation_code);
  if (!r) return r.error();
  if (!r->contract_address) return make_error(Errc::kUpstream, "deployment produced no contract address");
  return *r->contract_address;
}

Result<Bytes> DevChain::call(const Address& to, const Bytes& data) {
  auto r = rpc_ok("eth_call", json::array{json::object{{"to", hex::encode(view(to))}, {"data", hex::encode(view(data))}}, "latest"});
  if (!r) return r.error();
  return hex::decode(r->as_string()).value_or(Bytes{});
}

Result<void> DevChain::set_code(const Address& at, const Bytes& runtime_code) {
  auto r = rpc_ok("anvil_setCode", json::array{hex::encode(view(at)), hex::encode(view(runtime_code))});
  if (!r) return r.error();
  return {};
}

Result<void> DevChain::impersonate(const Address& who) {
  auto a = rpc_ok("anvil_impersonateAccount", json::array{hex::encode(view(who))});
  if (!a) return a.error();
  auto b = rpc_ok("anvil_setBalance", json::array{hex::encode(view(who)), "0x56bc75e2d63100000"});  // 100 ETH
  if (!b) return b.error();
  return {};
}

Result<std::uint64_t> DevChain::block_number() {
  auto r = rpc_ok("eth_blockNumber", {});
  if (!r) return r.error();
  return *hex::decode_quantity(r->as_string());
}

Result<std::uint64_t> DevChain::block_timestamp(std::uint64_t block_num) {
  auto r = rpc_ok("eth_getBlockByNumber", json::array{hex::encode_quantity(block_num), false});
  if (!r) return r.error();
  return *hex::decode_quantity(r->at("timestamp").as_string());
}

Result<void> DevChain::mine(std::uint64_t blocks) {
  auto r = rpc_ok("anvil_mine", json::array{hex::encode_quantity(blocks)});
  if (!r) return r.error();
  return {};
}

Result<void> DevChain::set_automine(bool on) {
  auto r = rpc_ok("evm_setAutomine", json::array{on});
  if (!r) return r.error();
  return {};
}

Bytes encode_call(std::string_view signature, std::initializer_list<std::array<std::uint8_t, 32>> words) {
  return abi::call_data(selector(signature), words);
}

Bytes with_string_and_uint8(const Bytes& creation_code, std::string_view s, unsigned u) {
  Bytes out = creation_code;
  abi::put(out, abi::uint_word(64));
  abi::put(out, abi::uint_word(u));
  abi::put_bytes(out, view(s));
  return out;
}

}  // namespace creditscope::devnet
