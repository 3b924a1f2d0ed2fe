#include "indexer/chain_indexer.hpp"

#include <algorithm>
#include <iostream>

#include "chain/abi.hpp"
#include "chain/blocks.hpp"
#include "chain/deployment_block.hpp"
#include "core/address.hpp"
#include "core/metrics.hpp"
#include "indexer/account_view.hpp"
#include "indexer/token_state.hpp"

namespace creditscope::indexer {
namespace {
constexpr MetricFamily kBackfillsMetric{"creditscope_backfills_total", "Account backfills finished (one per account), by outcome (ok, error)"};
constexpr MetricFamily kBackfillsQueuedMetric{"creditscope_backfills_queued", "Accounts waiting for a backfill sweep"};
constexpr MetricFamily kBackfillsRunningMetric{"creditscope_backfills_running", "Backfill sweeps running"};
constexpr MetricFamily kFollowErrorsMetric{"creditscope_follow_errors_total", "Head follower steps that failed (retried on the next poll)"};
constexpr MetricFamily kLeaderMetric{"creditscope_leader", "1 while this process holds the chain's lease (follows and backfills), else 0"};
constexpr MetricFamily kTrackedMetric{"creditscope_tracked_accounts", "Accounts the follower keeps up to date"};
constexpr MetricFamily kUntrackedMetric{"creditscope_untracked_accounts_total", "Accounts no longer followed because nobody asked for them in untrack_after_days"};
constexpr MetricFamily kStoreReadsMetric{"creditscope_store_account_reads_total", "Answers read from the store (not in the cache)"};
constexpr std::size_t kPendingPerPoll = 1000;
constexpr auto kPendingRetry = std::chrono::seconds(5);  // a failed backfill of a pending account waits this long
constexpr std::size_t kTrackedPage = 10000;
}  // namespace
using Clock = std::chrono::steady_clock;

ChainIndexer::ChainIndexer(chain::ChainSettings settings, IndexerOptions options, std::shared_ptr<chain::RpcClient> rpc,
                           store::Store& store, std::shared_ptr<SnapshotCache> cache)
    : settings_(std::move(settings)),
      options_(std::move(options)),
      rpc_(std::move(rpc)),
      store_(store, settings_.name),
      cache_(std::move(cache)),
      tuner_(settings_.logs_initial_span, settings_.logs_max_span),
      start_block_(settings_.start_block),
      follow_(settings_,
              FollowOptions{options_.finality_depth, options_.max_follow_step, options_.accounts_per_filter,
                            options_.poll_interval, options_.balance_refresh},
              *rpc_, store_, tuner_),
      tracked_(std::make_shared<TrackedSet>()) {}

ChainIndexer::~ChainIndexer() { stop(); }

void ChainIndexer::start() {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.backfill_workers); ++i)
    workers_.emplace_back([this] { backfill_worker(); });
  lease_thread_ = std::thread([this] { lease_loop(); });
  change_thread_ = std::thread([this] { change_loop(); });
  follower_ = std::thread([this] { follower_loop(); });
}

void ChainIndexer::stop() {
  stopping_ = true;
  {
    std::lock_guard lock(wake_mutex_);
  }
  wake_.notify_all();
  serving_cv_.notify_all();
  {
    std::lock_guard lock(backfill_mutex_);  // so no worker misses the wake-up between check and wait
  }
  backfill_cv_.notify_all();
  for (auto* t : {&follower_, &lease_thread_, &change_thread_})
    if (t->joinable()) t->join();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
  if (epoch_.exchange(0)) (void)store_.release_lease(options_.holder);  // a successor need not wait for expiry
  // Accounts still queued get an answer too, so no request waits for a sweep that will not come.
  std::vector<Address> left;
  {
    std::lock_guard lock(backfill_mutex_);
    left.assign(queue_.begin(), queue_.end());
    queue_.clear();
  }
  for (const auto& a : left) settle(a, make_error(Errc::kUpstream, "shutting down"));
}

void ChainIndexer::lease_loop() {
  // The lease is written for 80% of leader_lease and renewed every 20% of it (a leader survives
  // three missed renewals); the others try every 10%. So a dead leader's lease is taken over
  // within 90% of leader_lease, inside the promised bound.
  const auto ttl = options_.lease_ttl * 8 / 10;
  const auto renew = std::max(std::chrono::milliseconds(20), options_.lease_ttl / 5);
  const auto retry = std::max(std::chrono::milliseconds(20), options_.lease_ttl / 10);
  while (!stopping_) {
    auto got = store_.acquire_lease(options_.holder, static_cast<std::uint64_t>(ttl.count()));
    const std::uint64_t before = epoch_;
    // A store that does not answer cannot confirm the lease: stop leading rather than risk two
    // leaders (fencing would refuse the writes anyway).
    const std::uint64_t now = got && *got ? **got : 0;
    if (now != before) {
      {
        std::lock_guard lock(wake_mutex_);
        epoch_ = now;
      }
      wake_.notify_all();  // the follower starts (or stops) leading now, not at its next poll
    }
    if (now && now != before) std::cerr << settings_.name << ": this process leads (lease epoch " << now << ")\n";
    if (!now && before)
      std::cerr << settings_.name << ": lease lost" << (got ? "" : " (" + got.error().message + ")")
                << "; serving from the store only\n";
    Metrics::global().set(kLeaderMetric, {{"chain", settings_.name}}, now ? 1 : 0);
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, now ? renew : retry, [this] { return stopping_.load(); });
  }
}

void ChainIndexer::change_loop() {
  std::optional<store::ChangeMark> seen;
  auto last_lease_check = Clock::now() - std::chrono::hours(1);
  while (!stopping_) {
    auto mark = store_.change_mark();
    // Say it once when the store stops answering and once when it is back, not every pass.
    if (!mark && store_ok_) std::cerr << settings_.name << ": store unreachable: " << mark.error().message << "\n";
    // Back after an outage: what changed meanwhile is unknown (a restored or failed-over database
    // may even have lost commits, so the counter can go back): forget the cache, like an unwind.
    const bool back = mark && !store_ok_;
    if (back) std::cerr << settings_.name << ": store reachable again\n";
    // A restart between two passes goes unseen when other threads met the broken connections
    // first, yet it may have lost commits and the seq may be reused: the same as being back.
    const bool restarted = mark && seen && mark->incarnation != seen->incarnation;
    if (restarted && !back) std::cerr << settings_.name << ": the database restarted (or another server answers): reloading\n";
    store_ok_ = static_cast<bool>(mark);
    // What the leader keeps in memory (tracked set, known tokens, cursors) is read again once
    // the store is back: a database restored from a backup or failed over to a replica that
    // lagged may have lost the last commits.
    if (!mark || restarted) loaded_epoch_ = 0;
    if (!mark) {
      followed_by_someone_ = false;
      announce_serving();  // waiting requests fail now rather than at their deadline
    } else {
      last_store_ok_ = Clock::now().time_since_epoch().count();
      bool ok = true;
      const bool unwound = back || restarted || (seen && (mark->unwind_seq != seen->unwind_seq || mark->seq < seen->seq));
      if (unwound) {
        cache_->clear(this);
      } else if (seen && mark->seq != seen->seq) {
        auto changed = store_.changed_accounts(seen->seq);
        if (changed) cache_->invalidate(this, *changed);
        ok = static_cast<bool>(changed);
      }
      if (ok) {
        seen = *mark;
        // Published only after the cache forgot what changed: an answer at this head is never older.
        // It only moves back after an unwind (the leader may have published a newer one itself).
        if (mark->head) {
          head_ = unwound ? *mark->head : std::max<std::uint64_t>(head_, *mark->head);
          head_known_ = true;
        }
      }
      // Accounts other replicas registered: the leader starts their backfills within a pass.
      if (const std::uint64_t epoch = epoch_; epoch && loaded_epoch_ == epoch) {
        if (auto r = pick_up_pending(); !r) std::cerr << settings_.name << ": pending accounts: " << r.error().message << "\n";
      }
      untrack_idle_accounts();
      // Every pass until someone follows (readiness should not lag), then once a second.
      if (!followed_by_someone_ || Clock::now() - last_lease_check >= std::chrono::seconds(1)) {
        auto holder = store_.lease_holder();
        const bool was = followed_by_someone_.exchange(holder && *holder && (*holder)->live);
        if (!was && followed_by_someone_) announce_serving();
        last_lease_check = Clock::now();
      }
    }
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, options_.change_poll, [this] { return stopping_.load(); });
  }
}

Result<void> ChainIndexer::become_leader() {
  auto genesis = chain::fetch_headers(*rpc_, {0});
  if (!genesis) return genesis.error();
  std::uint64_t tag = 0;
  for (int i = 0; i < 7; ++i) tag = tag << 8 | genesis->at(0).hash.bytes[static_cast<std::size_t>(i)];
  auto dropped = store_.set_identity(settings_.chain_id, tag);
  if (!dropped) return dropped.error();
  if (*dropped) std::cerr << "store held another network's index for " << settings_.name << ": dropped it\n";
  if (settings_.start_block_factory) {
    // Once per store: where the factory was deployed. No credit account existed before it.
    const std::string key = "factory_block:" + to_checksum(settings_.credit_account.proxy_factory);
    auto known = store_.value(key);
    if (!known) return known.error();
    if (!*known) {
      auto node_head = chain::fetch_head(*rpc_);
      if (!node_head) return node_head.error();
      auto found = chain::find_deployment_block(*rpc_, settings_.credit_account.proxy_factory, *node_head);
      if (!found) return found.error();
      if (auto r = store_.set_value(key, *found); !r) return r;
      std::cerr << settings_.name << ": proxy_factory deployed in block " << *found << "; accounts are scanned from there\n";
      *known = *found;
    }
    start_block_ = **known;
  }
  auto tracked = std::make_shared<TrackedSet>();
  for (Address after{};;) {
    auto page = store_.followed_accounts(after, kTrackedPage);
    if (!page) return page.error();
    tracked->insert(page->begin(), page->end());
    if (page->size() < kTrackedPage) break;
    after = page->back();
  }
  auto tokens = store_.tokens();
  if (!tokens) return tokens.error();
  std::lock_guard sync(sync_mutex_);
  if (auto r = follow_.load(); !r) return r;
  known_tokens_.clear();
  for (const auto& [token, _] : *tokens) known_tokens_.insert(token);
  Metrics::global().set(kTrackedMetric, {{"chain", settings_.name}}, static_cast<double>(tracked->size()));
  {
    std::lock_guard lock(state_mutex_);
    tracked_ = std::move(tracked);
  }
  // The cache was kept valid by invalidating what the old tracked set's steps changed. The store
  // may have lost commits since (a crash with asynchronous commit, a failover to a standby that
  // lagged): an account cached then may not be followed now, and the heads this follower publishes
  // would pass over its transfers while its old answer went out at them (found by a CI run: a 200
  // at the new head without the new transfer). Start afresh at the loaded head, as after an unwind.
  cache_->clear(this);
  if (follow_.head_known()) {
    head_ = follow_.head();
    head_known_ = true;
  }
  return {};
}

void ChainIndexer::track(const std::vector<Address>& accounts, bool follow) {
  std::lock_guard lock(state_mutex_);
  auto next = std::make_shared<TrackedSet>(*tracked_);
  for (const auto& a : accounts) {
    if (follow) {
      next->insert(a);
    } else {
      next->erase(a);
    }
  }
  Metrics::global().set(kTrackedMetric, {{"chain", settings_.name}}, static_cast<double>(next->size()));
  tracked_ = std::move(next);
}

void ChainIndexer::note_requested(const Address& account) {
  if (options_.untrack_after.count() == 0) return;
  std::lock_guard lock(requested_mutex_);
  requested_.insert(account);
}

void ChainIndexer::untrack_idle_accounts() {
  if (options_.untrack_after.count() == 0) return;
  const auto now = Clock::now();
  const std::int64_t unix_now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (now - last_touch_ >= options_.touch_interval) {
    std::set<Address> asked;
    {
      std::lock_guard lock(requested_mutex_);
      asked.swap(requested_);
    }
    if (!asked.empty()) {
      if (auto r = store_.touch_accounts({asked.begin(), asked.end()}, unix_now); !r) {
        std::cerr << settings_.name << ": recording requested accounts: " << r.error().message << "\n";
        std::lock_guard lock(requested_mutex_);
        requested_.insert(asked.begin(), asked.end());  // again next pass
        return;
      }
    }
    last_touch_ = now;
  }
  const std::uint64_t epoch = epoch_;
  if (!epoch || loaded_epoch_ != epoch || now - last_untrack_ < options_.untrack_interval) return;
  // Under the follower's lock: no step that still counts these accounts commits in between.
  std::lock_guard sync(sync_mutex_);
  auto gone = store_.untrack_idle(unix_now - options_.untrack_after.count(), unix_now, epoch);
  if (!gone) {
    std::cerr << settings_.name << ": untracking idle accounts: " << gone.error().message << "\n";
    return;
  }
  last_untrack_ = now;
  if (gone->empty()) return;
  track(*gone, false);
  cache_->invalidate(this, *gone);
  Metrics::global().inc(kUntrackedMetric, {{"chain", settings_.name}}, gone->size());
  std::cerr << settings_.name << ": " << gone->size() << " account(s) nobody asked for in "
            << options_.untrack_after.count() << " s are no longer followed (a request resumes them)\n";
}

std::uint64_t ChainIndexer::before_start() const {
  const std::uint64_t start = start_block_;
  return start ? start - 1 : 0;
}

std::optional<AccountAnswer> ChainIndexer::peek(const Address& account) {
  note_requested(account);
  if (!head_known_) return std::nullopt;
  // A cache the change loop could not check against the store lately may be stale: let the
  // request go to the store, which answers or fails (503), rather than serve it.
  const auto checked = std::chrono::steady_clock::duration(last_store_ok_.load());
  if (Clock::now().time_since_epoch() - checked > std::max(std::chrono::milliseconds(2000), options_.change_poll * 5))
    return std::nullopt;
  auto hit = cache_->get(this, account);
  if (!hit) return std::nullopt;
  // The entry is still valid at the published head: the cache forgets an account before a head
  // that changed it is published.
  return AccountAnswer{hit->snapshot, std::max<std::uint64_t>(hit->block_num, head_)};
}

Result<std::optional<AccountAnswer>> ChainIndexer::read_account(const Address& account) {
  const std::uint64_t generation = cache_->generation();
  auto record = store_.account_record(account);
  if (!record) return record.error();
  if (!*record || !(*record)->account.followed) return std::optional<AccountAnswer>{};
  if ((*record)->stale)
    return make_error(Errc::kUpstream, "index of " + settings_.name + " is re-reading balances after a reorg");
  Metrics::global().inc(kStoreReadsMetric, {{"chain", settings_.name}});
  auto snap = build_snapshot(**record);
  cache_->put(this, account, {snap, (*record)->head}, generation);
  return std::optional<AccountAnswer>(AccountAnswer{snap, (*record)->head});
}

BackfillStatus ChainIndexer::status(const Address& account) {
  BackfillStatus out;
  {
    std::lock_guard lock(backfill_mutex_);
    if (auto it = progress_.find(account); it != progress_.end()) {
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
  }
  // Another replica's backfill, or none: what the store says.
  auto stored = store_.account(account);
  if (!stored || !*stored) return out;  // unknown: nobody asked for it yet
  const std::uint64_t head = head_;
  out.from_block = start_block_;
  if ((*stored)->followed) {
    out.state = BackfillStatus::State::kReady;
    out.to_block = out.scanned_through = head;
    out.progress = 1;
    out.eta_s = 0;
    return out;
  }
  out.state = BackfillStatus::State::kBackfilling;
  out.to_block = std::max(head, out.from_block);
  out.scanned_through = std::max((*stored)->synced_through, before_start());
  if (out.to_block >= out.from_block && out.scanned_through >= out.from_block)
    out.progress = std::clamp(static_cast<double>(out.scanned_through - out.from_block + 1) /
                                  static_cast<double>(out.to_block - out.from_block + 1), 0.0, 1.0);
  return out;
}

Result<AccountAnswer> ChainIndexer::snapshot(const Address& account) { return snapshot(account, AdmitNewAccount{}); }

Result<AccountAnswer> ChainIndexer::snapshot(const Address& account, const AdmitNewAccount& admit) {
  if (auto warm = peek(account)) return *warm;  // peek() also notes the request (untrack_after)
  const auto deadline = Clock::now() + options_.request_deadline;
  if (auto r = wait_serving(deadline); !r) return r.error();
  auto stored = read_account(account);
  if (!stored) return stored.error();
  if (*stored) return **stored;
  if (leader()) {
    auto future = backfill_future(account, admit);
    if (!future) return future.error();
    if (future->wait_until(deadline) != std::future_status::ready)
      return make_error(Errc::kBackfilling, "backfill of " + to_checksum(account) + " still running");
    if (auto result = future->get(); !result) return result.error();
  } else {
    // The leader backfills: register the account where it looks (pending accounts) and wait for it
    // to join the follower. The store is read every change_poll, like the change counter. Only
    // an account no replica registered yet is admitted; the token is this request's while it waits.
    std::shared_ptr<void> admission;
    if (admit) {
      auto row = store_.account(account);
      if (!row) return row.error();
      if (!*row || (*row)->idle) {  // unknown, or untracked for idleness: either starts a backfill
        auto admitted = admit();
        if (!admitted) return admitted.error();
        admission = std::move(*admitted);
      }
    }
    if (auto r = store_.add_account(account, before_start()); !r) return r.error();
    for (;;) {
      auto row = store_.account(account);
      if (!row) return row.error();
      if (*row && (*row)->followed) break;
      if (Clock::now() >= deadline)
        return make_error(Errc::kBackfilling, "backfill of " + to_checksum(account) + " still running");
      std::unique_lock lock(wake_mutex_);
      wake_.wait_until(lock, std::min(deadline, Clock::now() + options_.change_poll), [this] { return stopping_.load(); });
      if (stopping_) return make_error(Errc::kUpstream, "shutting down");
    }
  }
  auto fresh = read_account(account);
  if (!fresh) return fresh.error();
  if (*fresh) return **fresh;
  return make_error(Errc::kUpstream, "index of " + settings_.name + " is recovering from a reorg");
}

Result<void> ChainIndexer::wait_serving(Clock::time_point deadline) {
  // A load that already failed means the node is unreachable: say so now rather than at the deadline.
  auto failed = [this] { return epoch_ && load_failed_; };
  std::unique_lock lock(wake_mutex_);
  // Woken together when serving starts, so requests that waited arrive at the backfill queue as
  // one burst (and share a sweep). The timeout covers a change another replica made.
  while (!followed()) {
    if (stopping_) return make_error(Errc::kUpstream, "shutting down");
    if (!store_ok_) return make_error(Errc::kUpstream, "the store of " + settings_.name + " is unreachable");
    if (failed() || Clock::now() >= deadline)
      return make_error(Errc::kUpstream, "index of " + settings_.name + " is not loaded yet (node unreachable?)");
    serving_cv_.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(100)));
  }
  return {};
}

void ChainIndexer::announce_serving() {
  { std::lock_guard lock(wake_mutex_); }
  serving_cv_.notify_all();
}

Result<std::shared_future<Result<void>>> ChainIndexer::backfill_future(const Address& account,
                                                                      const AdmitNewAccount& admit) {
  std::lock_guard lock(backfill_mutex_);
  if (auto it = backfills_.find(account); it != backfills_.end()) return it->second;
  if (admit) {  // the admitter's lock is a leaf: called under backfill_mutex_ so admission and queueing are one step
    auto admitted = admit();
    if (!admitted) return admitted.error();
    admissions_[account] = std::move(*admitted);
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
  std::shared_ptr<void> admission;  // released when this returns: the backfill no longer runs
  {
    std::lock_guard lock(backfill_mutex_);
    auto it = promises_.find(account);
    if (it == promises_.end()) return;  // settled already
    promise = std::move(it->second);
    promises_.erase(it);
    if (auto a = admissions_.find(account); a != admissions_.end()) {
      admission = std::move(a->second);
      admissions_.erase(a);
    }
    progress_.erase(account);
    // Done either way: a followed account is read from the store, a failed one is tried afresh.
    backfills_.erase(account);
  }
  if (!result) {
    std::lock_guard lock(backfill_mutex_);
    recently_failed_[account] = Clock::now() + kPendingRetry;
  }
  Metrics::global().inc(kBackfillsMetric, {{"chain", settings_.name}, {"outcome", result ? "ok" : "error"}});
  if (!result)
    std::cerr << "backfill of " << to_checksum(account) << " on " << settings_.name << " failed: " << result.error().message << "\n";
  promise->set_value(std::move(result));
}

void ChainIndexer::sweep(const std::vector<Address>& accounts) {
  const std::uint64_t before_start = this->before_start();
  // Accounts share a sweep only when their stored history ends at the same block (new accounts
  // all do; resumed ones may not). A cursor below the factory's block (registered by a replica
  // that did not know it yet) starts there: no credit account existed before.
  std::map<std::uint64_t, std::vector<Address>> groups;
  auto rows = store_.register_accounts(accounts, before_start);
  if (!rows) {
    for (const auto& a : accounts) settle(a, rows.error());
    return;
  }
  std::set<Address> seen;
  for (const auto& row : *rows) {
    seen.insert(row.account);
    if (row.followed) settle(row.account, Result<void>{});  // a previous leader finished it
    else groups[std::max(row.synced_through, before_start)].push_back(row.account);
  }
  for (const auto& a : accounts)
    if (!seen.count(a)) settle(a, make_error(Errc::kInternal, "account vanished from the store"));
  for (const auto& [_, group] : groups) {
    auto r = run_backfill(group);
    for (const auto& a : group) settle(a, r);
  }
}

Result<void> ChainIndexer::run_backfill(const std::vector<Address>& group) {
  const std::uint64_t before_start = this->before_start();
  for (;;) {
    const std::uint64_t epoch = epoch_;
    if (stopping_) return make_error(Errc::kUpstream, "shutting down");
    if (!epoch) return make_error(Errc::kUpstream, "this replica lost the lease of " + settings_.name);
    auto stored = store_.account(group.front());
    if (!stored) return stored.error();
    if (!*stored) return make_error(Errc::kInternal, "account vanished from the store");
    const std::uint64_t cur = std::max((*stored)->synced_through, before_start);
    std::uint64_t head, unwinds;
    bool known;
    {
      std::lock_guard sync(sync_mutex_);
      head = follow_.head();
      known = follow_.head_known();
      unwinds = follow_.unwinds();
    }
    if (!known) {  // the follower has not reached the node yet
      std::unique_lock lock(wake_mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stopping_.load(); });
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
    // Each commit continues the cursor the previous one left: a store that lost one is not written past.
    std::uint64_t expected_cursor = (*stored)->synced_through;
    auto commit_progress = [&](std::uint64_t through, std::vector<TokenTransfer>& transfers) -> Result<void> {
      store::SyncStep step;
      step.lease_epoch = epoch;
      step.expected_synced_through = expected_cursor;
      step.accounts = group;
      step.synced_through = through;
      step.transfers = std::move(transfers);
      transfers.clear();
      auto r = store_.commit(step);
      if (r) expected_cursor = through;
      return r;
    };
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
        // Shutting down: what was scanned is committed, so a restart resumes from here.
        const bool stop_here = stopping_.load();
        if (!stop_here && (t >= head || t - last_commit < options_.backfill_commit_blocks)) return {};
        std::lock_guard sync(sync_mutex_);
        if (follow_.unwinds() != unwinds) {
          restart = true;  // scanned across an unwind: scan again from what the store holds
          return make_error(Errc::kUpstream, "reorg during backfill");
        }
        last_commit = t;
        if (auto r = commit_progress(t, tail); !r || !stop_here) return r;
        return make_error(Errc::kUpstream, "shutting down");
      };
      auto scanned = chain::fetch_transfer_logs(*rpc_, group, cur + 1, head, tuner_, scan);
      if (!scanned) {
        if (restart) continue;
        return scanned.error();
      }
    }
    std::lock_guard sync(sync_mutex_);
    if (follow_.unwinds() != unwinds) continue;  // fetched across an unwind: fetch again
    if (through < follow_.head()) {
      // The follower moved on meanwhile: make this durable and scan the rest.
      if (auto r = commit_progress(through, tail); !r) return r;
      continue;
    }
    // Caught up with the follower's head: join it under the lock, so no follower step can slip in,
    // in one commit with the last range, the token reads and the balances.
    std::set<std::pair<Address, Address>> pairs;
    const std::set<Address> members(group.begin(), group.end());
    for (const auto& t : tail) {
      if (members.count(t.to)) pairs.insert({t.to, t.token});
      if (members.count(t.from)) pairs.insert({t.from, t.token});
    }
    auto earlier = store_.held_tokens(group, through);
    if (!earlier) return earlier.error();
    pairs.insert(earlier->begin(), earlier->end());
    store::SyncStep step;
    if (auto r = read_token_state(*rpc_, settings_, known_tokens_, pairs, through, step); !r) return r;
    step.lease_epoch = epoch;
    step.expected_synced_through = expected_cursor;
    step.accounts = group;
    step.synced_through = through;
    step.follow = true;
    step.transfers = std::move(tail);
    if (auto r = store_.commit(step); !r) return r;
    for (const auto& [token, _] : step.tokens) known_tokens_.insert(token);
    track(group);
    return {};
  }
}

Result<void> ChainIndexer::pick_up_pending() {
  auto pending = store_.pending_accounts(kPendingPerPoll);
  if (!pending) return pending.error();
  const auto now = Clock::now();
  {
    std::lock_guard lock(backfill_mutex_);
    std::erase_if(recently_failed_, [&](const auto& kv) { return now >= kv.second; });
  }
  for (const auto& p : *pending) {
    {
      std::lock_guard lock(backfill_mutex_);
      if (recently_failed_.count(p.account)) continue;  // its backfill failed: not again every 200 ms
    }
    (void)backfill_future(p.account, AdmitNewAccount{});  // a no-op for one in flight
  }
  return {};
}

Result<bool> ChainIndexer::follow_once(std::uint64_t epoch) {
  // The tracked set is read under the sync lock: read before it, a backfill could join an account
  // (at the follower's head) in between, and this step would cover the next block without it,
  // losing that block's transfers of the account for good (found by make soak).
  std::lock_guard sync(sync_mutex_);
  std::shared_ptr<const TrackedSet> tracked;
  {
    std::lock_guard lock(state_mutex_);
    tracked = tracked_;
  }
  auto outcome = follow_.step(epoch, *tracked, known_tokens_);
  if (!outcome) {
    // The store is not where this process left it (it lost commits): read everything again.
    if (outcome.error().code == Errc::kFenced) loaded_epoch_ = 0;
    return outcome.error();
  }
  // This process's own answers need not wait for the change loop: forget what changed, then
  // publish the head (the same order the change loop keeps).
  if (outcome->unwound) {
    cache_->clear(this);
    head_ = outcome->head;
  } else {
    cache_->invalidate(this, outcome->changed);
    head_ = std::max<std::uint64_t>(head_, outcome->head);
  }
  head_known_ = true;
  return outcome->more;
}

void ChainIndexer::follower_loop() {
  std::string last_error;
  while (!stopping_) {
    const std::uint64_t epoch = epoch_;
    Result<bool> more = false;
    if (epoch && epoch != loaded_epoch_) {
      // Just took the lease: the previous leader's cursors and tracked set are in the store.
      if (auto r = become_leader(); !r) {
        more = r.error();
        load_failed_ = true;
        announce_serving();  // waiting requests learn at once that the node is unreachable
      } else {
        loaded_epoch_ = epoch;
        load_failed_ = false;
        more = true;
        announce_serving();
      }
    } else if (epoch) {
      more = follow_once(epoch);
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
    wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_.load() || epoch_ != epoch; });
  }
}

}  // namespace creditscope::indexer
