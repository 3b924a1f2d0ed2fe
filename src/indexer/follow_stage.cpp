#include "indexer/follow_stage.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "chain/blocks.hpp"
#include "chain/transfer_logs.hpp"
#include "core/metrics.hpp"
#include "indexer/token_state.hpp"

namespace creditscope::indexer {
namespace {
constexpr MetricFamily kFollowStepsMetric{"creditscope_follow_steps_total", "Head follower steps that committed new blocks"};
constexpr MetricFamily kReorgsMetric{"creditscope_reorgs_total", "Reorgs detected and rolled back"};
constexpr MetricFamily kRefreshReadsMetric{"creditscope_balance_refresh_reads_total", "Balances re-read by the spread-out periodic refresh"};
constexpr std::size_t kStaleReadsPerStep = 1000;
}  // namespace

FollowStage::FollowStage(const chain::ChainSettings& settings, FollowOptions options, chain::RpcClient& rpc,
                         store::ChainStore store, chain::LogRangeTuner& tuner)
    : settings_(settings), options_(options), rpc_(rpc), store_(std::move(store)), tuner_(tuner) {}

Result<void> FollowStage::load() {
  auto head = store_.chain_head();
  if (!head) return head.error();
  auto hashes = store_.block_hashes();
  if (!hashes) return hashes.error();
  head_known_ = head->has_value();
  head_ = head->value_or(0);
  hashes_ = std::move(*hashes);
  auto pairs = store_.balance_count();
  if (!pairs) return pairs.error();
  refresh_after_ = {};
  refresh_seen_ = 0;
  refresh_page_ = refresh_page_for(*pairs);
  return {};
}

std::size_t FollowStage::refresh_page_for(std::uint64_t pairs) const {
  const double steps = std::max(1.0, static_cast<double>(options_.balance_refresh.count()) * 1000.0 /
                                         static_cast<double>(std::max<std::int64_t>(1, options_.poll_interval.count())));
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(static_cast<double>(pairs) / steps)));
}

Result<std::vector<std::pair<Address, Address>>> FollowStage::refresh_page() {
  if (options_.balance_refresh.count() == 0) return std::vector<std::pair<Address, Address>>{};
  return store_.balance_pairs(refresh_after_, refresh_page_);
}

Result<FollowOutcome> FollowStage::step(std::uint64_t lease_epoch, const TrackedSet& tracked,
                                        std::set<Address>& known_tokens) {
  auto latest = chain::fetch_latest_header(rpc_);
  if (!latest) return latest.error();
  const std::uint64_t node = latest->block_num;
  FollowOutcome out;
  if (!head_known_) {
    // First contact: follow from the node's head. Earlier history comes from backfills.
    store::SyncStep first;
    first.lease_epoch = lease_epoch;
    first.chain_head = node;
    first.block_hashes = {{node, latest->hash}};
    if (auto r = store_.commit(first); !r) return r.error();
    hashes_[node] = latest->hash;
    head_ = node;
    head_known_ = true;
    out.head = head_;
    return out;
  }
  out.head = head_;
  auto replaced = [&](std::uint64_t block, const Hash32& hash) {
    auto it = hashes_.find(block);
    return it != hashes_.end() && it->second != hash;
  };
  if (node <= head_) {
    if (head_ - node > options_.finality_depth)
      return make_error(Errc::kUpstream, "node head " + std::to_string(node) + " lags far behind the index");
    if (replaced(node, latest->hash)) {
      if (auto r = unwind(lease_epoch); !r) return r.error();
      out = {true, true, head_, {}};
    }
    return out;
  }

  const std::uint64_t target = std::min(node, head_ + options_.max_follow_step);
  const std::uint64_t window_low = target >= options_.finality_depth ? target - options_.finality_depth + 1 : 0;
  std::vector<std::uint64_t> wanted;
  if (head_ + 1 < window_low && hashes_.count(head_)) wanted.push_back(head_);  // far behind: check our head itself
  for (std::uint64_t b = std::max(head_ + 1, window_low); b <= target; ++b)
    if (b != node) wanted.push_back(b);
  auto fetched = chain::fetch_headers(rpc_, wanted);
  if (!fetched) return fetched.error();
  std::map<std::uint64_t, chain::BlockHeader> headers = std::move(*fetched);
  if (target == node) headers[node] = *latest;
  // Does the node's chain still contain our head?
  const auto own = headers.find(head_);
  const auto next = headers.find(head_ + 1);
  if ((own != headers.end() && replaced(head_, own->second.hash)) ||
      (next != headers.end() && replaced(head_, next->second.parent_hash))) {
    if (auto r = unwind(lease_epoch); !r) return r.error();
    return FollowOutcome{true, true, head_, {}};
  }
  for (auto it = headers.upper_bound(head_); it != headers.end(); ++it) {
    auto prev = headers.find(it->first - 1);
    if (it->first > head_ + 1 && prev != headers.end() && it->second.parent_hash != prev->second.hash)
      return FollowOutcome{true, false, head_, {}};  // headers from two forks: caught mid-reorg, look again
  }

  const std::function<bool(const Address&)> match_tracked = [&tracked](const Address& a) { return tracked.count(a) > 0; };
  std::vector<TokenTransfer> transfers;
  if (!tracked.empty() && target == head_ + 1) {
    // One block: all its Transfers by the block's hash, matched here (one call whatever the set).
    auto logs = chain::fetch_block_transfer_logs(rpc_, headers.at(target).hash, target, {}, match_tracked);
    if (!logs && chain::classify_logs_error(logs.error().message).kind == chain::LogLimit::Kind::kResultCap) {
      // More Transfers in one block than the provider returns at once: ask by topic lists.
      std::vector<Address> all(tracked.begin(), tracked.end());
      std::map<std::pair<std::uint64_t, std::uint32_t>, TokenTransfer> unique;  // a log can name two chunks
      for (std::size_t i = 0; i < all.size(); i += options_.accounts_per_filter) {
        std::vector<Address> chunk(all.begin() + static_cast<std::ptrdiff_t>(i),
                                   all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + options_.accounts_per_filter)));
        auto part = chain::fetch_block_transfer_logs(rpc_, headers.at(target).hash, target, chunk, nullptr);
        if (!part) return part.error();
        for (auto& t : *part) unique.emplace(std::pair{t.block_num, t.log_index}, std::move(t));
      }
      logs = std::vector<TokenTransfer>{};
      for (auto& [_, t] : unique) logs->push_back(std::move(t));
    }
    if (!logs) return logs.error();
    transfers = std::move(*logs);
  } else if (!tracked.empty()) {
    // A range: topic lists (an in and an out list) while the set fits one, else every Transfer
    // of the range matched here; the scan splits ranges under the provider's caps.
    const bool match_all = tracked.size() > options_.accounts_per_filter;
    std::vector<Address> lists;
    if (!match_all) lists.assign(tracked.begin(), tracked.end());
    chain::ScanOptions scan;
    if (match_all) scan.match_any = match_tracked;
    auto logs = chain::fetch_transfer_logs(rpc_, lists, head_ + 1, target, tuner_, scan);
    if (!logs) return logs.error();
    transfers = std::move(*logs);
    // Logs of a range carry no block hash to pin them: did the chain change while we read them?
    auto recheck = chain::fetch_headers(rpc_, {target});
    if (!recheck) return recheck.error();
    if (recheck->at(target).hash != headers.at(target).hash) return FollowOutcome{true, false, head_, {}};
  }
  for (auto& t : transfers)
    if (auto h = headers.find(t.block_num); t.block_timestamp == 0 && h != headers.end()) t.block_timestamp = h->second.timestamp;
  if (auto r = chain::fill_block_timestamps(rpc_, transfers); !r) return r.error();  // only below the header window

  std::set<std::pair<Address, Address>> pairs;
  for (const auto& t : transfers) {
    if (tracked.count(t.to)) pairs.insert({t.to, t.token});
    if (tracked.count(t.from)) pairs.insert({t.from, t.token});
  }
  auto stale = store_.stale_balances(kStaleReadsPerStep);
  if (!stale) return stale.error();
  pairs.insert(stale->begin(), stale->end());
  // Rebasing tokens move balances without Transfer events: a page of the stored pairs every step,
  // sized so that all of them are read once per balance_refresh, never in one burst.
  auto refresh = refresh_page();
  if (!refresh) return refresh.error();
  pairs.insert(refresh->begin(), refresh->end());
  store::SyncStep step;
  if (auto r = read_token_state(rpc_, settings_, known_tokens, pairs, target, step); !r) return r.error();
  step.lease_epoch = lease_epoch;
  step.expected_head = head_;  // this step extends what this process committed: no gap if that was lost
  step.chain_head = target;
  step.transfers = std::move(transfers);
  for (const auto& [num, hdr] : headers)
    if (num > head_) step.block_hashes.emplace_back(num, hdr.hash);
  step.forget_hashes_below = window_low;
  if (auto r = store_.commit(step); !r) return r.error();

  for (const auto& [num, hash] : step.block_hashes) hashes_[num] = hash;
  hashes_.erase(hashes_.begin(), hashes_.lower_bound(window_low));
  for (const auto& [token, _] : step.tokens) known_tokens.insert(token);
  if (options_.balance_refresh.count()) {
    Metrics::global().inc(kRefreshReadsMetric, {{"chain", settings_.name}}, static_cast<double>(refresh->size()));
    refresh_seen_ += refresh->size();
    if (refresh->size() < refresh_page_) {  // a round is complete: size the next one's pages
      refresh_page_ = refresh_page_for(refresh_seen_);
      refresh_seen_ = 0;
      refresh_after_ = {};
    } else {
      refresh_after_ = refresh->back();
    }
  }
  head_ = target;
  Metrics::global().inc(kFollowStepsMetric, {{"chain", settings_.name}});
  std::set<Address> changed;
  for (const auto& t : step.transfers)
    for (const Address* side : {&t.from, &t.to})
      if (tracked.count(*side)) changed.insert(*side);
  for (const auto& b : step.balances) changed.insert(b.account);
  return FollowOutcome{target < node, false, head_, {changed.begin(), changed.end()}};
}

Result<void> FollowStage::unwind(std::uint64_t lease_epoch) {
  std::vector<std::uint64_t> stored;
  for (const auto& [num, _] : hashes_) stored.push_back(num);
  auto node = chain::fetch_headers(rpc_, stored);
  if (!node) return node.error();
  std::uint64_t fork = 0;
  bool found = false;
  for (auto it = hashes_.rbegin(); it != hashes_.rend(); ++it) {
    if (node->at(it->first).hash == it->second) {
      fork = it->first;
      found = true;
      break;
    }
  }
  if (!found) {
    fork = hashes_.empty() ? 0 : hashes_.begin()->first - 1;
    std::cerr << "reorg on " << settings_.name << " deeper than the " << options_.finality_depth
              << " blocks kept: rolling back to " << fork << "; raise finality_depth\n";
  }
  std::cerr << "reorg on " << settings_.name << ": rolling back above block " << fork << "\n";
  Metrics::global().inc(kReorgsMetric, {{"chain", settings_.name}});
  if (auto r = store_.rollback_above(fork, lease_epoch); !r) return r;
  hashes_.erase(hashes_.upper_bound(fork), hashes_.end());
  head_ = std::min(head_, fork);
  ++unwinds_;
  return {};
}

}  // namespace creditscope::indexer
