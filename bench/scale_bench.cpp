// make bench-scale: 100,000 tracked accounts (1,000 of them holding 20 transfers each, the rest
// empty), registered through the API of a `creditscope serve` process, on SQLite and on a
// throw-away PostgreSQL 15 cluster. Measures RSS, start to /readyz 200 after a restart, the
// follower's RPC calls per new block (counted by a proxy in front of anvil), warm p50/p99 for a hot
// account and for accounts not in the cache, and on PostgreSQL one vs two replicas. Writes a
// Markdown report to stdout and bench/results/scale.md.
//
// Usage: creditscope-scale-bench [accounts] [holders]   (defaults 100000 1000)


#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench_util.hpp"
#include "harness.hpp"
#include "provider_proxy.hpp"
#include "store/testing/pg_cluster.hpp"

using namespace creditscope;
using namespace creditscope::e2e;
using namespace creditscope::bench;
using Clock = std::chrono::steady_clock;

namespace {

Address nth_owner(std::uint32_t n) {
  Address a;
  a.bytes[0] = 0xb5;
  for (int i = 0; i < 4; ++i) a.bytes[19 - static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  return a;
}
std::string target_of(std::uint32_t n) { return "/v2/credit/balances?chain=base&owner=" + to_checksum(nth_owner(n)); }

// Registers owners [0, n) through the API; each request is repeated while it answers 503.
double register_all(unsigned short port, std::uint32_t n) {
  std::atomic<std::uint32_t> next{0};
  std::atomic<std::uint32_t> failed{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < 64; ++c)
    threads.emplace_back([&] {
      Client client(port);
      for (std::uint32_t i; (i = next++) < n;) {
        bool ok = false;
        for (int attempt = 0; attempt < 100 && !ok; ++attempt) ok = client.get(target_of(i)).first == 200;
        if (!ok) ++failed;
      }
    });
  for (auto& t : threads) t.join();
  if (failed) throw std::runtime_error(std::to_string(failed.load()) + " registrations failed");
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Milliseconds per request for each target, one request at a time on one connection.
std::vector<double> latencies(unsigned short port, const std::vector<std::string>& targets) {
  Client client(port);
  std::vector<double> out;
  for (const auto& t : targets) {
    const auto start = Clock::now();
    auto [status, body] = client.get(t);
    if (status != 200) throw std::runtime_error("GET " + t + " answered " + std::to_string(status));
    out.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return out;
}

// Requests per second with `connections` keep-alive connections for `seconds`, spread over the
// holders (so most answers come from the cache once warm).
double throughput(const std::vector<unsigned short>& ports, int connections, double seconds, std::uint32_t holders) {
  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c)
    threads.emplace_back([&, c] {
      Client client(ports[static_cast<std::size_t>(c) % ports.size()]);
      for (std::uint32_t i = static_cast<std::uint32_t>(c); !stop; i += 7) {
        if (client.get(target_of(i % holders)).first == 200) ++done;
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measurement window
  stop = true;
  for (auto& t : threads) t.join();
  return static_cast<double>(done.load()) / seconds;
}

bool ready(const ServerProcess& p) { return p.get("/readyz").status == 200; }

struct Figures {
  std::string backend;
  double register_s = 0, rss_registered = 0, calls_per_block = 0, balance_reads = 0;
  double restart_ready_ms = 0, rss_ready = 0, first_ms = 0, cold_p50 = 0, cold_p99 = 0, cold_max = 0, hot_p50 = 0,
         hot_p99 = 0, rss_after = 0;
  std::string replicas;  // PostgreSQL only
};

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t accounts = argc > 1 ? static_cast<std::uint32_t>(std::stoul(argv[1])) : 100'000;
  const std::uint32_t holders = argc > 2 ? static_cast<std::uint32_t>(std::stoul(argv[2])) : 1'000;
  constexpr int kTokens = 20;
  constexpr std::size_t kCacheMb = 256;
  const auto poll = std::chrono::milliseconds(1000);

  Harness h;
  std::cerr << "seeding " << holders << " accounts with " << kTokens << " transfers each\n";
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  std::vector<Address> tokens;
  for (int i = 0; i < kTokens; ++i)
    tokens.push_back(must(devnet::deploy_token(h.chain(), h.artifacts(), "S" + std::to_string(i), 6), "token"));
  std::vector<std::tuple<Address, Address, Bytes>> mints;
  for (std::uint32_t n = 0; n < holders; ++n) {
    const Address account = must(deriver.derive(nth_owner(n)), "derive");
    for (int t = 0; t < kTokens; ++t) mints.emplace_back(devnet::dev_account(0), tokens[static_cast<std::size_t>(t)], devnet::mint_call(account, 1000 + n));
  }
  for (std::size_t i = 0; i < mints.size(); i += 1000) {
    std::vector<std::tuple<Address, Address, Bytes>> part(mints.begin() + static_cast<std::ptrdiff_t>(i),
                                                         mints.begin() + static_cast<std::ptrdiff_t>(std::min(mints.size(), i + 1000)));
    must(h.chain().send_many(part), "mint");
  }
  ProviderProxy proxy(h.rpc_url(), ProviderShape{});

  std::vector<Figures> all;
  for (const std::string backend : {"sqlite", "postgres"}) {
    std::cerr << backend << ": registering " << accounts << " accounts through the API\n";
    Figures f;
    f.backend = backend;
    TempDir dir;
    auto cfg = h.indexed_config(dir.file("index.db"), poll.count());
    cfg.chains[0].settings.rpc_urls = {proxy.url()};
    cfg.server.worker_threads = 64;
    cfg.cache_mb = kCacheMb;
    if (backend == "postgres") {
      cfg.store.mode = "postgres";
      cfg.store.url = store::testing::PgCluster::shared().create_database();
    }
    const unsigned short port = devnet::free_port();
    cfg.server.listen = "127.0.0.1:" + std::to_string(port);
    const std::string config_path = dir.file("config.toml");
    std::ofstream(config_path) << h.toml(cfg);
    auto server = std::make_unique<ServerProcess>(config_path, port);
    if (!eventually([&] { return ready(*server); }, std::chrono::seconds(30))) throw std::runtime_error("not ready");
    f.register_s = register_all(port, accounts);
    f.rss_registered = proc_mib(server->pid());

    // The follower: one block per poll for 10 polls, half with a transfer to a holder.
    proxy.reset_stats();
    const std::uint64_t want = must(h.chain().block_number(), "head") + 10;
    for (int i = 0; i < 10; ++i) {
      if (i % 2) must(h.chain().mine(1), "block");
      else must(h.chain().send(devnet::dev_account(0), tokens[0], devnet::mint_call(must(deriver.derive(nth_owner(1)), "derive"), 5)), "transfer");
      std::this_thread::sleep_for(poll);  // the scenario's block time
    }
    eventually([&] { return server->get(target_of(1)).header("x-block-number") == std::to_string(want); }, std::chrono::seconds(10));
    const auto stats = proxy.stats();
    f.calls_per_block = static_cast<double>(stats.get_logs + stats.block_by_number + stats.block_number) / 10;
    f.balance_reads = static_cast<double>(stats.eth_call) / 10;

    // Restart: start to ready, then first answers of accounts the new process never saw.
    server->stop();
    const auto started = Clock::now();
    server = std::make_unique<ServerProcess>(config_path, port);
    eventually([&] { return ready(*server); }, std::chrono::seconds(60));
    f.restart_ready_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    f.rss_ready = proc_mib(server->pid());
    std::vector<std::string> cold;
    for (std::uint32_t n = 2; n < std::min<std::uint32_t>(holders, 1002); ++n) cold.push_back(target_of(n));
    for (std::uint32_t n = holders; n < std::min<std::uint32_t>(accounts, holders + 1000); ++n) cold.push_back(target_of(n));
    auto first = latencies(port, {target_of(0)});
    f.first_ms = first[0];
    auto cold_ms = latencies(port, cold);
    f.cold_p50 = percentile(cold_ms, 0.5);
    f.cold_p99 = percentile(cold_ms, 0.99);
    f.cold_max = *std::max_element(cold_ms.begin(), cold_ms.end());
    auto hot_ms = latencies(port, std::vector<std::string>(2000, target_of(0)));
    f.hot_p50 = percentile(hot_ms, 0.5);
    f.hot_p99 = percentile(hot_ms, 0.99);
    f.rss_after = proc_mib(server->pid());

    if (backend == "postgres") {
      const unsigned short port2 = devnet::free_port();
      auto cfg2 = cfg;
      cfg2.server.listen = "127.0.0.1:" + std::to_string(port2);
      const std::string config2 = dir.file("config2.toml");
      std::ofstream(config2) << h.toml(cfg2);
      ServerProcess second(config2, port2);
      eventually([&] { return ready(second); }, std::chrono::seconds(30));
      throughput({port, port2}, 16, 3, holders);  // warm both caches
      const double one_a = throughput({port}, 16, 5, holders);
      const double one_b = throughput({port2}, 16, 5, holders);
      std::atomic<double> both_a{0}, both_b{0};
      std::thread ta([&] { both_a = throughput({port}, 16, 5, holders); });
      std::thread tb([&] { both_b = throughput({port2}, 16, 5, holders); });
      ta.join();
      tb.join();
      f.replicas = "one replica: " + fmt(one_a, 0) + " req/s (a), " + fmt(one_b, 0) + " req/s (b); both at once: " +
                   fmt(both_a, 0) + " + " + fmt(both_b, 0) + " = " + fmt(both_a + both_b, 0) + " req/s";
    }
    all.push_back(f);
  }

  std::ostringstream md;
  md << "Command: `make bench-scale` (" << accounts << " tracked accounts, " << holders << " of them with " << kTokens
     << " transfers each, the rest empty; `cache_mb = " << kCacheMb << "`; poll 1 s, one block per poll).\n\n"
     << "| store | register all through the API | RSS after | follower calls per block | balance reads per block | "
        "restart to /readyz 200 | RSS at ready | first answer | not-in-cache p50 / p99 / max | hot p50 / p99 | RSS after 2,000 answers |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& f : all)
    md << "| " << f.backend << " | " << fmt(f.register_s) << " s (" << fmt(accounts / f.register_s, 0) << "/s) | "
       << fmt(f.rss_registered, 0) << " MiB | " << fmt(f.calls_per_block) << " | " << fmt(f.balance_reads) << " | "
       << fmt(f.restart_ready_ms, 0) << " ms | " << fmt(f.rss_ready, 0) << " MiB | " << fmt(f.first_ms) << " ms | "
       << fmt(f.cold_p50, 2) << " / " << fmt(f.cold_p99, 2) << " / " << fmt(f.cold_max, 1) << " ms | " << fmt(f.hot_p50, 2)
       << " / " << fmt(f.hot_p99, 2) << " ms | " << fmt(f.rss_after, 0) << " MiB |\n";
  for (const auto& f : all)
    if (!f.replicas.empty()) md << "\nPostgreSQL, 16 keep-alive connections per replica, answers spread over the holders: " << f.replicas << ".\n";
  std::cout << md.str();
  std::filesystem::create_directories(std::string(CREDITSCOPE_SOURCE_DIR) + "/bench/results");
  std::ofstream(std::string(CREDITSCOPE_SOURCE_DIR) + "/bench/results/scale.md") << md.str();
  return 0;
}
