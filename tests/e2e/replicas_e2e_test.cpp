// Two `creditscope serve` processes on one real PostgreSQL 15 database (a throw-away cluster):
// both answer the chain's ground truth, new transfers reach both within a poll interval plus a
// second, the leader's kill -9 or pause hands the chain over within the lease without losing or
// duplicating anything, and the new leader follows a reorg.

#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>

#include "account_fixture.hpp"
#include "event_reader.hpp"
#include "harness.hpp"
#include "core/metrics.hpp"
#include "store/store.hpp"
#include "store/testing/pg_cluster.hpp"

namespace creditscope::e2e {
namespace {
using devnet::transfer_call;
using Ms = std::chrono::milliseconds;
namespace json = boost::json;

constexpr long kPollMs = 100;
constexpr auto kLease = std::chrono::seconds(2);

class ReplicasE2E : public FundedAccount {
 protected:
  std::string url = store::testing::PgCluster::shared().create_database();

  struct Replica {
    unsigned short port;
    std::unique_ptr<ServerProcess> process;
    chain::HttpResponse get(const std::string& t) const { return process->get(t); }
  };

  Replica start() {
    auto cfg = h.indexed_config(dir.file("unused.db"), kPollMs);
    cfg.store.mode = "postgres";
    cfg.store.url = url;
    cfg.store.leader_lease = kLease;
    const unsigned short port = devnet::free_port();
    cfg.server.listen = "127.0.0.1:" + std::to_string(port);
    const std::string path = dir.file("replica-" + std::to_string(port) + ".toml");
    std::ofstream(path) << h.toml(cfg);
    return Replica{port, std::make_unique<ServerProcess>(path, port)};
  }

  // A metric's value summed over the series whose labels contain `labels`.
  static double metric(const Replica& r, const std::string& name, const std::string& labels = "") {
    const std::string body = r.get("/metrics").body;
    double sum = 0;
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with(name + "{") && !line.starts_with(name + " ")) continue;
      if (line.find(labels) == std::string::npos) continue;
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }
  static bool leads(const Replica& r) { return metric(r, "creditscope_leader", "chain=\"base\"") == 1; }

  // Waits until exactly one of the two leads; returns its index.
  int leader_of(const Replica& a, const Replica& b) {
    int who = -1;
    EXPECT_TRUE(eventually([&] {
      const bool la = leads(a), lb = leads(b);
      who = la && !lb ? 0 : lb && !la ? 1 : -1;
      return who >= 0;
    })) << "no single leader";
    return who;
  }

  struct Pair {
    Replica a, b;
    Replica* leader = nullptr;
    Replica* other = nullptr;
  };
  // Two replicas on the database, once exactly one of them leads; null when that never happens.
  std::unique_ptr<Pair> start_pair() {
    auto p = std::make_unique<Pair>(Pair{start(), start()});
    const int who = leader_of(p->a, p->b);
    if (who < 0) return nullptr;
    p->leader = who == 0 ? &p->a : &p->b;
    p->other = who == 0 ? &p->b : &p->a;
    return p;
  }

  // Runs ServerProcess's get until the body names txn, and says how long that took from `since`.
  static std::optional<Ms> time_until_served(const Replica& r, const std::string& target, const std::string& txn,
                                             std::chrono::steady_clock::time_point since, Ms limit) {
    const bool seen = eventually([&] { return r.get(target).body.find(txn) != std::string::npos; }, limit);
    if (!seen) return std::nullopt;
    return std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - since);
  }
};

TEST_F(ReplicasE2E, BothAnswerTheChainAndANewTransferReachesBothWithinThePollPlusOneSecond) {
  auto pair = start_pair();
  ASSERT_TRUE(pair);
  Replica &a = pair->a, &b = pair->b, &leader = *pair->leader, &follower = *pair->other;
  // The first request reaches the replica that does not lead: the leader backfills it.
  expect_same_as_chain(settled(follower), "cold, through the replica that does not lead");
  expect_same_as_chain(settled(leader), "through the leader");
  EXPECT_EQ(metric(a, "creditscope_backfills_total", "outcome=\"ok\"") + metric(b, "creditscope_backfills_total", "outcome=\"ok\""), 1)
      << "one backfill per account across replicas";

  auto receipt = must(h.chain().send(funder, tokens[1], transfer_call(account, 777)), "new transfer");
  const auto mined = std::chrono::steady_clock::now();
  const std::string txn = hex::encode(view(receipt.txn_hash));
  const Ms bound = Ms(kPollMs) + std::chrono::seconds(1);
  for (const Replica* r : {&a, &b}) {
    auto took = time_until_served(*r, target, txn, mined, bound);
    ASSERT_TRUE(took) << "transfer in block " << receipt.block_num << " not served by :" << r->port << " within " << bound.count() << " ms";
    std::cerr << "replica :" << r->port << " served block " << receipt.block_num << " after " << took->count() << " ms\n";
  }
  expect_same_as_chain(settled(a), "replica a after a new transfer");
  expect_same_as_chain(settled(b), "replica b after a new transfer");
  // Both report their role, and both are ready (the chain is followed by someone).
  EXPECT_EQ(metric(a, "creditscope_leader") + metric(b, "creditscope_leader"), 1);
  for (const Replica* r : {&a, &b}) {
    auto ready = r->get("/readyz");
    EXPECT_EQ(ready.status, 200u) << ready.body;
  }
}

// The extras of issue 13 do not depend on which replica answers: the same ETag for the same body,
// cursors that continue on the other replica, pinned answers, and a stream on the replica that
// does not lead sees a new transfer.
TEST_F(ReplicasE2E, ExtrasAgreeAcrossReplicas) {
  auto pair = start_pair();
  ASSERT_TRUE(pair);
  Replica &leader = *pair->leader, &follower = *pair->other;
  auto before_leader = settled(leader), before_follower = settled(follower);
  ASSERT_EQ(before_leader.body, before_follower.body);
  ASSERT_TRUE(before_leader.header("etag"));
  EXPECT_EQ(before_leader.header("etag"), before_follower.header("etag"));
  chain::HttpOptions revalidate;
  revalidate.headers = {{"If-None-Match", *before_leader.header("etag")}};
  auto not_modified = must(chain::http_get(must(chain::parse_url("http://127.0.0.1:" + std::to_string(follower.port) + target), "url"),
                                           revalidate),
                           "GET");
  EXPECT_EQ(not_modified.status, 304u) << "the leader's ETag revalidates at the other replica";
  const std::string pinned_block = *before_leader.header("x-block-number");

  const std::string route = "/v2/credit/transfers?chain=base&owner=" + to_checksum(owner) + "&limit=2";
  auto first = json::parse(leader.get(route).body).as_object();
  ASSERT_FALSE(first.at("next_cursor").is_null());
  auto rest = json::parse(follower.get(route + "&limit=1000&cursor=" + std::string(first.at("next_cursor").as_string())).body).as_object();
  auto all = json::parse(leader.get(route + "&limit=1000").body).as_object();
  EXPECT_EQ(first.at("transfers").as_array().size() + rest.at("transfers").as_array().size(),
            all.at("transfers").as_array().size());

  EventReader events(follower.port, "/v2/credit/balances/stream?chain=base&owner=" + to_checksum(owner));
  events.head();
  ASSERT_TRUE(events.next_event(std::chrono::seconds(5)));
  auto receipt = must(h.chain().send(funder, tokens[1], transfer_call(account, 999)), "new transfer");
  auto event = events.next_event(Ms(kPollMs) + std::chrono::seconds(2));
  ASSERT_TRUE(event) << "the replica that does not lead streamed nothing";
  EXPECT_NE(event->second.find(hex::encode(view(receipt.txn_hash))), std::string::npos);

  // An answer pinned before the transfer is the earlier answer, on either replica.
  for (const Replica* r : {&leader, &follower}) {
    auto pinned = r->get(target + "&block=" + pinned_block);
    EXPECT_EQ(pinned.status, 200u) << pinned.body;
    EXPECT_EQ(pinned.body, before_leader.body);
  }
}

TEST_F(ReplicasE2E, KillNineOfTheLeaderHandsOverWithinTheLeaseAndLosesNothing) {
  auto pair = start_pair();
  ASSERT_TRUE(pair);
  Replica &leader = *pair->leader, &survivor = *pair->other;
  expect_same_as_chain(settled(survivor), "before the kill");

  leader.process->kill9();
  const auto killed = std::chrono::steady_clock::now();
  // Transfers mined while nobody leads are picked up by the next leader.
  auto gap = must(h.chain().send(funder, tokens[2], transfer_call(account, 4321)), "transfer while nobody leads");
  ASSERT_TRUE(eventually([&] { return leads(survivor); }, kLease + Ms(500)));
  const auto took = std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - killed);
  std::cerr << "takeover after " << took.count() << " ms (lease " << kLease.count() << " s)\n";
  EXPECT_LE(took, kLease) << "the lease was not taken over within leader_lease_s";
  auto after = settled(survivor);
  EXPECT_NE(after.body.find(hex::encode(view(gap.txn_hash))), std::string::npos);
  expect_same_as_chain(after, "after the leader's kill -9");  // nothing lost, nothing twice

  // A new account asked for on the survivor is backfilled by it, now the leader.
  const Address owner2 = devnet::dev_account(5);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  const Address account2 = must(deriver.derive(owner2), "derive");
  must(h.chain().send(funder, tokens[0], transfer_call(account2, 99)), "fund the second account");
  const std::string target2 = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner2);
  chain::HttpResponse cold;
  ASSERT_TRUE(eventually([&] {
    cold = survivor.get(target2);
    return cold.status == 200 && cold.header("x-block-number") == std::to_string(head());
  }));
  Server stateless(h.config());
  EXPECT_EQ(cold.body, stateless.get(target2).body);
}

TEST_F(ReplicasE2E, APausedLeaderThatWakesUpCannotCommit) {
  auto pair = start_pair();
  ASSERT_TRUE(pair);
  Replica &old_leader = *pair->leader, &other = *pair->other;
  expect_same_as_chain(settled(other), "before the pause");
  old_leader.process->pause();
  ASSERT_TRUE(eventually([&] { return leads(other); }, kLease + Ms(500)));
  auto during = must(h.chain().send(funder, tokens[1], transfer_call(account, 31337)), "transfer during the pause");
  expect_same_as_chain(settled(other), "while the old leader is paused");
  // It wakes up believing it leads: whatever it tries to write is fenced, and it steps down.
  old_leader.process->resume();
  must(h.chain().send(account, tokens[1], transfer_call(merchant, 7)), "transfer after the wake-up");
  EXPECT_TRUE(eventually([&] { return !leads(old_leader) && leads(other); }, kLease + Ms(1000)));
  auto answer = settled(old_leader);
  EXPECT_NE(answer.body.find(hex::encode(view(during.txn_hash))), std::string::npos);
  expect_same_as_chain(answer, "the woken replica");
  expect_same_as_chain(settled(other), "the new leader");
}

TEST_F(ReplicasE2E, TheNewLeaderFollowsAReorg) {
  auto pair = start_pair();
  ASSERT_TRUE(pair);
  Replica& survivor = *pair->other;
  settled(survivor);
  pair->leader->process->kill9();
  ASSERT_TRUE(eventually([&] { return leads(survivor); }, kLease + Ms(500)));

  auto id = must(h.chain().rpc().call("evm_snapshot", {}), "snapshot");
  auto orphan = must(h.chain().send(funder, tokens[2], transfer_call(account, 5555)), "orphan in");
  must(h.chain().mine(3), "pad");
  auto before = settled(survivor);
  ASSERT_NE(before.body.find(hex::encode(view(orphan.txn_hash))), std::string::npos);
  ASSERT_TRUE(must(h.chain().rpc().call("evm_revert", json::array{id}), "revert").as_bool());
  auto replacement = must(h.chain().send(funder, tokens[1], transfer_call(account, 4242)), "replacement");
  must(h.chain().mine(6), "outgrow the old branch");
  auto after = settled(survivor);
  EXPECT_EQ(after.body.find(hex::encode(view(orphan.txn_hash))), std::string::npos) << "orphaned transfer still served";
  EXPECT_NE(after.body.find(hex::encode(view(replacement.txn_hash))), std::string::npos);
  expect_same_as_chain(after, "after a reorg followed by the new leader");
  EXPECT_GE(metric(survivor, "creditscope_reorgs_total"), 1);
}

TEST_F(ReplicasE2E, ADatabaseOutageIs503WithRetryAfterAndBothRecover) {
  auto pair = start_pair();
  ASSERT_TRUE(pair);
  Replica &a = pair->a, &b = pair->b;
  expect_same_as_chain(settled(a), "before the outage");
  expect_same_as_chain(settled(b), "before the outage");
  auto& pg = store::testing::PgCluster::shared();
  pg.stop();
  // Warm answers included: a cache that cannot be checked against the store is not served.
  for (const Replica* r : {&a, &b}) {
    chain::HttpResponse res;
    EXPECT_TRUE(eventually([&] {
      res = r->get(target);
      return res.status == 503;
    }, std::chrono::seconds(5))) << "still " << res.status << " from :" << r->port;
    EXPECT_TRUE(res.header("retry-after").has_value());
    EXPECT_EQ(res.body.find("balances"), std::string::npos) << res.body;
    EXPECT_TRUE(eventually([&] { return r->get("/readyz").status == 503; }, std::chrono::seconds(5)));
  }
  pg.start();
  auto after = must(h.chain().send(funder, tokens[2], transfer_call(account, 2024)), "transfer after the outage");
  for (const Replica* r : {&a, &b}) {
    auto res = settled(*r);
    EXPECT_NE(res.body.find(hex::encode(view(after.txn_hash))), std::string::npos);
    expect_same_as_chain(res, "after the outage");
    EXPECT_TRUE(eventually([&] { return r->get("/readyz").status == 200; }));
  }
}

// Connections killed by the database (pg_terminate_backend, as a failover or an admin does) while
// both replicas commit follower steps and backfills: the pool reconnects, and the index ends equal
// to the chain, nothing lost and nothing twice.
TEST_F(ReplicasE2E, ConnectionsKilledMidCommitLoseAndDuplicateNothing) {
  auto pair = start_pair();
  ASSERT_TRUE(pair);
  Replica &a = pair->a, &b = pair->b;
  expect_same_as_chain(settled(a), "before");
  auto& pg = store::testing::PgCluster::shared();
  const std::string db = url.substr(url.rfind('/') + 1);
  std::atomic<bool> killing{true};
  std::atomic<int> rounds{0};
  std::thread killer([&] {
    while (killing) {
      pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db +
              "' AND pid <> pg_backend_pid()");
      ++rounds;
      std::this_thread::sleep_for(Ms(100));
    }
  });
  std::vector<std::string> txns;
  const std::vector<Address> newcomers = {devnet::dev_account(6), devnet::dev_account(7)};
  for (int i = 0; i < 6; ++i) {
    auto r = must(h.chain().send(funder, tokens[i % 3], transfer_call(account, 100 + i)), "transfer");
    txns.push_back(hex::encode(view(r.txn_hash)));
    (void)a.get("/v2/credit/balances?chain=base&owner=" + to_checksum(newcomers[i % 2]));  // backfills, maybe 503
    std::this_thread::sleep_for(Ms(300));
  }
  killing = false;
  killer.join();
  std::cerr << rounds << " rounds of killed connections\n";
  for (const Replica* r : {&a, &b}) {
    auto res = settled(*r);
    for (const auto& t : txns) EXPECT_NE(res.body.find(t), std::string::npos) << "lost " << t;
    expect_same_as_chain(res, "after connections were killed");
  }
  Server truth(h.config());
  for (const auto& who : newcomers) {
    const std::string t = "/v2/credit/balances?chain=base&owner=" + to_checksum(who);
    chain::HttpResponse res;
    EXPECT_TRUE(eventually([&] { return (res = b.get(t)).status == 200; }, std::chrono::seconds(20))) << res.body;
    EXPECT_EQ(res.body, truth.get(t).body);
  }
}

// 30 s without the database, then a restart: every request that needs the store is a 503 with
// Retry-After meanwhile (the processes stay up), and afterwards the transfers mined during the
// outage are all there.
TEST_F(ReplicasE2E, ThirtySecondsWithoutTheDatabaseThenARestartLoseNothing) {
  auto pair = start_pair();
  ASSERT_TRUE(pair);
  Replica &a = pair->a, &b = pair->b;
  expect_same_as_chain(settled(a), "before");
  auto& pg = store::testing::PgCluster::shared();
  pg.stop();
  const auto outage_end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<std::string> txns;
  int checks = 0, answered_200 = 0;
  while (std::chrono::steady_clock::now() < outage_end) {
    if (txns.size() < 3)
      txns.push_back(hex::encode(view(must(h.chain().send(funder, tokens[txns.size()], transfer_call(account, 7 + txns.size())),
                                           "transfer during the outage").txn_hash)));
    for (const Replica* r : {&a, &b}) {
      EXPECT_EQ(r->get("/healthz").status, 200u) << "replica :" << r->port << " died";
      auto res = r->get(target);
      ++checks;
      if (res.status == 200) {
        ++answered_200;  // only in the first seconds, before the replicas notice
      } else {
        EXPECT_EQ(res.status, 503u) << res.body;
        EXPECT_TRUE(res.header("retry-after"));
      }
    }
    std::this_thread::sleep_for(Ms(2000));
  }
  EXPECT_LE(answered_200, 4) << "answers served long after the store went away";
  pg.start();
  for (const Replica* r : {&a, &b}) {
    auto res = settled(*r, std::chrono::seconds(30));
    for (const auto& t : txns) EXPECT_NE(res.body.find(t), std::string::npos) << "lost " << t;
    expect_same_as_chain(res, "after 30 s without the database");
  }
  // A restart (crash and start) right after: the same. It loses the commit that made the account
  // followed again (asynchronous commit), which once let the reloaded leader serve its cached
  // answer at a head that passed over the next transfer (fixed in ChainIndexer::become_leader).
  // Here and above what is checked is that nothing is lost, not how fast: the waits are generous.
  pg.stop();
  pg.start();
  auto after = must(h.chain().send(funder, tokens[0], transfer_call(account, 99)), "transfer after the restart");
  for (const Replica* r : {&a, &b}) {
    auto res = settled(*r, std::chrono::seconds(30));
    EXPECT_NE(res.body.find(hex::encode(view(after.txn_hash))), std::string::npos);
    expect_same_as_chain(res, "after a database restart");
  }
  std::cerr << checks << " requests during the outage\n";
}


// [store] untrack_after_days with replicas: requests that reach only the replica that does not lead
// keep the account followed (every replica records them in the store), and once nobody asks, the
// leader stops following it; a later request at the other replica resumes it. In-process replicas,
// so the intervals can be shortened.
TEST_F(ReplicasE2E, RequestsAtAnyReplicaKeepAnAccountFollowed) {
  auto cfg = h.indexed_config(dir.file("unused.db"), kPollMs);
  cfg.store.mode = "postgres";
  cfg.store.url = url;
  cfg.store.leader_lease = kLease;
  cfg.store.untrack_after = std::chrono::seconds(2);
  cfg.chains[0].indexer.touch_interval = Ms(100);
  cfg.chains[0].indexer.untrack_interval = Ms(300);
  auto store = must(store::open_postgres(url, 1), "open the database");
  auto holder = [&] {
    auto lease = must(store->lease_holder("base"), "lease");
    return lease && lease->live ? lease->holder : std::string();
  };
  Server leader(cfg);
  ASSERT_TRUE(eventually([&] { return leader.get("/readyz").status == 200 && !holder().empty(); })) << "no leader";
  const std::string leading = holder();
  Server other(cfg);
  expect_same_as_chain(settled(other), "cold, through the replica that does not lead");
  auto followed = [&] {
    auto row = must(store->account("base", account), "read");
    return row && row->followed;
  };
  ASSERT_TRUE(followed());
  const auto untracked_before = Metrics::global().counter_sum("creditscope_untracked_accounts_total");
  // Asked for at the other replica only, for more than twice untrack_after.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    EXPECT_EQ(other.get(target).status, 200u);
    ASSERT_TRUE(followed()) << "untracked although the other replica was asked for it";
    std::this_thread::sleep_for(Ms(200));
  }
  EXPECT_EQ(Metrics::global().counter_sum("creditscope_untracked_accounts_total"), untracked_before);
  // Nobody asks: untracked by the leader, data kept.
  ASSERT_TRUE(eventually([&] { return !followed(); })) << "not untracked after nobody asked";
  auto later = must(h.chain().send(funder, tokens[1], transfer_call(account, 4711)), "transfer while untracked");
  auto res = settled(other);
  EXPECT_NE(res.body.find(hex::encode(view(later.txn_hash))), std::string::npos);
  expect_same_as_chain(res, "resumed through the replica that does not lead");
  EXPECT_TRUE(followed());
  EXPECT_EQ(holder(), leading) << "the lease moved: the test did not test what it says";
}
}  // namespace
}  // namespace creditscope::e2e
