// The persistent index against a real anvil: answers equal the stateless reading of the chain
// (computed by the live source, itself checked against independent expectations in
// balances_e2e_test), through new transfers, reorgs, crashes and concurrent first requests.

#include <gtest/gtest.h>

#include <thread>

#include "chain/abi.hpp"
#include "core/hex.hpp"
#include "account_fixture.hpp"
#include "harness.hpp"
#include "core/metrics.hpp"
#include "indexer/chain_indexer.hpp"
#include "store/store.hpp"
#include "store/store_wrapper.hpp"

namespace creditscope::e2e {
namespace {
using devnet::dev_account;
using devnet::mint_call;
using devnet::transfer_call;
namespace json = boost::json;

class IndexE2E : public FundedAccount {
 protected:
  // An indexer of the test chain on `store` (a wrapper that injects a fault), in this process.
  std::unique_ptr<indexer::ChainIndexer> indexer_over(store::Store& store, const app::AppConfig& cfg) {
    chain::RpcOptions rpc_options;
    rpc_options.urls = {h.rpc_url()};
    return std::make_unique<indexer::ChainIndexer>(cfg.chains[0].settings, cfg.chains[0].indexer,
                                                   std::make_shared<chain::HttpRpcClient>(rpc_options), store,
                                                   std::make_shared<indexer::SnapshotCache>(1 << 20));
  }
  // Asks until the answer stays cached over three passes of the change loop (the pass after a
  // backfill drops it once: the joining commit counts as a change of the account).
  bool cached_for_good(indexer::ChainIndexer& indexer, const app::AppConfig& cfg) {
    return eventually([&] {
      if (!indexer.snapshot(account)) return false;
      std::this_thread::sleep_for(3 * cfg.chains[0].indexer.change_poll);
      return indexer.peek(account).has_value();
    });
  }
  // Whether the store holds the account's transfer in this transaction.
  bool stored(store::Store& store, const Hash32& txn) {
    auto all = must(store.transfers("base", account, UINT64_MAX, std::nullopt, 1000), "transfers");
    return std::any_of(all.begin(), all.end(), [&](const TokenTransfer& t) { return t.txn_hash == txn; });
  }
};

TEST_F(IndexE2E, ColdWarmAndFreshTransfersMatchTheChain) {
  Server indexed(h.indexed_config(dir.file("index.db"), 100));
  expect_same_as_chain(settled(indexed), "cold");
  expect_same_as_chain(settled(indexed), "warm");
  // A new transfer shows within the poll interval (bounded generously here against CI jitter).
  auto receipt = must(h.chain().send(funder, tokens[1], transfer_call(account, 777)), "new transfer");
  const std::string txn = hex::encode(view(receipt.txn_hash));
  EXPECT_TRUE(eventually([&] { return indexed.get(target).body.find(txn) != std::string::npos; },
                         std::chrono::milliseconds(3000)))
      << "transfer in block " << receipt.block_num << " not served";
  expect_same_as_chain(settled(indexed), "after a new transfer");
  // A token the account never held before appears too, outgoing transfers lower the balance.
  Address fresh = must(devnet::deploy_token(h.chain(), h.artifacts(), "NEW", 2), "deploy");
  must(h.chain().send(funder, fresh, mint_call(account, 500)), "mint to account");
  must(h.chain().send(account, fresh, transfer_call(merchant, 120)), "spend new token");
  expect_same_as_chain(settled(indexed), "after a new token");
}

// Metrics are process-wide and other tests run in this process: compare before and after.
std::uint64_t backfills() { return Metrics::global().counter_sum("creditscope_backfills_total", {{"outcome", "ok"}}); }

TEST_F(IndexE2E, RestartServesFromTheStoreWithoutBackfilling) {
  std::string first;
  {
    Server indexed(h.indexed_config(dir.file("index.db")));
    first = settled(indexed).body;
  }
  const auto before = backfills();
  Server again(h.indexed_config(dir.file("index.db")));
  auto res = settled(again);
  EXPECT_EQ(res.body, first);
  EXPECT_EQ(backfills(), before) << "restart must not backfill again";
}

void reorg_case(IndexE2E& t, std::uint64_t depth) {
  Server indexed(t.h.indexed_config(t.dir.file("index.db"), 50, 64));
  t.settled(indexed);
  auto id = must(t.h.chain().rpc().call("evm_snapshot", {}), "snapshot");
  // Blocks that will be orphaned: one transfer each way, padded to `depth` blocks.
  auto orphan_in = must(t.h.chain().send(t.funder, t.tokens[2], transfer_call(t.account, 5555)), "orphan in");
  must(t.h.chain().send(t.account, t.tokens[0], transfer_call(t.merchant, 66)), "orphan out");
  if (depth > 2) must(t.h.chain().mine(depth - 2), "pad");
  auto before = t.settled(indexed);
  ASSERT_NE(before.body.find(hex::encode(view(orphan_in.txn_hash))), std::string::npos);

  ASSERT_TRUE(must(t.h.chain().rpc().call("evm_revert", json::array{id}), "revert").as_bool());
  auto replacement = must(t.h.chain().send(t.funder, t.tokens[1], transfer_call(t.account, 4242)), "replacement");
  must(t.h.chain().mine(depth + 2), "outgrow the old branch");
  auto after = t.settled(indexed);
  EXPECT_EQ(after.body.find(hex::encode(view(orphan_in.txn_hash))), std::string::npos) << "orphaned transfer still served";
  EXPECT_NE(after.body.find(hex::encode(view(replacement.txn_hash))), std::string::npos);
  t.expect_same_as_chain(after, "after a reorg of depth " + std::to_string(depth));
  EXPECT_NE(indexed.get("/metrics").body.find("creditscope_reorgs_total"), std::string::npos);
}

TEST_F(IndexE2E, ReorgOfDepthOne) { reorg_case(*this, 1); }
TEST_F(IndexE2E, ReorgOfDepthTwelve) { reorg_case(*this, 12); }

TEST_F(IndexE2E, ConcurrentFirstRequestsShareOneBackfill) {
  Server indexed(h.indexed_config(dir.file("index.db")));
  eventually([&] { return indexed.get("/readyz").status == 200; });
  const auto before = backfills();
  const auto logs_before = Metrics::global().counter_sum("creditscope_rpc_calls_total", {{"method", "eth_getLogs"}});
  chain::HttpResponse a, b;
  std::thread ta([&] { a = indexed.get(target); });
  std::thread tb([&] { b = indexed.get(target); });
  ta.join();
  tb.join();
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.body, b.body);
  // The answer can go out before the backfill's last commit (and its count) is done.
  EXPECT_TRUE(eventually([&] { return backfills() - before >= 1; }));
  EXPECT_EQ(backfills() - before, 1u);
  // One backfill of this short history: one eth_getLogs pair; the follower adds at most a pair per step.
  const auto logs = Metrics::global().counter_sum("creditscope_rpc_calls_total", {{"method", "eth_getLogs"}}) - logs_before;
  EXPECT_LE(logs, 2u + 2u * Metrics::global().counter_sum("creditscope_follow_steps_total"));
}

// Passes everything to a real store, but fails the first commit that makes accounts followed (a
// backfill's last step).
class FailLastBackfillCommitOnce final : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::atomic<int> failed{0};
  Result<void> commit(const std::string& c, const store::SyncStep& step) override {
    if (step.follow && failed.fetch_add(1) == 0) return make_error(Errc::kUpstream, "disk full (test)");
    return StoreWrapper::commit(c, step);
  }
};

TEST_F(IndexE2E, AFailedLastBackfillCommitIsAnErrorAndTheNextRequestBackfillsAfresh) {
  auto cfg = h.indexed_config(dir.file("index.db"));
  auto real = must(store::open_sqlite(cfg.store.path), "open store");
  FailLastBackfillCommitOnce failing(*real);
  auto indexer = indexer_over(failing, cfg);
  indexer->start();
  // Answers come from the store, after the commit: a failed commit is an error, never an answer
  // the store does not hold.
  auto first = indexer->snapshot(account);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, Errc::kUpstream) << first.error().message;
  EXPECT_EQ(failing.failed.load(), 1);
  EXPECT_FALSE(indexer->peek(account));
  EXPECT_FALSE(must(real->account("base", account), "account")->followed);
  // The next request backfills afresh, and this time the store holds it.
  auto second = indexer->snapshot(account);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->snapshot->holdings.size(), 3u);
  EXPECT_TRUE(must(real->account("base", account), "account")->followed);
  indexer->stop();
}

// Acknowledges one follower commit without writing it, as a database that crashes with
// asynchronous commit (or fails over to a standby that lagged) loses an acknowledged commit.
class LoseOneFollowerCommit final : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::atomic<bool> armed{false};
  std::atomic<int> lost{0};
  Result<void> commit(const std::string& c, const store::SyncStep& step) override {
    if (step.chain_head && !step.transfers.empty() && armed.exchange(false)) {
      ++lost;
      return {};
    }
    return StoreWrapper::commit(c, step);
  }
};

// Found by make soak: the follower went on from the head it believed committed, so the lost
// block's transfers were missing for good. Now the next commit sees the gap and everything is read again.
TEST_F(IndexE2E, AFollowerCommitTheDatabaseLostIsFollowedAgain) {
  auto cfg = h.indexed_config(dir.file("index.db"), 50);
  auto real = must(store::open_sqlite(cfg.store.path), "open store");
  LoseOneFollowerCommit losing(*real);
  auto indexer = indexer_over(losing, cfg);
  indexer->start();
  ASSERT_TRUE(indexer->snapshot(account));
  losing.armed = true;
  auto lost = must(h.chain().send(funder, tokens[1], transfer_call(account, 1111)), "transfer whose commit is lost");
  ASSERT_TRUE(eventually([&] { return losing.lost.load() == 1; }));
  auto after = must(h.chain().send(funder, tokens[2], transfer_call(account, 2222)), "next transfer");
  ASSERT_TRUE(eventually([&] { return stored(*real, after.txn_hash); })) << "the follower stopped";
  EXPECT_TRUE(eventually([&] { return stored(*real, lost.txn_hash); }, std::chrono::milliseconds(5000)))
      << "the transfer of the lost commit is missing for good";
  indexer->stop();
}

// Holds a backfill's joining commit (the one that makes accounts followed) until released, as a
// slow disk or a busy database does; the backfill holds the sync lock all that time.
class HoldJoinCommit final : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::atomic<bool> entered{false};
  std::atomic<bool> released{false};
  Result<void> commit(const std::string& c, const store::SyncStep& step) override {
    if (step.follow) {
      entered = true;
      while (!released) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return StoreWrapper::commit(c, step);
  }
};

// Found by make soak: the follower read the tracked set before waiting for the sync lock, so a
// backfill joining meanwhile (at the follower's head) was left out of the next step, and that
// block's transfers of the account were missing for good.
TEST_F(IndexE2E, ATransferInTheBlockAfterABackfillJoinsIsKept) {
  auto cfg = h.indexed_config(dir.file("index.db"), 20);
  auto real = must(store::open_sqlite(cfg.store.path), "open store");
  HoldJoinCommit holding(*real);
  auto indexer = indexer_over(holding, cfg);
  indexer->start();
  std::thread first_request([&] { (void)indexer->snapshot(account); });
  ASSERT_TRUE(eventually([&] { return holding.entered.load(); })) << "the backfill never joined";
  // The join covers the blocks up to now; this transfer is in the next one, the follower's.
  auto next = must(h.chain().send(funder, tokens[1], transfer_call(account, 4242)), "transfer after the join's head");
  // The fault lasts 25 polls: the follower tries to step over the new block many times meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  holding.released = true;
  first_request.join();
  EXPECT_TRUE(eventually([&] { return stored(*real, next.txn_hash); }, std::chrono::milliseconds(5000)))
      << "the transfer in block " << next.block_num << " is missing for good";
  auto answer = indexer->snapshot(account);
  ASSERT_TRUE(answer) << answer.error().message;
  bool answered = false;
  for (const auto& holding : answer->snapshot->holdings)
    for (const auto& t : holding.transfers) answered = answered || t.txn_hash == next.txn_hash;
  EXPECT_TRUE(answered) << "the answer at block " << answer->block_num << " misses the transfer";
  indexer->stop();
}

// What a database that lost commits looks like to the leader when its change loop did not notice:
// the account's follow is gone from the store but not from the change counter's list, and the
// follower's next commit is refused as not continuing the stored head (so the leader reloads).
class ForgetsAFollowQuietly final : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Address hidden;
  std::atomic<bool> hiding{false};
  std::atomic<bool> fence_next{false};
  std::atomic<int> fenced{0};
  Result<void> commit(const std::string& c, const store::SyncStep& step) override {
    if (step.expected_head && fence_next.exchange(false)) {
      ++fenced;
      return make_error(Errc::kFenced, "the stored head is not " + std::to_string(*step.expected_head) + " (test)");
    }
    return StoreWrapper::commit(c, step);
  }
  Result<std::vector<Address>> changed_accounts(const std::string& c, std::uint64_t since) override {
    auto out = StoreWrapper::changed_accounts(c, since);
    if (out && hiding) std::erase(*out, hidden);
    return out;
  }
};

// Found by CI (ReplicasE2E after a PostgreSQL crash that lost the commit making the account
// followed): the reloaded leader no longer followed the account, yet served its cached answer at
// the heads it went on to publish: a 200 at the new head without the new transfer.
TEST_F(IndexE2E, AReloadThatNoLongerFollowsACachedAccountDoesNotServeItsOldAnswer) {
  auto cfg = h.indexed_config(dir.file("index.db"), 20);
  auto real = must(store::open_sqlite(cfg.store.path), "open store");
  ForgetsAFollowQuietly store(*real);
  store.hidden = account;
  auto indexer = indexer_over(store, cfg);
  indexer->start();
  ASSERT_TRUE(cached_for_good(*indexer, cfg)) << "not cached: the test would not test what it says";
  store.hiding = true;
  ASSERT_EQ(must(real->untrack_idle("base", INT64_MAX, 0, std::nullopt), "forget the follow").size(), 1u);
  store.fence_next = true;
  auto next = must(h.chain().send(funder, tokens[2], transfer_call(account, 5151)), "transfer after the loss");
  ASSERT_TRUE(eventually([&] { return store.fenced.load() == 1 && indexer->head() >= next.block_num; }))
      << "the leader did not reload and step on";
  auto contains = [&](const AccountAnswer& a) {
    for (const auto& holding : a.snapshot->holdings)
      for (const auto& t : holding.transfers)
        if (t.txn_hash == next.txn_hash) return true;
    return false;
  };
  if (auto warm = indexer->peek(account)) {
    EXPECT_LT(warm->block_num, next.block_num) << "served at block " << warm->block_num << " without the transfer in "
                                               << next.block_num;
    EXPECT_FALSE(contains(*warm));
  }
  // Asked again, the account is resumed and its answer has the transfer.
  auto answer = indexer->snapshot(account);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_GE(answer->block_num, next.block_num);
  EXPECT_TRUE(contains(*answer)) << "the answer at block " << answer->block_num << " misses the transfer";
  indexer->stop();
}

// Reports another incarnation of the database from one pass of the change counter on, with no
// failed call in between: a restart the change loop did not see.
class RestartsUnseen final : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::atomic<std::uint64_t> incarnation{0};
  Result<store::ChangeMark> change_mark(const std::string& c) override {
    auto mark = StoreWrapper::change_mark(c);
    if (mark) mark->incarnation += incarnation;
    return mark;
  }
};

// After a restart the commits just before it may be lost and their seq reused, so nothing in the
// change counter says which answers changed: every cached one is dropped and read again.
TEST_F(IndexE2E, AnotherIncarnationOfTheDatabaseDropsTheCache) {
  auto cfg = h.indexed_config(dir.file("index.db"), 20);
  auto real = must(store::open_sqlite(cfg.store.path), "open store");
  RestartsUnseen store(*real);
  auto indexer = indexer_over(store, cfg);
  indexer->start();
  ASSERT_TRUE(cached_for_good(*indexer, cfg)) << "not cached: the test would not test what it says";
  store.incarnation = 1;
  EXPECT_TRUE(eventually([&] { return !indexer->peek(account); }, std::chrono::milliseconds(5000)))
      << "the cache outlived a restart of the database";
  auto again = indexer->snapshot(account);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->snapshot->holdings.size(), 3u);
  indexer->stop();
}

TEST_F(IndexE2E, KillNineMidBackfillAndMidFollowLosesNothing) {
  // A longer history, scanned five blocks a request and committed after each, so the kill lands
  // inside the backfill.
  for (int i = 0; i < 150; ++i) {
    must(h.chain().send(funder, tokens[i % 3], transfer_call(account, 1000 + i)), "history");
    must(h.chain().mine(4), "spread the history");
  }
  TempDir d;
  auto cfg = h.indexed_config(d.file("index.db"), 100);
  const unsigned short port = devnet::free_port();
  cfg.server.listen = "127.0.0.1:" + std::to_string(port);
  cfg.chains[0].indexer.backfill_commit_blocks = 1;
  cfg.chains[0].settings.logs_max_span = 5;
  cfg.chains[0].settings.rpc_max_batch = 3;
  cfg.chains[0].settings.max_in_flight = 1;
  const std::string config_path = d.file("config.toml");
  std::ofstream(config_path) << h.toml(cfg);

  {
    ServerProcess server(config_path, port);
    // The first request starts the backfill; its answer does not matter here.
    std::thread client([&] { raw_exchange(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); });
    // Kill as soon as the backfill has committed some, but not all, of the history.
    auto store = must(store::open_sqlite(cfg.store.path), "open store");
    const std::uint64_t tip = head();
    bool midway = eventually([&] {
      auto stored = store->account("base", account);
      return stored && *stored && (*stored)->synced_through > 10 && (*stored)->synced_through < tip;
    });
    server.kill9();
    client.join();
    auto stored = must(store->account("base", account), "account");
    ASSERT_TRUE(stored) << "the request never registered the account";
    ASSERT_TRUE(midway && stored->synced_through < tip) << "the kill did not land inside the backfill";
  }
  {
    ServerProcess server(config_path, port);
    auto res = settled(server);
    expect_same_as_chain(res, "after kill -9 mid-backfill");
    // Now warm: kill it while it follows a burst of new transfers.
    std::vector<std::tuple<Address, Address, Bytes>> burst;
    for (int i = 0; i < 40; ++i) burst.emplace_back(funder, tokens[i % 3], transfer_call(account, 7000 + i));
    auto sent = h.chain().send_many(burst);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));  // somewhere inside the next poll
    server.kill9();
    ASSERT_TRUE(sent) << sent.error().message;
  }
  ServerProcess server(config_path, port);
  expect_same_as_chain(settled(server), "after kill -9 mid-follow");
}

}  // namespace
}  // namespace creditscope::e2e
