#include "indexer/chain_indexer.hpp"

#include <algorithm>
#include <iostream>

#include "chain/abi.hpp"
#include "chain/blocks.hpp"
#include "chain/deployment_block.hpp"
#include "chain/live_source.hpp"
#include "chain/token_metadata.hpp"
#include "core/address.hpp"
#include "core/keccak.hpp"
#include "core/metrics.hpp"

namespace creditscope::indexer {
namespace {
constexpr MetricFamily kBackfillsMetric{"creditscope_backfills_total", "Account backfills finished (one per account), by outcome (ok, error)"};
constexpr MetricFamily kFollowStepsMetric{"creditscope_follow_steps_total", "Head follower steps that committed new blocks"};
constexpr MetricFamily kReorgsMetric{"creditscope_reorgs_total", "Reorgs detected and rolled back"};
constexpr MetricFamily kBackfillsQueuedMetric{"creditscope_backfills_queued", "Accounts waiting for a backfill sweep"};
constexpr MetricFamily kBackfillsRunningMetric{"creditscope_backfills_running", "Backfill sweeps running"};
constexpr MetricFamily kFollowErrorsMetric{"creditscope_follow_errors_total", "Head follower steps that failed (retried on the next poll)"};
}  // namespace
using Clock = std::chrono::steady_clock;

ChainIndexer::ChainIndexer(chain::ChainSettings settings, IndexerOptions options,
                           std::shared_ptr<chain::RpcClient> rpc, store::Store& store)
    : settings_(std::move(settings)),
      options_(options),
      rpc_(std::move(rpc)),
      store_(store),
      tuner_(settings_.logs_initial_span, settings_.logs_max_span),
      start_block_(settings_.start_block) {}

ChainIndexer::~ChainIndexer() { stop(); }

std::uint64_t ChainIndexer::head() const {
  std::lock_guard lock(state_mutex_);
  return head_;
}

void ChainIndexer::start() {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.backfill_workers); ++i)
    workers_.emplace_back([this] { backfill_worker(); });
  follower_ = std::thread([this] { follower_loop(); });
}

Result<void> ChainIndexer::load() {
  const std::string& chain = settings_.name;
  auto genesis = chain::fetch_headers(*rpc_, {0});
  if (!genesis) return genesis.error();
  std::uint64_t tag = 0;
  for (int i = 0; i < 7; ++i) tag = tag << 8 | genesis->at(0).hash.bytes[static_cast<std::size_t>(i)];
  auto dropped = store_.set_chain_identity(chain, settings_.chain_id, tag);
  if (!dropped) return dropped.error();
  if (*dropped) std::cerr << "store held another network's index for " << chain << ": dropped it\n";
  if (settings_.start_block_factory) {
    // Once per store: where the factory was deployed. No credit account existed before it.
    const std::string key = "factory_block:" + to_checksum(settings_.credit_account.proxy_factory);
    auto known = store_.chain_value(chain, key);
    if (!known) return known.error();
    if (!*known) {
      auto node_head = chain::fetch_head(*rpc_);
      if (!node_head) return node_head.error();
      auto found = chain::find_deployment_block(*rpc_, settings_.credit_account.proxy_factory, *node_head);
      if (!found) return found.error();
      if (auto r = store_.set_chain_value(chain, key, *found); !r) return r;
      std::cerr << chain << ": proxy_factory deployed in block " << *found << "; accounts are scanned from there\n";
      *known = *found;
    }
    start_block_ = **known;
  }
  auto head = store_.chain_head(chain);
  if (!head) return head.error();
  auto hashes = store_.block_hashes(chain);
  if (!hashes) return hashes.error();
  auto tokens = store_.tokens(chain);
  if (!tokens) return tokens.error();
  auto accounts = store_.accounts(chain);
  if (!accounts) return accounts.error();
  std::vector<Address> resume;
  {
    std::lock_guard sync(sync_mutex_);
    hashes_ = std::move(*hashes);
    {
      std::lock_guard lock(state_mutex_);
      tokens_ = std::move(*tokens);
      head_known_ = head->has_value();
      head_ = head->value_or(0);
    }
    for (const auto& a : *accounts) {
      if (head->has_value() && a.synced_through >= **head) {
        if (auto r = load_account(a.account); !r) return r;
      } else {
        resume.push_back(a.account);  // a backfill was interrupted: finish it in the background
      }
    }
    last_full_refresh_ = Clock::now();
    std::lock_guard lock(state_mutex_);
    loaded_ = true;
  }
  loaded_cv_.notify_all();
  for (const auto& a : resume) backfill_future(a);
  return {};
}

void ChainIndexer::stop() {
  stopping_ = true;
  wake_.notify_all();
  {
    std::lock_guard lock(backfill_mutex_);  // so no worker misses the wake-up between check and wait
  }
  backfill_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
  // Accounts still queued get an answer too, so no request waits for a sweep that will not come.
  std::vector<Address> left;
  {
    std::lock_guard lock(backfill_mutex_);
    left.assign(queue_.begin(), queue_.end());
    queue_.clear();
  }
  for (const auto& a : left) settle(a, make_error(Errc::kUpstream, "shutting down"));
}

std::optional<AccountAnswer> ChainIndexer::peek(const Address& account) {
  std::lock_guard lock(state_mutex_);
  if (!consistent_) return std::nullopt;
  auto it = followed_.find(account);
  if (it == followed_.end()) return std::nullopt;
  return AccountAnswer{it->second.snapshot, head_};
}

std::uint64_t ChainIndexer::before_start() const {
  const std::uint64_t start = start_block_;
  return start ? start - 1 : 0;
}

BackfillStatus ChainIndexer::status(const Address& account) {
  BackfillStatus out;
  {
    std::lock_guard lock(state_mutex_);
    if (followed_.count(account)) {
      out.state = BackfillStatus::State::kReady;
      out.from_block = start_block_;
      out.to_block = out.scanned_through = head_;
      out.progress = 1;
      out.eta_s = 0;
      return out;
    }
  }
  std::lock_guard lock(backfill_mutex_);
  auto it = progress_.find(account);
  if (it == progress_.end()) return out;  // unknown: nobody asked for it yet (or its backfill failed)
  const Progress& p = it->second;
  out.state = BackfillStatus::State::kBackfilling;
  out.from_block = p.from;
  out.to_block = std::max(p.to, p.from);
  out.scanned_through = p.scanned;
  if (p.running && p.to >= p.from) {
    const double total = static_cast<double>(p.to - p.from + 1);
    const double done = p.scanned >= p.from ? static_cast<double>(p.scanned - p.from + 1) : 0;
    out.progress = std::clamp(done / total, 0.0, 1.0);
    const double elapsed = std::chrono::duration<double>(Clock::now() - p.started).count();
    if (out.progress > 0) out.eta_s = elapsed / out.progress * (1 - out.progress);
  }
  return out;
}

Result<AccountAnswer> ChainIndexer::snapshot(const Address& account) {
  if (auto warm = peek(account)) return *warm;
  const auto deadline = Clock::now() + options_.request_deadline;
  {
    // Just after start the follower may still be loading the index: wait for it, within the deadline.
    std::unique_lock lock(state_mutex_);
    // A load that already failed means the node is unreachable: say so now rather than at the deadline.
    loaded_cv_.wait_until(lock, deadline, [this] { return loaded_ || load_failed_; });
    if (!loaded_) return make_error(Errc::kUpstream, "index of " + settings_.name + " is not loaded yet (node unreachable?)");
    if (!consistent_) return make_error(Errc::kUpstream, "index of " + settings_.name + " is recovering from a reorg");
  }
  if (auto warm = peek(account)) return *warm;  // loaded from the store while we waited
  auto future = backfill_future(account);
  if (future.wait_until(deadline) != std::future_status::ready)
    return make_error(Errc::kBackfilling, "backfill of " + to_checksum(account) + " still running");
  auto result = future.get();
  if (!result) return result.error();
  if (auto warm = peek(account)) return *warm;
  return make_error(Errc::kUpstream, "index of " + settings_.name + " is recovering from a reorg");
}

std::shared_future<Result<void>> ChainIndexer::backfill_future(const Address& account) {
  std::lock_guard lock(backfill_mutex_);
  if (auto it = backfills_.find(account); it != backfills_.end()) {
    // A failed backfill is forgotten so the next request starts a fresh one.
    auto& f = it->second;
    if (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready || f.get()) return f;
  }
  auto promise = std::make_shared<std::promise<Result<void>>>();
  std::shared_future<Result<void>> future = promise->get_future().share();
  backfills_[account] = future;
  promises_[account] = promise;
  queue_.push_back(account);
  last_arrival_ = Clock::now();
  progress_[account] = Progress{start_block_, 0, before_start(), last_arrival_, false};
  publish_backfill_gauges();
  backfill_cv_.notify_all();
  return future;
}

void ChainIndexer::publish_backfill_gauges() {
  Metrics::global().set(kBackfillsQueuedMetric, {{"chain", settings_.name}}, static_cast<double>(queue_.size()));
  Metrics::global().set(kBackfillsRunningMetric, {{"chain", settings_.name}}, static_cast<double>(running_));
}

void ChainIndexer::backfill_worker() {
  std::unique_lock lock(backfill_mutex_);
  while (!stopping_) {
    if (queue_.empty() || gathering_) {
      backfill_cv_.wait(lock);
      continue;
    }
    // Gather the burst this arrival belongs to, so that accounts asked for together share a sweep.
    gathering_ = true;
    const auto first = Clock::now();
    for (;;) {
      const auto until = std::min(last_arrival_ + options_.burst_quiet, first + options_.burst_max);
      if (stopping_ || Clock::now() >= until) break;
      backfill_cv_.wait_until(lock, until);
    }
    std::vector<Address> batch;
    while (!queue_.empty() && batch.size() < options_.accounts_per_filter) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    gathering_ = false;
    ++running_;
    publish_backfill_gauges();
    backfill_cv_.notify_all();  // another worker may gather what is left
    lock.unlock();
    sweep(batch);
    lock.lock();
    --running_;
    publish_backfill_gauges();
  }
}

void ChainIndexer::settle(const Address& account, Result<void> result) {
  std::shared_ptr<std::promise<Result<void>>> promise;
  {
    std::lock_guard lock(backfill_mutex_);
    auto it = promises_.find(account);
    if (it == promises_.end()) return;  // settled already
    promise = std::move(it->second);
    promises_.erase(it);
    progress_.erase(account);
  }
  Metrics::global().inc(kBackfillsMetric, {{"chain", settings_.name}, {"outcome", result ? "ok" : "error"}});
  if (!result)
    std::cerr << "backfill of " << to_checksum(account) << " on " << settings_.name << " failed: " << result.error().message << "\n";
  promise->set_value(std::move(result));
}

void ChainIndexer::sweep(const std::vector<Address>& accounts) {
  const std::string& chain = settings_.name;
  const std::uint64_t before_start = this->before_start();
  // Accounts share a sweep only when their stored history ends at the same block (new accounts
  // all do; resumed ones may not).
  std::map<std::uint64_t, std::vector<Address>> groups;
  for (const auto& a : accounts) {
    auto added = store_.add_account(chain, a, before_start);
    auto stored = added ? store_.account(chain, a) : Result<std::optional<store::StoredAccount>>(added.error());
    if (!stored) settle(a, stored.error());
    else if (!*stored) settle(a, make_error(Errc::kInternal, "account vanished from the store"));
    else groups[(*stored)->synced_through].push_back(a);
  }
  for (const auto& [_, group] : groups) {
    auto r = run_backfill(group, [&](const Address& a) { settle(a, Result<void>{}); });
    // Accounts answered already hold success; a failed commit after that removed them itself.
    for (const auto& a : group) settle(a, r);
  }
}

Result<std::vector<TokenTransfer>> ChainIndexer::fetch_range(const std::vector<Address>& accounts, std::uint64_t from,
                                                             std::uint64_t to) {
  std::vector<TokenTransfer> out;
  for (std::size_t i = 0; i < accounts.size(); i += options_.accounts_per_filter) {
    std::vector<Address> chunk(accounts.begin() + static_cast<std::ptrdiff_t>(i),
                               accounts.begin() + static_cast<std::ptrdiff_t>(std::min(accounts.size(), i + options_.accounts_per_filter)));
    auto logs = chain::fetch_transfer_logs(*rpc_, chunk, from, to, tuner_);
    if (!logs) return logs.error();
    out.insert(out.end(), logs->begin(), logs->end());
  }
  if (auto r = chain::fill_block_timestamps(*rpc_, out); !r) return r.error();
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.block_num, a.log_index) < std::tie(b.block_num, b.log_index);
  });
  // One log can name two tracked accounts (a transfer between them): keep it once.
  out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) {
              return a.block_num == b.block_num && a.log_index == b.log_index;
            }), out.end());
  return out;
}

Result<void> ChainIndexer::read_tokens_and_balances(const std::set<std::pair<Address, Address>>& pairs,
                                                    std::uint64_t block, store::SyncStep& step) {
  std::set<Address> unseen;
  {
    std::lock_guard lock(state_mutex_);
    for (const auto& [account, token] : pairs)
      if (!tokens_.count(token)) unseen.insert(token);
  }
  auto reads = chain::read_tokens(*rpc_, settings_, unseen, pairs, block);
  if (!reads) return reads.error();
  for (const auto& [token, meta] : reads->metadata) step.tokens.emplace_back(token, meta);
  for (const auto& [pair, raw] : reads->balances) step.balances.push_back({pair.first, pair.second, raw, block});
  return {};
}

Result<void> ChainIndexer::load_account(const Address& account) {
  auto transfers = store_.transfers(settings_.name, account);
  if (!transfers) return transfers.error();
  // Only this account's rows: loading every account at start or after a rollback stays linear.
  auto balances = store_.balances(settings_.name, account);
  if (!balances) return balances.error();
  install_account(account, std::move(*transfers), *balances);
  return {};
}

void ChainIndexer::install_account(const Address& account, std::vector<TokenTransfer> transfers,
                                   const std::vector<store::StoredBalance>& balances) {
  AccountState state;
  state.transfers = std::move(transfers);
  for (const auto& b : balances) state.balances[b.token] = b.raw;
  // A token whose balance is not stored (e.g. removed by a rollback) is re-read next step.
  for (const auto& t : state.transfers)
    if (!state.balances.count(t.token)) dirty_balances_.insert({account, t.token});
  std::lock_guard lock(state_mutex_);
  state.snapshot = build_snapshot(account, state);
  followed_[account] = std::move(state);
}

std::shared_ptr<const AccountSnapshot> ChainIndexer::build_snapshot(const Address& account,
                                                                   const AccountState& state) const {
  auto snap = std::make_shared<AccountSnapshot>();
  snap->credit_account = account;
  snap->snapshot_block = head_;
  std::map<Address, TokenHolding> by_token;
  for (const auto& t : state.transfers) {
    auto& h = by_token[t.token];
    h.token = t.token;
    h.transfers.push_back(t);
  }
  for (auto& [token, h] : by_token) {
    auto meta = tokens_.find(token);
    h.metadata = meta != tokens_.end() ? meta->second : TokenMetadata{chain::kUnknownSymbol, 0};
    auto bal = state.balances.find(token);
    h.balance = bal != state.balances.end() ? bal->second : U256(0);
    snap->holdings.push_back(std::move(h));
  }
  return snap;
}

Result<void> ChainIndexer::run_backfill(const std::vector<Address>& group,
                                       const std::function<void(const Address&)>& answerable) {
  const std::string& chain = settings_.name;
  const std::uint64_t before_start = this->before_start();
  const std::set<Address> members(group.begin(), group.end());
  // A log names at most two accounts of the group: each of them gets it (a self-transfer once).
  auto split = [&](const std::vector<TokenTransfer>& transfers, std::map<Address, std::vector<TokenTransfer>>& into) {
    for (const auto& t : transfers) {
      if (members.count(t.to)) into[t.to].push_back(t);
      if (members.count(t.from) && t.from != t.to) into[t.from].push_back(t);
    }
  };
  // The transfers this run committed, so that the last step need not read them back from the
  // store. Unknown when an earlier run made progress, or once a rollback may have removed some.
  std::optional<std::map<Address, std::vector<TokenTransfer>>> committed;
  if (auto stored = store_.account(chain, group.front()); stored && *stored && (*stored)->synced_through == before_start)
    committed.emplace();
  std::uint64_t start_epoch;
  {
    std::lock_guard sync(sync_mutex_);
    start_epoch = reorg_epoch_;
  }
  auto commit_progress = [&](std::uint64_t through, std::vector<TokenTransfer>& transfers) -> Result<void> {
    store::SyncStep step;
    step.accounts = group;
    step.synced_through = through;
    step.transfers = transfers;
    if (auto r = store_.commit(chain, step); !r) return r;
    if (committed) split(transfers, *committed);
    transfers.clear();
    return {};
  };
  for (;;) {
    if (stopping_) return make_error(Errc::kUpstream, "shutting down");
    auto stored = store_.account(chain, group.front());
    if (!stored) return stored.error();
    if (!*stored) return make_error(Errc::kInternal, "account vanished from the store");
    const std::uint64_t cur = (*stored)->synced_through;
    std::uint64_t head;
    bool known;
    std::uint64_t epoch;
    {
      std::lock_guard sync(sync_mutex_);
      epoch = reorg_epoch_;
      std::lock_guard lock(state_mutex_);
      head = head_;
      known = head_known_;
    }
    if (!known) {  // the follower has not reached the node yet
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    {
      std::lock_guard lock(backfill_mutex_);
      for (const auto& a : group) {
        auto& p = progress_[a];
        if (!p.running) p = Progress{cur + 1, head, cur, Clock::now(), true};
        p.to = head;
      }
    }
    std::vector<TokenTransfer> tail;  // scanned, not yet committed; ascending
    std::uint64_t through = cur, last_commit = cur;
    bool restart = false;
    if (cur < head) {
      // The bulk of the history, outside the locks so the follower keeps going. Commits follow the
      // scan's in-order progress; they never cut the scan's ranges.
      chain::ScanOptions scan;
      scan.on_progress = [&](std::uint64_t t, std::vector<TokenTransfer>& chunk) -> Result<void> {
        if (auto r = chain::fill_block_timestamps(*rpc_, chunk); !r) return r;
        tail.insert(tail.end(), std::make_move_iterator(chunk.begin()), std::make_move_iterator(chunk.end()));
        through = t;
        {
          std::lock_guard lock(backfill_mutex_);
          for (const auto& a : group) progress_[a].scanned = t;
        }
        if (t >= head || t - last_commit < options_.backfill_commit_blocks) return {};
        std::lock_guard sync(sync_mutex_);
        if (reorg_epoch_ != epoch) {
          restart = true;  // scanned across a rollback: scan again from what the store holds
          return make_error(Errc::kUpstream, "reorg during backfill");
        }
        last_commit = t;
        return commit_progress(t, tail);
      };
      auto scanned = chain::fetch_transfer_logs(*rpc_, group, cur + 1, head, tuner_, scan);
      if (!scanned) {
        if (restart) continue;
        return scanned.error();
      }
    }
    std::lock_guard sync(sync_mutex_);
    if (reorg_epoch_ != epoch) continue;  // fetched across a rollback: fetch again
    std::uint64_t target;
    {
      std::lock_guard lock(state_mutex_);
      target = head_;
    }
    if (through < target) {
      // The follower moved on meanwhile: make this durable and scan the rest.
      if (auto r = commit_progress(through, tail); !r) return r;
      continue;
    }
    // Caught up with the follower's head: join the followed set under the lock, so no follower step
    // can slip in, in one commit with the last range, the token reads and the balances.
    std::map<Address, std::vector<TokenTransfer>> all;
    if (committed && reorg_epoch_ == start_epoch) {
      all = std::move(*committed);
    } else {
      for (const auto& a : group) {
        auto from_store = store_.transfers(chain, a);
        if (!from_store) return from_store.error();
        all[a] = std::move(*from_store);
      }
    }
    split(tail, all);
    std::set<std::pair<Address, Address>> pairs;
    for (const auto& [a, transfers] : all)
      for (const auto& t : transfers) pairs.insert({a, t.token});
    store::SyncStep step;
    step.accounts = group;
    step.synced_through = through;
    step.transfers = std::move(tail);
    if (auto r = read_tokens_and_balances(pairs, through, step); !r) return r;
    {
      std::lock_guard lock(state_mutex_);
      for (const auto& [token, meta] : step.tokens) tokens_[token] = meta;
    }
    // The answers are complete and correct now; waiting requests need not wait for the disk. The
    // follower waits (sync_mutex_), so nothing is followed that the store does not hold once the
    // commit is done. If the commit fails the accounts are dropped again and the next request
    // backfills afresh.
    for (const auto& a : group) {
      std::vector<store::StoredBalance> balances;
      for (const auto& b : step.balances)
        if (b.account == a) balances.push_back(b);
      install_account(a, std::move(all[a]), balances);
      answerable(a);
    }
    if (auto r = store_.commit(chain, step); !r) {
      {
        // First forget these backfills: a request that finds an account gone starts a fresh one.
        std::lock_guard lock(backfill_mutex_);
        for (const auto& a : group) backfills_.erase(a);
      }
      std::lock_guard lock(state_mutex_);
      for (const auto& a : group) followed_.erase(a);
      return r;
    }
    return {};
  }
}

Result<bool> ChainIndexer::follow_once() {
  const std::string& chain = settings_.name;
  auto node_head = chain::fetch_head(*rpc_);
  if (!node_head) return node_head.error();
  std::lock_guard sync(sync_mutex_);
  std::uint64_t head;
  bool known;
  {
    std::lock_guard lock(state_mutex_);
    head = head_;
    known = head_known_;
  }
  if (!known) {
    // First contact: start following from the node's head. Earlier history comes from backfills.
    auto hdr = chain::fetch_headers(*rpc_, {*node_head});
    if (!hdr) return hdr.error();
    store::SyncStep step;
    step.chain_head = *node_head;
    step.synced_through = *node_head;
    step.block_hashes = {{*node_head, hdr->at(*node_head).hash}};
    if (auto r = store_.commit(chain, step); !r) return r.error();
    hashes_[*node_head] = hdr->at(*node_head).hash;
    std::lock_guard lock(state_mutex_);
    head_ = *node_head;
    head_known_ = true;
    return false;
  }
  if (*node_head < head && head - *node_head > options_.finality_depth)
    return make_error(Errc::kUpstream, "node head " + std::to_string(*node_head) + " lags far behind the index");

  // Reorg check: does the node still have our head (or, if it is behind, its own head) as we saw it?
  const std::uint64_t check = std::min(*node_head, head);
  const std::uint64_t target = std::min(*node_head, head + options_.max_follow_step);
  std::vector<std::uint64_t> wanted;
  if (hashes_.count(check)) wanted.push_back(check);
  const std::uint64_t window_low = target >= options_.finality_depth ? target - options_.finality_depth + 1 : 0;
  for (std::uint64_t b = std::max(head + 1, window_low); b <= target; ++b) wanted.push_back(b);
  auto headers = chain::fetch_headers(*rpc_, wanted);
  if (!headers) return headers.error();
  if (hashes_.count(check) && headers->at(check).hash != hashes_.at(check)) {
    if (auto r = handle_reorg(); !r) return r.error();
    return true;  // re-sync from the fork point right away
  }
  if (target <= head) return false;
  // The first new block must extend our head, else the head was replaced after the check above.
  if (auto first = headers->find(head + 1); first != headers->end() && hashes_.count(head) &&
                                            first->second.parent_hash != hashes_.at(head))
    return true;  // caught mid-reorg: the next step's check sees it

  std::vector<Address> accounts;
  {
    std::lock_guard lock(state_mutex_);
    for (const auto& [a, _] : followed_) accounts.push_back(a);
  }
  auto transfers = fetch_range(accounts, head + 1, target);
  if (!transfers) return transfers.error();
  // Did the chain change under our feet while we read the logs?
  auto recheck = chain::fetch_headers(*rpc_, {target});
  if (!recheck) return recheck.error();
  if (headers->count(target) && recheck->at(target).hash != headers->at(target).hash) return true;

  std::set<std::pair<Address, Address>> pairs = std::move(dirty_balances_);
  dirty_balances_.clear();
  {
    // Balances to re-read: the followed side(s) of every new transfer.
    std::lock_guard lock(state_mutex_);
    for (const auto& t : *transfers) {
      if (followed_.count(t.to)) pairs.insert({t.to, t.token});
      if (followed_.count(t.from)) pairs.insert({t.from, t.token});
    }
  }
  const bool full_refresh = Clock::now() - last_full_refresh_ >= options_.balance_refresh;
  if (full_refresh) {
    // Rebasing tokens move balances without Transfer events.
    std::lock_guard lock(state_mutex_);
    for (const auto& [a, st] : followed_)
      for (const auto& [token, _] : st.balances) pairs.insert({a, token});
  }
  store::SyncStep step;
  step.accounts = accounts;
  step.synced_through = target;
  step.chain_head = target;
  step.transfers = std::move(*transfers);
  for (const auto& [num, hdr] : *headers)
    if (num > head) step.block_hashes.emplace_back(num, hdr.hash);
  step.forget_hashes_below = window_low;
  if (auto r = read_tokens_and_balances(pairs, target, step); !r) {
    dirty_balances_.insert(pairs.begin(), pairs.end());
    return r.error();
  }
  if (auto r = store_.commit(chain, step); !r) {
    dirty_balances_.insert(pairs.begin(), pairs.end());
    return r.error();
  }
  if (full_refresh) last_full_refresh_ = Clock::now();
  for (const auto& [num, hash] : step.block_hashes) hashes_[num] = hash;
  hashes_.erase(hashes_.begin(), hashes_.lower_bound(window_low));

  std::lock_guard lock(state_mutex_);
  for (const auto& [token, meta] : step.tokens) tokens_[token] = meta;
  std::set<Address> changed;
  for (const auto& t : step.transfers) {
    for (const Address* side : {&t.to, &t.from}) {
      auto it = followed_.find(*side);
      if (it == followed_.end() || (side == &t.from && t.from == t.to)) continue;
      it->second.transfers.push_back(t);
      changed.insert(*side);
    }
  }
  for (const auto& b : step.balances) {
    auto it = followed_.find(b.account);
    if (it == followed_.end()) continue;
    auto [slot, inserted] = it->second.balances.try_emplace(b.token, b.raw);
    if (inserted || slot->second != b.raw) changed.insert(b.account);
    slot->second = b.raw;
  }
  const bool was_consistent = consistent_;
  head_ = target;
  consistent_ = true;
  for (auto& [a, st] : followed_)
    if (changed.count(a) || !was_consistent) st.snapshot = build_snapshot(a, st);
  Metrics::global().inc(kFollowStepsMetric, {{"chain", chain}});
  return target < *node_head;
}

Result<void> ChainIndexer::handle_reorg() {
  const std::string& chain = settings_.name;
  std::vector<std::uint64_t> stored;
  for (const auto& [num, _] : hashes_) stored.push_back(num);
  auto node = chain::fetch_headers(*rpc_, stored);
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
    std::cerr << "reorg on " << chain << " deeper than the " << options_.finality_depth
              << " blocks kept: rolling back to " << fork << "; raise finality_depth\n";
  }
  std::cerr << "reorg on " << chain << ": rolling back above block " << fork << "\n";
  Metrics::global().inc(kReorgsMetric, {{"chain", chain}});
  if (auto r = store_.rollback_above(chain, fork); !r) return r;
  hashes_.erase(hashes_.upper_bound(fork), hashes_.end());
  ++reorg_epoch_;
  {
    std::lock_guard lock(state_mutex_);
    head_ = std::min(head_, fork);
    consistent_ = false;  // no answers until the next step brings the accounts to the new chain
  }
  std::vector<Address> accounts;
  {
    std::lock_guard lock(state_mutex_);
    for (const auto& [a, _] : followed_) accounts.push_back(a);
  }
  for (const auto& a : accounts)
    if (auto r = load_account(a); !r) return r;
  return {};
}

void ChainIndexer::follower_loop() {
  std::string last_error;
  while (!stopping_) {
    bool loaded;
    {
      std::lock_guard lock(state_mutex_);
      loaded = loaded_;
    }
    Result<bool> more = true;
    if (loaded) {
      more = follow_once();
    } else if (auto r = load(); !r) {
      more = r.error();
      {
        std::lock_guard lock(state_mutex_);
        load_failed_ = true;
      }
      loaded_cv_.notify_all();
    }
    if (!more) {
      Metrics::global().inc(kFollowErrorsMetric, {{"chain", settings_.name}});
      // A node that stays down would repeat the same line every poll: say it once.
      if (more.error().message != last_error) std::cerr << "follower " << settings_.name << ": " << more.error().message << "\n";
      last_error = more.error().message;
    } else {
      last_error.clear();
    }
    if (more && *more) continue;
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_.load(); });
  }
}

}  // namespace creditscope::indexer
