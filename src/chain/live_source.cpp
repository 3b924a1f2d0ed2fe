#include "chain/live_source.hpp"

#include <algorithm>
#include <map>

#include "chain/abi.hpp"
#include "chain/blocks.hpp"
#include "chain/contract_calls.hpp"
#include "chain/deployment_block.hpp"
#include "chain/token_metadata.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"

namespace creditscope::chain {

Result<TokenReads> read_tokens(RpcClient& rpc, const ChainSettings& settings, const std::set<Address>& tokens,
                               const std::set<std::pair<Address, Address>>& pairs, std::uint64_t block_num) {
  static const auto kSymbol = selector("symbol()");
  static const auto kDecimals = selector("decimals()");
  static const auto kBalanceOf = selector("balanceOf(address)");
  std::vector<ContractCall> calls;
  calls.reserve(tokens.size() * 2 + pairs.size());
  for (const auto& t : tokens) {
    calls.push_back({t, abi::call_data(kSymbol)});
    calls.push_back({t, abi::call_data(kDecimals)});
  }
  for (const auto& [account, token] : pairs)
    calls.push_back({token, abi::call_data(kBalanceOf, {abi::address_word(account)})});
  TokenReads out;
  if (calls.empty()) return out;
  auto results = call_contracts(rpc, calls, block_num, CallOptions{settings.multicall3, settings.eth_call_gas_cap, 300});
  if (!results) return results.error();
  std::size_t i = 0;
  for (const auto& t : tokens) {
    out.metadata[t] = {decode_symbol((*results)[i]), decode_decimals((*results)[i + 1])};
    i += 2;
  }
  for (const auto& pair : pairs) out.balances[pair] = decode_balance((*results)[i++]);
  return out;
}

Result<std::vector<TokenHolding>> build_holdings(RpcClient& rpc, const ChainSettings& settings,
                                                 const Address& account, std::vector<TokenTransfer> transfers,
                                                 std::uint64_t block_num) {
  std::map<Address, TokenHolding> by_token;
  std::set<Address> tokens;
  std::set<std::pair<Address, Address>> pairs;
  for (auto& t : transfers) {
    tokens.insert(t.token);
    pairs.insert({account, t.token});
    auto& h = by_token[t.token];
    h.token = t.token;
    h.transfers.push_back(std::move(t));
  }
  auto reads = read_tokens(rpc, settings, tokens, pairs, block_num);
  if (!reads) return reads.error();
  std::vector<TokenHolding> out;
  out.reserve(by_token.size());
  for (auto& [token, h] : by_token) {
    h.metadata = reads->metadata.at(token);
    h.balance = reads->balances.at({account, token});
    out.push_back(std::move(h));
  }
  return out;
}

LiveAccountSource::LiveAccountSource(const ChainSettings& settings, std::shared_ptr<RpcClient> rpc)
    : settings_(settings), rpc_(std::move(rpc)), tuner_(settings.logs_initial_span, settings.logs_max_span) {}

BackfillStatus LiveAccountSource::status(const Address& credit_account) {
  BackfillStatus s;
  std::lock_guard lock(mutex_);
  auto it = scans_.find(credit_account);
  if (it == scans_.end()) {
    s.state = BackfillStatus::State::kReady;
    s.progress = 1;
    return s;
  }
  const Scan& scan = it->second;
  s.state = BackfillStatus::State::kBackfilling;
  s.from_block = scan.from;
  s.to_block = scan.to;
  s.scanned_through = scan.scanned;
  const double span = static_cast<double>(scan.to - scan.from + 1), done = static_cast<double>(scan.scanned - scan.from);
  s.progress = span > 0 ? std::clamp(done / span, 0.0, 1.0) : 1;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - scan.started).count();
  if (s.progress > 0.01) s.eta_s = elapsed / s.progress * (1 - s.progress);
  return s;
}

Result<std::uint64_t> LiveAccountSource::start_block(std::uint64_t head) {
  if (!settings_.start_block_factory) return settings_.start_block;
  if (auto known = factory_block_.load(); known >= 0) return static_cast<std::uint64_t>(known);
  auto found = find_deployment_block(*rpc_, settings_.credit_account.proxy_factory, head);
  if (!found) return found.error();
  factory_block_ = static_cast<std::int64_t>(*found);
  return *found;
}

Result<AccountAnswer> LiveAccountSource::snapshot(const Address& credit_account) {
  auto block_num = fetch_head(*rpc_);
  if (!block_num) return block_num.error();

  auto snap = std::make_shared<AccountSnapshot>();
  snap->credit_account = credit_account;
  snap->snapshot_block = *block_num;
  auto start = start_block(*block_num);
  if (!start) return start.error();
  if (*start > *block_num) return AccountAnswer{snap, *block_num};  // nothing can have happened yet
  // The scan's progress, for status() while it runs (the CLI's progress bar).
  const auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    scans_[credit_account] = Scan{*start, *block_num, *start, started};
  }
  struct Done {
    LiveAccountSource* self;
    Address account;
    ~Done() {
      std::lock_guard lock(self->mutex_);
      self->scans_.erase(account);
    }
  } done{this, credit_account};
  std::vector<TokenTransfer> collected;
  ScanOptions options;
  options.on_progress = [&](std::uint64_t through, std::vector<TokenTransfer>& found) -> Result<void> {
    collected.insert(collected.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
    std::lock_guard lock(mutex_);
    scans_[credit_account].scanned = through;
    return {};
  };
  if (auto scanned = fetch_transfer_logs(*rpc_, {credit_account}, *start, *block_num, tuner_, options); !scanned)
    return scanned.error();
  if (auto filled = fill_block_timestamps(*rpc_, collected); !filled) return filled.error();
  auto holdings = build_holdings(*rpc_, settings_, credit_account, std::move(collected), *block_num);
  if (!holdings) return holdings.error();
  snap->holdings = std::move(*holdings);
  return AccountAnswer{snap, *block_num};
}

}  // namespace creditscope::chain
