// One suite, every backend: the same steps must give the same answers on SQLite and on a real
// PostgreSQL 15 (a throw-away cluster started by the test itself).

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "core/hex.hpp"
#include "store/store.hpp"
#include "store/testing/pg_cluster.hpp"

namespace creditscope::store {
namespace {

struct Backend {
  std::string name;
  // Opens the test's store; reopen() opens it again (another process's view, or after a restart).
  std::function<std::string()> fresh;  // a new location
  std::function<Result<std::unique_ptr<Store>>(const std::string&)> open;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

Backend sqlite_backend() {
  return {"sqlite",
          [] {
            static int n = 0;
            auto p = std::filesystem::temp_directory_path() / ("cs-store-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".db");
            for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
            return p.string();
          },
          [](const std::string& p) { return open_sqlite(p); }};
}

Backend postgres_backend() {
  return {"postgres", [] { return testing::PgCluster::shared().create_database(); },
          [](const std::string& url) { return open_postgres(url, 4); }};
}

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    where = GetParam().fresh();
    auto s = GetParam().open(where);
    ASSERT_TRUE(s) << s.error().message;
    store = std::move(*s);
  }
  std::unique_ptr<Store> reopen() {
    auto s = GetParam().open(where);
    if (!s) ADD_FAILURE() << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  static Address addr(char c) { return *hex::decode_address("0x" + std::string(40, c)); }
  static TokenTransfer transfer(std::uint64_t block, std::uint32_t index, const Address& from, const Address& to) {
    TokenTransfer t;
    t.token = addr('7');
    t.from = from;
    t.to = to;
    t.raw_amount = U256("115792089237316195423570985008687907853269984665640564039457584007913129639935");
    t.block_num = block;
    t.log_index = index;
    t.txn_hash.bytes[0] = static_cast<std::uint8_t>(block);
    t.txn_hash.bytes[1] = static_cast<std::uint8_t>(index);
    t.block_timestamp = 1000 + block;
    return t;
  }
  std::string where;
  std::unique_ptr<Store> store;
};

TEST_P(StoreConformance, CommitsAreIdempotentAndSurviveReopen) {
  const Address me = addr('1'), other = addr('2');
  ASSERT_TRUE(store->add_account("base", me, 0));
  SyncStep step;
  step.accounts = {me};
  step.synced_through = 20;
  step.follow = true;
  step.chain_head = 20;
  step.transfers = {transfer(10, 1, other, me), transfer(10, 0, me, other), transfer(12, 0, other, other)};
  step.block_hashes = {{19, Hash32{}}, {20, Hash32{}}};
  ASSERT_TRUE(store->commit("base", step));
  ASSERT_TRUE(store->commit("base", step));  // replayed after a crash: no duplicates
  store.reset();
  auto s = reopen();
  ASSERT_TRUE(s);
  auto got = s->transfers("base", me, UINT64_MAX, std::nullopt, 1000);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 2u);  // the third names neither side as `me`
  EXPECT_EQ((*got)[0].log_index, 0u);
  EXPECT_EQ((*got)[1].raw_amount, std::numeric_limits<U256>::max());
  EXPECT_EQ((*got)[1].block_timestamp, 1010u);
  EXPECT_EQ((*got)[1].from, other);
  auto acc = s->account("base", me);
  ASSERT_TRUE(acc && *acc);
  EXPECT_EQ((*acc)->synced_through, 20u);
  EXPECT_TRUE((*acc)->followed);
  EXPECT_EQ(**s->chain_head("base"), 20u);
  EXPECT_TRUE(s->transfers("ethereum", me, UINT64_MAX, std::nullopt, 1000)->empty());  // chains are separate
}

TEST_P(StoreConformance, TransferRangesPageInOrderUpToABlock) {
  const Address me = addr('1'), other = addr('2');
  ASSERT_TRUE(store->add_account("base", me, 0));
  SyncStep step;
  for (std::uint32_t b = 1; b <= 5; ++b)
    for (std::uint32_t i = 0; i < 3; ++i) step.transfers.push_back(transfer(b, i, i % 2 ? me : other, i % 2 ? other : me));
  step.transfers.push_back(transfer(3, 7, me, me));  // a self-transfer is listed once
  ASSERT_TRUE(store->commit("base", step));
  std::vector<TransferCursor> seen;
  std::optional<TransferCursor> after;
  for (;;) {
    auto page = store->transfers("base", me, 4, after, 4);
    ASSERT_TRUE(page) << page.error().message;
    if (page->empty()) break;
    EXPECT_LE(page->size(), 4u);
    for (const auto& t : *page) seen.emplace_back(t.block_num, t.log_index);
    after = seen.back();
  }
  std::vector<TransferCursor> want;
  for (std::uint32_t b = 1; b <= 4; ++b) {
    for (std::uint32_t i = 0; i < 3; ++i) want.emplace_back(b, i);
    if (b == 3) want.emplace_back(3, 7);
  }
  EXPECT_EQ(seen, want);
}

TEST_P(StoreConformance, AccountRecordIsOneConsistentRead) {
  const Address me = addr('1'), other = addr('2');
  ASSERT_TRUE(store->add_account("base", me, 0));
  EXPECT_FALSE(*store->account_record("base", other));
  auto pending = store->account_record("base", me);  // not followed yet: the row only
  ASSERT_TRUE(pending && *pending);
  EXPECT_FALSE((*pending)->account.followed);
  SyncStep step;
  step.accounts = {me};
  step.synced_through = 9;
  step.follow = true;
  step.chain_head = 9;
  step.transfers = {transfer(5, 0, other, me), transfer(12, 0, other, me)};  // the second is above the head
  step.tokens = {{addr('7'), {"USDC", 6}}};
  step.balances = {{me, addr('7'), 42, 9}};
  ASSERT_TRUE(store->commit("base", step));
  auto r = store->account_record("base", me);
  ASSERT_TRUE(r && *r) << (r ? "" : r.error().message);
  EXPECT_EQ((*r)->head, 9u);
  EXPECT_TRUE((*r)->account.followed);
  ASSERT_EQ((*r)->transfers.size(), 1u);
  EXPECT_EQ((*r)->transfers[0].block_num, 5u);
  ASSERT_EQ((*r)->balances.size(), 1u);
  EXPECT_EQ((*r)->balances[0].raw, 42);
  EXPECT_EQ((*r)->tokens.at(addr('7')).symbol, "USDC");
  EXPECT_EQ((*r)->tokens.at(addr('7')).decimals, 6u);
  EXPECT_FALSE((*r)->stale);
}

TEST_P(StoreConformance, RollbackRemovesTransfersAndMarksBalancesStale) {
  const Address me = addr('1'), other = addr('2'), pending = addr('3');
  ASSERT_TRUE(store->add_account("base", me, 0));
  ASSERT_TRUE(store->add_account("base", pending, 0));
  SyncStep step;
  step.accounts = {me};
  step.synced_through = 30;
  step.follow = true;
  step.chain_head = 30;
  step.transfers = {transfer(10, 0, other, me), transfer(25, 0, other, me)};
  step.block_hashes = {{24, Hash32{}}, {25, Hash32{}}};
  step.balances = {{me, addr('7'), 5, 26}, {other, addr('7'), 9, 12}};
  ASSERT_TRUE(store->commit("base", step));
  SyncStep progress;
  progress.accounts = {pending};
  progress.synced_through = 28;
  ASSERT_TRUE(store->commit("base", progress));
  const auto before = store->change_mark("base");
  ASSERT_TRUE(store->rollback_above("base", 20, std::nullopt));
  EXPECT_EQ(store->transfers("base", me, UINT64_MAX, std::nullopt, 100)->size(), 1u);
  EXPECT_EQ((*store->account("base", pending))->synced_through, 20u);  // a backfill cursor comes back
  EXPECT_TRUE((*store->account("base", me))->followed);                 // followed accounts stay followed
  EXPECT_EQ(**store->chain_head("base"), 20u);
  EXPECT_TRUE(store->block_hashes("base")->empty());
  auto stale = store->stale_balances("base", 10);
  ASSERT_EQ(stale->size(), 1u);  // read at block 26, above the fork; `other`'s at 12 stays good
  EXPECT_EQ(stale->front(), std::pair(me, addr('7')));
  EXPECT_TRUE((*store->account_record("base", me))->stale);
  const auto after = store->change_mark("base");
  EXPECT_GT(after->seq, before->seq);
  EXPECT_EQ(after->unwind_seq, after->seq);
  SyncStep reread;
  reread.balances = {{me, addr('7'), 6, 21}};
  ASSERT_TRUE(store->commit("base", reread));
  EXPECT_TRUE(store->stale_balances("base", 10)->empty());
  EXPECT_FALSE((*store->account_record("base", me))->stale);
}

TEST_P(StoreConformance, ChangedChainIdentityDropsTheChainsData) {
  auto& s = store;
  EXPECT_FALSE(*s->set_chain_identity("base", 8453, 1));
  ASSERT_TRUE(s->add_account("base", addr('1'), 5));
  EXPECT_FALSE(*s->set_chain_identity("base", 8453, 1));
  EXPECT_EQ(*s->account_count("base"), 1u);
  EXPECT_EQ((*s->account("base", addr('1')))->synced_through, 5u);
  EXPECT_FALSE(*s->account("base", addr('2')));
  EXPECT_TRUE(*s->set_chain_identity("base", 8453, 2));  // same id, another genesis: a new devnet
  EXPECT_EQ(*s->account_count("base"), 0u);
  ASSERT_TRUE(s->add_account("base", addr('1'), 5));
  EXPECT_TRUE(*s->set_chain_identity("base", 31337, 2));
  EXPECT_EQ(*s->account_count("base"), 0u);
  EXPECT_EQ(**s->chain_id("base"), 31337u);
}

TEST_P(StoreConformance, FollowedPendingAndPairsPage) {
  std::vector<Address> all;
  for (char c : std::string("abcdef")) all.push_back(addr(c));
  for (const auto& a : all) ASSERT_TRUE(store->add_account("base", a, 0));
  SyncStep step;
  step.accounts = {all[0], all[2], all[4]};
  step.follow = true;
  step.balances = {{all[0], addr('7'), 1, 1}, {all[0], addr('8'), 1, 1}, {all[2], addr('7'), 1, 1}};
  ASSERT_TRUE(store->commit("base", step));
  auto first = store->followed_accounts("base", Address{}, 2);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, (std::vector<Address>{all[0], all[2]}));
  EXPECT_EQ(*store->followed_accounts("base", all[2], 10), std::vector<Address>{all[4]});
  auto pending = store->pending_accounts("base", 10);
  ASSERT_EQ(pending->size(), 3u);
  for (const auto& p : *pending) EXPECT_FALSE(p.followed);
  EXPECT_EQ(*store->balance_count("base"), 3u);
  auto pairs = store->balance_pairs("base", {}, 2);
  ASSERT_EQ(pairs->size(), 2u);
  auto rest = store->balance_pairs("base", pairs->back(), 10);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front(), std::pair(all[2], addr('7')));
}

TEST_P(StoreConformance, RegisterAccountsAndHeldTokensAreBatchReads) {
  const Address a = addr('1'), b = addr('2'), c = addr('3'), stranger = addr('9');
  ASSERT_TRUE(store->add_account("base", a, 7));
  SyncStep follow;
  follow.accounts = {a};
  follow.synced_through = 8;
  follow.follow = true;
  ASSERT_TRUE(store->commit("base", follow));
  auto rows = store->register_accounts("base", {a, b, c}, 3);
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  std::map<Address, StoredAccount> by;
  for (const auto& r : *rows) by[r.account] = r;
  EXPECT_TRUE(by.at(a).followed);  // already there: unchanged
  EXPECT_EQ(by.at(a).synced_through, 8u);
  EXPECT_FALSE(by.at(b).followed);
  EXPECT_EQ(by.at(c).synced_through, 3u);
  SyncStep step;
  auto t1 = transfer(5, 0, stranger, a), t2 = transfer(6, 0, b, stranger), t3 = transfer(9, 0, stranger, c);
  t2.token = addr('8');
  step.transfers = {t1, t2, t3};
  ASSERT_TRUE(store->commit("base", step));
  auto held = store->held_tokens("base", {a, b, c}, 8);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, (std::set<std::pair<Address, Address>>{{a, addr('7')}, {b, addr('8')}}));  // c's is above block 8
}

TEST_P(StoreConformance, ChangeMarksNameTheTouchedAccounts) {
  const Address a = addr('1'), b = addr('2'), stranger = addr('9');
  ASSERT_TRUE(store->add_account("base", a, 0));
  ASSERT_TRUE(store->add_account("base", b, 0));
  SyncStep follow;
  follow.accounts = {a, b};
  follow.follow = true;
  ASSERT_TRUE(store->commit("base", follow));
  const auto mark = *store->change_mark("base");
  SyncStep step;
  step.chain_head = 50;
  step.transfers = {transfer(50, 0, stranger, a)};
  ASSERT_TRUE(store->commit("base", step));
  const auto next = *store->change_mark("base");
  EXPECT_GT(next.seq, mark.seq);
  EXPECT_EQ(next.head, std::optional<std::uint64_t>(50));
  EXPECT_EQ(*store->changed_accounts("base", mark.seq), std::vector<Address>{a});
  EXPECT_TRUE(store->changed_accounts("base", next.seq)->empty());
}

TEST_P(StoreConformance, UntrackIdleStopsFollowingAccountsNobodyAskedFor) {
  const Address asked = addr('1'), idle = addr('2'), never = addr('3'), stranger = addr('9');
  for (const auto& a : {asked, idle, never}) ASSERT_TRUE(store->add_account("base", a, 0));
  SyncStep follow;
  follow.accounts = {asked, idle, never};
  follow.follow = true;
  follow.chain_head = 40;
  follow.transfers = {transfer(30, 0, stranger, idle)};
  follow.balances = {{idle, addr('7'), 5, 30}, {asked, addr('7'), 6, 30}};
  ASSERT_TRUE(store->commit("base", follow));
  ASSERT_TRUE(store->touch_accounts("base", {asked}, 1000));
  ASSERT_TRUE(store->touch_accounts("base", {idle}, 100));
  ASSERT_TRUE(store->touch_accounts("base", {asked}, 500));  // an older touch does not move it back
  const auto mark = *store->change_mark("base");
  // Cutoff 600: idle (100) goes; asked (1000) stays; never (not recorded) counts as now and stays.
  auto gone = store->untrack_idle("base", 600, 2000, std::nullopt);
  ASSERT_TRUE(gone) << gone.error().message;
  EXPECT_EQ(*gone, std::vector<Address>{idle});
  auto row = *store->account("base", idle);
  ASSERT_TRUE(row);
  EXPECT_FALSE(row->followed);
  EXPECT_EQ(row->synced_through, 40u) << "the cursor is the head it was followed through";
  EXPECT_EQ(store->transfers("base", idle, 100, std::nullopt, 10)->size(), 1u) << "its data stays";
  EXPECT_EQ(*store->changed_accounts("base", mark.seq), std::vector<Address>{idle});
  EXPECT_EQ(*store->balance_pairs("base", {}, 10), (std::vector<std::pair<Address, Address>>{{asked, addr('7')}}))
      << "an unfollowed account's balances are not refreshed";
  EXPECT_TRUE((*store->account("base", never))->followed);
  EXPECT_TRUE(row->idle);
  EXPECT_TRUE(store->pending_accounts("base", 10)->empty()) << "an idle account is not a backfill to run";
  // A request registers it again: pending, its cursor kept; a progress commit keeps it pending.
  ASSERT_TRUE(store->add_account("base", idle, 0));
  auto woken = *store->account("base", idle);
  EXPECT_FALSE(woken->idle);
  EXPECT_EQ(woken->synced_through, 40u);
  ASSERT_EQ(store->pending_accounts("base", 10)->size(), 1u);
  SyncStep progress;
  progress.accounts = {idle};
  progress.synced_through = 45;
  ASSERT_TRUE(store->commit("base", progress));
  EXPECT_FALSE((*store->account("base", idle))->followed);
  progress.follow = true;
  ASSERT_TRUE(store->commit("base", progress));
  EXPECT_TRUE((*store->account("base", idle))->followed);
  ASSERT_TRUE(store->touch_accounts("base", {idle}, 5000));  // the request that resumed it
  // `never` was stamped 2000 by that pass; a later cutoff past it untracks it, asked (1000) goes first.
  EXPECT_EQ(*store->untrack_idle("base", 1500, 3000, std::nullopt), std::vector<Address>{asked});
  EXPECT_EQ(*store->untrack_idle("base", 2500, 3000, std::nullopt), std::vector<Address>{never});
}

TEST_P(StoreConformance, CommitsThatDoNotContinueTheStoredCursorsAreRefused) {
  const Address a = addr('1');
  ASSERT_TRUE(store->add_account("base", a, 10));
  SyncStep head;
  head.chain_head = 20;
  ASSERT_TRUE(store->commit("base", head));
  // The follower extends head 20: fine; one that believes it committed 25 (lost by the database) is refused.
  SyncStep next;
  next.expected_head = 20;
  next.chain_head = 21;
  ASSERT_TRUE(store->commit("base", next));
  SyncStep past_a_gap;
  past_a_gap.expected_head = 25;
  past_a_gap.chain_head = 26;
  past_a_gap.transfers = {transfer(26, 0, addr('9'), a)};
  auto refused = store->commit("base", past_a_gap);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kFenced);
  EXPECT_EQ(*store->chain_head("base"), std::optional<std::uint64_t>(21));
  EXPECT_TRUE(store->transfers("base", a, 100, std::nullopt, 10)->empty()) << "a refused commit wrote something";
  // The same for a backfill's cursor.
  SyncStep progress;
  progress.accounts = {a};
  progress.expected_synced_through = 10;
  progress.synced_through = 15;
  ASSERT_TRUE(store->commit("base", progress));
  progress.expected_synced_through = 12;
  progress.synced_through = 18;
  auto gap = store->commit("base", progress);
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error().code, Errc::kFenced);
  EXPECT_EQ((*store->account("base", a))->synced_through, 15u);
}

TEST_P(StoreConformance, LeaseGoesToOneHolderAndFencesTheOld) {
  auto e1 = store->acquire_lease("base", "p1", 60'000);
  ASSERT_TRUE(e1 && *e1) << (e1 ? "" : e1.error().message);
  EXPECT_FALSE(store->acquire_lease("base", "p2", 60'000)->has_value());
  EXPECT_EQ(*store->acquire_lease("base", "p1", 60'000), *e1);  // renewing keeps the epoch
  auto holder = *store->lease_holder("base");
  ASSERT_TRUE(holder);
  EXPECT_EQ(holder->holder, "p1");
  EXPECT_TRUE(holder->live);
  SyncStep step;
  step.lease_epoch = *e1;
  step.chain_head = 7;
  ASSERT_TRUE(store->commit("base", step));
  // p1 stops renewing; once its lease lapses p2 takes over with a larger epoch.
  ASSERT_TRUE(store->acquire_lease("base", "p1", 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the lease's own expiry, not a wait for a condition
  auto e2 = store->acquire_lease("base", "p2", 60'000);
  ASSERT_TRUE(e2 && *e2);
  EXPECT_GT(**e2, **e1);
  step.chain_head = 8;
  auto fenced = store->commit("base", step);  // p1 wakes up and tries to write
  ASSERT_FALSE(fenced);
  EXPECT_EQ(fenced.error().code, Errc::kFenced);
  EXPECT_EQ(**store->chain_head("base"), 7u);
  EXPECT_EQ(store->rollback_above("base", 1, *e1).error().code, Errc::kFenced);
  EXPECT_EQ(**store->chain_head("base"), 7u);
  step.lease_epoch = **e2;
  EXPECT_TRUE(store->commit("base", step));
  ASSERT_TRUE(store->release_lease("base", "p2"));
  auto e3 = store->acquire_lease("base", "p1", 60'000);  // released: no need to wait
  ASSERT_TRUE(e3 && *e3);
  EXPECT_GT(**e3, **e2);
}

TEST_P(StoreConformance, TwoHandlesOnOneStoreSeeEachOthersWrites) {
  auto other = reopen();
  ASSERT_TRUE(other);
  ASSERT_TRUE(store->add_account("base", addr('1'), 3));
  EXPECT_EQ((*other->account("base", addr('1')))->synced_through, 3u);
  auto e = other->acquire_lease("base", "replica-b", 60'000);
  ASSERT_TRUE(e && *e);
  EXPECT_FALSE(*store->acquire_lease("base", "replica-a", 60'000));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values(sqlite_backend(), postgres_backend()),
                         [](const auto& info) { return info.param.name; });

TEST(PostgresStore, UnreachableServerIsAnErrorWithoutThePassword) {
  auto s = open_postgres("postgresql://u:hunter2@127.0.0.1:1/db", 1);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::kUpstream);
  EXPECT_EQ(s.error().message.find("hunter2"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("***"), std::string::npos) << s.error().message;
}

// A server that accepts the TCP connection and never answers (a hung host, a half-open proxy):
// start-up fails with connect_timeout's error instead of waiting for ever.
TEST(PostgresStore, AServerThatNeverAnswersIsAnErrorNotAHang) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 8), 0);  // the kernel completes handshakes; nobody reads
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string url = "postgresql://u:pw@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/db";
  auto opening = std::async(std::launch::async, [&] { return open_postgres(url, 1); });
  const bool returned = opening.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  ::close(listener);  // also ends an attempt that hangs: the queued connection is reset
  ASSERT_TRUE(returned) << "open_postgres hangs";
  auto s = opening.get();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::kUpstream);
  EXPECT_NE(s.error().message.find("timeout"), std::string::npos) << s.error().message;
}

// A restart costs no failed call (the closed connection is reconnected before anything ran), and
// the change counter's incarnation is how a replica learns of it anyway (the commits just before
// may be lost): the same until a restart, then another.
TEST(PostgresStore, ARestartCostsNoFailedCallAndChangesTheIncarnation) {
  auto& pg = testing::PgCluster::shared();
  auto store = open_postgres(pg.create_database(), 1);
  ASSERT_TRUE(store) << store.error().message;
  auto before = (*store)->change_mark("base");
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_NE(before->incarnation, 0u);
  auto again = (*store)->change_mark("base");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->incarnation, before->incarnation);
  pg.psql("CHECKPOINT");  // the cluster commits asynchronously: keep the schema through the crash
  pg.stop();
  pg.start();
  auto after = (*store)->change_mark("base");  // on the one pooled connection, which the server closed
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_NE(after->incarnation, before->incarnation);
  EXPECT_EQ(after->seq, before->seq);
}

TEST(PostgresStore, MalformedUrlIsInvalidInput) {
  auto s = open_postgres("postgresql://u:pw@[::1", 1);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::kInvalidInput);
}

TEST(PostgresStore, RedactsPasswords) {
  EXPECT_EQ(redact_url("postgresql://user:pa:ss@h:5/db"), "postgresql://user:***@h:5/db");
  EXPECT_EQ(redact_url("postgresql://user@h/db"), "postgresql://user@h/db");
  EXPECT_EQ(redact_url("host=h password=abc dbname=x"), "host=h password=*** dbname=x");
}

TEST(PostgresStore, ReplicasStartingTogetherMigrateOnce) {
  const std::string url = testing::PgCluster::shared().create_database();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      if (auto s = open_postgres(url, 1)) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
}

}  // namespace
}  // namespace creditscope::store
