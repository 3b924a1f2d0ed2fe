// make soak (issue 15): SOAK_MINUTES (default 10) of everything going wrong at once, checked all
// the time against the chain:
//   - anvil with a transfer every 500 ms and a reorg (3 blocks replaced) every 45 s;
//   - two `creditscope serve` replicas on a throw-away PostgreSQL, reading the chain through the
//     fault proxy with 10% of requests failing (500, 429, reset, truncated body, stall, in turn);
//   - every 60 s a kill -9 of the leader (restarted at once), and 30 s later a crash and restart of
//     the database;
//   - two checkers ask both replicas for a fixed set of owners without pause and compare each 200
//     with the ground truth at its X-Block-Number (a stateless server straight on anvil, asked
//     for that block). A 200 given just before a reorg replaced its block is counted apart.
// Prints answers checked, wrong answers (must be 0), 503s, the longest stretch without a 200, and
// peak RSS; writes bench/results/soak.md. Exit 1 on any wrong answer.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "bench_util.hpp"
#include "fault_proxy.hpp"
#include "harness.hpp"
#include "store/testing/pg_cluster.hpp"

using namespace creditscope;
using namespace creditscope::e2e;
using Clock = std::chrono::steady_clock;

namespace {

double metric(const ServerProcess& p, const std::string& series) {
  const std::string body = p.get("/metrics").body;
  auto at = body.find(series + " ");
  return at == std::string::npos ? 0 : std::stod(body.substr(at + series.size() + 1));
}

}  // namespace

int main() {
  const char* env = std::getenv("SOAK_MINUTES");
  const double minutes = env && *env ? std::stod(env) : 10;
  Harness h;
  TempDir dir;
  const Address funder = devnet::dev_account(0), merchant = devnet::dev_account(9);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  std::vector<Address> owners, accounts, tokens;
  for (int i = 1; i <= 6; ++i) {
    owners.push_back(devnet::dev_account(i));
    accounts.push_back(must(deriver.derive(owners.back()), "derive"));
  }
  for (int t = 0; t < 3; ++t) {
    tokens.push_back(must(devnet::deploy_token(h.chain(), h.artifacts(), "S" + std::to_string(t), t == 0 ? 6 : 18), "token"));
    must(h.chain().send(funder, tokens.back(), devnet::mint_call(funder, U256("1000000000000000000000000000"))), "mint");
  }
  for (const auto& a : accounts) {
    must(h.chain().impersonate(a), "impersonate");
    must(h.chain().send(funder, tokens[0], devnet::transfer_call(a, 1'000'000)), "fund");
  }

  FaultProxy proxy(h.rpc_url());
  auto& pg = store::testing::PgCluster::shared();
  auto cfg = h.indexed_config(dir.file("unused.db"), 200, 8);
  cfg.store.mode = "postgres";
  cfg.store.url = pg.create_database();
  cfg.store.leader_lease = std::chrono::seconds(3);
  cfg.chains[0].settings.rpc_urls = {proxy.url()};
  std::vector<unsigned short> ports = {devnet::free_port(), devnet::free_port()};
  std::vector<std::string> configs;
  for (auto port : ports) {
    cfg.server.listen = "127.0.0.1:" + std::to_string(port);
    configs.push_back(dir.file("soak-" + std::to_string(port) + ".toml"));
    std::ofstream(configs.back()) << h.toml(cfg);
  }
  std::mutex replicas_mutex;
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  for (std::size_t i = 0; i < ports.size(); ++i) replicas.push_back(std::make_unique<ServerProcess>(configs[i], ports[i]));
  Server truth(h.config());

  std::atomic<bool> stop{false};
  std::atomic<long> checked{0}, wrong{0}, unavailable{0}, other{0}, reorg_races{0}, transfers{0}, reorgs{0}, kills{0},
      db_restarts{0};
  std::atomic<std::uint64_t> reorg_epoch{0};  // odd while a reorg is being made
  // The last reorg: the blocks it replaced and when it was done. An answer for one of those blocks
  // soon after is the index not having seen the reorg yet (a poll behind, or longer while the
  // leader or the database restarts): counted apart with its delay, not compared.
  std::atomic<std::uint64_t> replaced_from{0}, replaced_to{0};
  std::atomic<long long> reorg_done_ms{-1};
  std::atomic<long> stale_after_reorg{0};
  std::atomic<long long> stale_delay_ms{0};
  std::mutex chain_mutex;                     // the load thread and the truth reads of a reorged block
  std::atomic<long long> last_200_ms{0}, longest_gap_ms{0};
  std::atomic<double> peak_rss{0};
  const auto started = Clock::now();
  auto now_ms = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count(); };

  std::thread load([&] {
    std::mt19937 rng(15);
    auto next_reorg = Clock::now() + std::chrono::seconds(45);
    while (!stop) {
      std::unique_lock lock(chain_mutex);
      if (Clock::now() >= next_reorg) {
        ++reorg_epoch;
        const auto before = h.chain().block_number();
        auto id = h.chain().rpc().call("evm_snapshot", {});
        for (int i = 0; i < 3 && id; ++i)
          (void)h.chain().send(funder, tokens[1], devnet::transfer_call(accounts[rng() % accounts.size()], 555));
        if (id) (void)h.chain().rpc().call("evm_revert", boost::json::array{*id});
        (void)h.chain().mine(4);  // the replacement branch outgrows the old one
        if (before) {
          replaced_from = *before + 1;
          replaced_to = *before + 3;
        }
        reorg_done_ms = now_ms();
        ++reorg_epoch;
        ++reorgs;
        next_reorg = Clock::now() + std::chrono::seconds(45);
        continue;
      }
      const Address& a = accounts[rng() % accounts.size()];
      auto r = rng() % 3 == 0 ? h.chain().send(a, tokens[0], devnet::transfer_call(merchant, 1 + rng() % 100))
                              : h.chain().send(funder, tokens[rng() % tokens.size()], devnet::transfer_call(a, 1 + rng() % 1000));
      if (r) ++transfers;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });

  auto check = [&](std::size_t seed) {
    std::mt19937 rng(static_cast<unsigned>(seed));
    while (!stop) {
      const std::size_t who = rng() % owners.size(), which = rng() % ports.size();
      const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owners[who]);
      const auto epoch_before = reorg_epoch.load();
      const long long asked_ms = now_ms();
      auto res = chain::http_get(must(chain::parse_url("http://127.0.0.1:" + std::to_string(ports[which]) + target), "url"));
      if (!res || res->status == 0) {
        ++other;  // connection refused: the replica is being restarted
      } else if (res->status == 503) {
        ++unavailable;
      } else if (res->status != 200) {
        ++other;
        std::cerr << "status " << res->status << ": " << res->body.substr(0, 200) << "\n";
      } else {
        const long long t = now_ms();
        const long long gap = t - last_200_ms.exchange(t);
        if (gap > longest_gap_ms) longest_gap_ms = gap;
        const std::string block = res->header("x-block-number").value_or("");
        chain::HttpResponse expected;
        {
          std::lock_guard lock(chain_mutex);
          expected = truth.get(target + "&block=" + block);
        }
        ++checked;
        if (expected.status == 200 && expected.body != res->body) {
          const std::uint64_t n = std::stoull(block.empty() ? "0" : block);
          const long long since_reorg = asked_ms - reorg_done_ms.load();
          if (reorg_epoch.load() != epoch_before || (epoch_before & 1)) {
            ++reorg_races;  // the block it answered for was replaced meanwhile
          } else if (reorg_done_ms >= 0 && n >= replaced_from && n <= replaced_to && since_reorg < 30000) {
            ++stale_after_reorg;
            if (since_reorg > stale_delay_ms) stale_delay_ms = since_reorg;
          } else {
            if (wrong++ == 0) {  // the first one in full, for the record
              std::ofstream(std::string(CREDITSCOPE_SOURCE_DIR) + "/bench/results/soak-first-wrong.txt")
                  << "block " << block << " owner " << to_checksum(owners[who]) << "\nindexed:\n" << res->body
                  << "\nchain:\n" << expected.body << "\n";
            }
            std::cerr << "WRONG answer at block " << block << " for " << to_checksum(owners[who]) << "\n";
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  std::thread checker1(check, 1), checker2(check, 2);

  // Faults, kills and database restarts on a schedule; RSS sampled every second.
  const std::vector<FaultProxy::Fault> faults = {FaultProxy::Fault::k500, FaultProxy::Fault::k429, FaultProxy::Fault::kReset,
                                                 FaultProxy::Fault::kTruncate, FaultProxy::Fault::kStall};
  const auto end = started + std::chrono::duration<double>(minutes * 60);
  long second = 0;
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ++second;
    if (second % 60 == 1) proxy.set(faults[(second / 60) % faults.size()], 10);  // 10% of requests
    {
      std::lock_guard lock(replicas_mutex);
      for (const auto& r : replicas)
        if (r->pid() > 0) peak_rss = std::max(peak_rss.load(), bench::proc_mib(r->pid()));
      if (second % 60 == 0) {
        std::size_t leader = 0;
        for (std::size_t i = 0; i < replicas.size(); ++i)
          if (metric(*replicas[i], "creditscope_leader{chain=\"base\"}") == 1) leader = i;
        replicas[leader]->kill9();
        replicas[leader] = std::make_unique<ServerProcess>(configs[leader], ports[leader]);
        ++kills;
      }
    }
    if (second % 60 == 30) {
      pg.stop();
      pg.start();
      ++db_restarts;
    }
    if (second % 30 == 0)
      std::cerr << second << " s: " << checked << " checked, " << wrong << " wrong, " << unavailable << " 503\n";
  }
  stop = true;
  load.join();
  checker1.join();
  checker2.join();

  std::ostringstream md;
  md << std::fixed << std::setprecision(1);
  md << "| Figure | Value |\n|---|---|\n"
     << "| Duration | " << minutes << " min |\n"
     << "| Answers checked against the chain | " << checked << " |\n"
     << "| Wrong answers | " << wrong << " |\n"
     << "| 503 (with Retry-After) | " << unavailable << " |\n"
     << "| Refused connections or other statuses | " << other << " |\n"
     << "| 200s whose block a reorg replaced before the check (not compared) | " << reorg_races << " |\n"
     << "| 200s for a block a reorg had already replaced (index not caught up yet) | " << stale_after_reorg
     << " (latest " << static_cast<double>(stale_delay_ms) / 1000 << " s after the reorg) |\n"
     << "| Longest stretch without a 200 | " << static_cast<double>(longest_gap_ms) / 1000 << " s |\n"
     << "| Peak RSS of a replica | " << peak_rss.load() << " MiB |\n"
     << "| Transfers / reorgs / kill -9 / database restarts | " << transfers << " / " << reorgs << " / " << kills << " / "
     << db_restarts << " |\n"
     << "| RPC faults injected by the proxy | " << proxy.faults_injected() << " |\n";
  std::cout << md.str();
  std::filesystem::create_directories(std::string(CREDITSCOPE_SOURCE_DIR) + "/bench/results");
  std::ofstream(std::string(CREDITSCOPE_SOURCE_DIR) + "/bench/results/soak.md") << md.str();
  return wrong == 0 ? 0 : 1;
}
