// make bench-flood (issue 15): what a flood of first requests for random owners from one client
// does to a tracked owner's warm answers, with the new-account limits at their defaults and off.
// Per run: a `creditscope serve` process on SQLite; one keep-alive client asks for a tracked owner
// for `seconds` alone (the baseline, same run), then again while 8 clients ask for random owners
// as fast as they are answered. Reports the tracked owner's p50/p99 latency and rate against the
// baseline, the flood's statuses and how many accounts the store ends up tracking.
// Writes a Markdown report to stdout and bench/results/flood.md.
//
// Usage: creditscope-flood-bench [seconds per phase]   (default 5)

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "bench_util.hpp"
#include "harness.hpp"
#include "store/store.hpp"

using namespace creditscope;
using namespace creditscope::e2e;
using namespace creditscope::bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Latency {
  double p50_ms = 0, p99_ms = 0, per_s = 0;
};

Latency measure(unsigned short port, const std::string& target, const std::string& expected, double seconds) {
  Client client(port);
  std::vector<double> ms;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    const auto t0 = Clock::now();
    auto [status, body] = client.get(target);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (status != 200 || body != expected) throw std::runtime_error("the tracked owner's answer changed: " + std::to_string(status));
  }
  return {percentile(ms, 0.5), percentile(ms, 0.99), static_cast<double>(ms.size()) / seconds};
}

struct Run {
  Latency alone, flooded;
  long ok = 0, limited = 0, busy = 0;
  std::uint64_t tracked = 0;
};

Run run(Harness& h, TempDir& dir, const std::string& name, bool limits, const std::string& target, double seconds) {
  auto cfg = h.indexed_config(dir.file(name + ".db"), 1000);
  if (limits) {  // the defaults
    cfg.new_accounts_per_min = 60;
    cfg.max_concurrent_backfills = 8;
  }
  const unsigned short port = devnet::free_port();
  cfg.server.listen = "127.0.0.1:" + std::to_string(port);
  const std::string config_path = dir.file(name + ".toml");
  std::ofstream(config_path) << h.toml(cfg);
  ServerProcess server(config_path, port);
  eventually([&] { return server.get(target).status == 200; }, std::chrono::seconds(60));
  const std::string expected = server.get(target).body;
  Run r;
  measure(port, target, expected, 1);  // warm up
  r.alone = measure(port, target, expected, seconds);
  std::atomic<bool> stop{false};
  std::atomic<long> ok{0}, limited{0}, busy{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 8; ++t)
    flood.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<unsigned>(t + 1));
      Client client(port);
      while (!stop) {
        Address a;
        for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng());
        auto [status, body] = client.get("/v2/credit/balances?chain=base&owner=" + to_checksum(a));
        (status == 200 ? ok : status == 429 ? limited : busy)++;
      }
    });
  r.flooded = measure(port, target, expected, seconds);
  stop = true;
  for (auto& t : flood) t.join();
  r.ok = ok;
  r.limited = limited;
  r.busy = busy;
  server.stop();
  auto store = must(store::open_sqlite(cfg.store.path), "open the store");
  r.tracked = must(store->account_count("base"), "count");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::stod(argv[1]) : 5;
  Harness h;
  TempDir dir;
  const Address owner = devnet::dev_account(3), funder = devnet::dev_account(0);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  const Address account = must(deriver.derive(owner), "derive");
  for (int t = 0; t < 3; ++t) {
    const Address token = must(devnet::deploy_token(h.chain(), h.artifacts(), "F" + std::to_string(t), 18), "token");
    must(h.chain().send(funder, token, devnet::mint_call(funder, U256("1000000000000000000000000"))), "mint");
    must(h.chain().send(funder, token, devnet::transfer_call(account, 1000 + t)), "fund");
  }
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  const Run with = run(h, dir, "limits", true, target, seconds);
  const Run without = run(h, dir, "open", false, target, seconds);

  std::ostringstream md;
  auto row = [&](const char* name, const Run& r) {
    md << "| " << name << " | " << fmt(r.alone.p50_ms, 2) << " / " << fmt(r.alone.p99_ms, 2) << " ms | "
       << fmt(r.flooded.p50_ms, 2) << " / " << fmt(r.flooded.p99_ms, 2) << " ms | "
       << fmt(r.flooded.per_s / r.alone.per_s, 2) << "x | " << r.ok << " / " << r.limited << " / " << r.busy << " | "
       << r.tracked << " |\n";
  };
  md << "Command: `make bench-flood` (bench/flood_bench.cpp): a `creditscope serve` process on SQLite; one keep-alive "
     << "client asks for a tracked owner for " << fmt(seconds, 0) << " s alone (the baseline, same run), then for "
     << fmt(seconds, 0) << " s while 8 clients from the same address ask for random owners as fast as they are "
     << "answered. Every answer for the tracked owner is checked to be the same body.\n\n"
     << "| new-account limits | tracked owner p50 / p99 alone | p50 / p99 during the flood | its rate, flood vs alone "
     << "| flood answers 200 / 429 / 503 | accounts tracked after |\n|---|---|---|---|---|---|\n";
  row("defaults (60 per minute, 8 at once)", with);
  row("off (0, 1,000,000)", without);
  std::cout << md.str();
  std::ofstream(std::string(CREDITSCOPE_SOURCE_DIR) + "/bench/results/flood.md") << md.str();
  return 0;
}
