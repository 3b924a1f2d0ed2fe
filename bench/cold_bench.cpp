// make bench-cold: the first (cold) answer on a Base-sized chain through provider-shaped proxies,
// stateless and indexed, beside the floor each provider allows. anvil holds an account with 30
// transfers near the head; tests/e2e/provider_proxy.hpp makes the chain look 39,000,000 blocks
// long and adds 40 ms per HTTP request. Writes a Markdown table to stdout and bench/results/cold.md.
// Every answer is checked against the direct one (block numbers moved by the offset).

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "harness.hpp"
#include "provider_proxy.hpp"

using namespace creditscope;
using namespace creditscope::e2e;
namespace json = boost::json;
using devnet::dev_account;

namespace {

constexpr std::uint64_t kChainLength = 39'000'000;
constexpr auto kLatency = std::chrono::milliseconds(40);

struct Run {
  double seconds = 0;
  ProviderProxy::Stats stats;
};

chain::HttpResponse get_slowly(const Server& server, const std::string& target) {
  auto url = must(chain::parse_url(server.base() + target), "url");
  return must(chain::http_get(url, chain::HttpOptions{std::chrono::seconds(600)}), "GET");
}

std::string fmt(double v, const char* unit) {
  char b[32];
  std::snprintf(b, sizeof b, v < 10 ? "%.2f %s" : "%.1f %s", v, unit);
  return b;
}

}  // namespace

int main() {
  Harness h;
  const Address owner = dev_account(3);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  const Address account = must(deriver.derive(owner), "derive");
  std::vector<Address> tokens;
  for (int i = 0; i < 3; ++i)
    tokens.push_back(must(devnet::deploy_token(h.chain(), h.artifacts(), "B" + std::to_string(i), 6 + 6 * i), "token"));
  const std::uint64_t first_transfer = must(h.chain().block_number(), "head") + 1;
  for (int i = 0; i < 30; ++i) {
    must(h.chain().send(dev_account(0), tokens[i % 3], devnet::mint_call(account, 1000 + i)), "mint");
    must(h.chain().mine(2), "spread");
  }
  const std::uint64_t anvil_head = must(h.chain().block_number(), "head");
  const std::uint64_t offset = kChainLength - anvil_head;
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  json::value truth;
  {
    Server direct(h.config());
    auto res = direct.get(target);
    if (res.status != 200) throw std::runtime_error("direct answer failed: " + res.body);
    truth = json::parse(res.body);
    for (auto& [symbol, balance] : truth.at("balances").as_object())
      for (auto& t : balance.at("transfers").as_array())
        t.as_object()["block_number"] = t.at("block_number").to_number<std::uint64_t>() + offset;
  }

  auto run = [&](const ProviderShape& shape, bool indexed, double max_rps, std::uint64_t start_block) {
    ProviderProxy proxy(h.rpc_url(), shape);
    TempDir dir;
    auto cfg = indexed ? h.indexed_config(dir.file("index.db")) : h.config();
    auto& c = cfg.chains[0].settings;
    c.rpc_urls = {proxy.url()};
    c.logs_initial_span = 10000;  // as config/mainnet.toml
    c.start_block = start_block;
    c.max_rps = max_rps;
    c.rpc_timeout = std::chrono::milliseconds(30000);
    cfg.request_deadline = std::chrono::seconds(600);
    cfg.chains[0].indexer.poll_interval = std::chrono::milliseconds(1000);  // Base's default
    Server server(cfg);
    // Readiness first, so the cold answer is timed on a server that is up (as a first request is).
    eventually([&] { return server.get("/readyz").status == 200; }, std::chrono::seconds(30));
    proxy.reset_stats();
    const auto t0 = std::chrono::steady_clock::now();
    auto res = get_slowly(server, target);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (res.status != 200 || json::parse(res.body) != truth)
      throw std::runtime_error("wrong answer (" + std::to_string(res.status) + "): " + res.body.substr(0, 300));
    return Run{seconds, proxy.stats()};
  };

  const std::uint64_t ranges = (kChainLength + 9999) / 10000;
  const double latency_s = std::chrono::duration<double>(kLatency).count();
  struct Shape {
    std::string name;
    ProviderShape shape;
    double max_rps;
    std::uint64_t start_block;
    double floor_s;
    std::string floor_why;
  };
  const std::uint64_t floor_batches = (2 * ranges + 99) / 100;
  const std::vector<Shape> shapes = {
      {"10,000-block range cap (QuickNode words)", {.block_offset = offset, .max_range = 10000, .latency = kLatency}, 0, 0,
       static_cast<double>(floor_batches) * latency_s,
       std::to_string(floor_batches) + " batches of 100, one at a time"},
      {"the same, 100 calls/s, `max_rps = 100`",
       {.block_offset = offset, .max_range = 10000, .max_rps = 100, .latency = kLatency}, 100, 0,
       static_cast<double>(2 * ranges) / 100.0, std::to_string(2 * ranges) + " calls / 100 per s"},
      {"10,000-result cap, any range (Alchemy words)",
       {.block_offset = offset, .max_results = 10000, .result_words = ProviderShape::Words::kAlchemy, .latency = kLatency},
       0, 0, latency_s, "one request"},
      {"range cap, `start_block` near the history", {.block_offset = offset, .max_range = 10000, .latency = kLatency}, 0,
       offset + first_transfer - 5000, latency_s, "one request"},
  };

  std::ostringstream table;
  table << "Chain as the client sees it: " << kChainLength << " blocks (anvil head " << anvil_head << " + offset " << offset
        << "); 30 transfers near the head; " << kLatency.count()
        << " ms per HTTP request; `start_block = 0`, `logs_initial_span = 10000`, `max_in_flight = 4`, `rpc_max_batch = 100`.\n\n"
        << "| provider shape | stateless | indexed | floor | indexed / floor | calls (indexed) | eth_getLogs (indexed) | refused | 429s | peak in flight |\n"
        << "|---|---|---|---|---|---|---|---|---|---|\n";
  Run range_capped_indexed;
  for (const auto& s : shapes) {
    std::cerr << "measuring: " << s.name << "\n";
    Run stateless = run(s.shape, false, s.max_rps, s.start_block);
    Run indexed = run(s.shape, true, s.max_rps, s.start_block);
    if (&s == &shapes.front()) range_capped_indexed = indexed;
    char ratio[16];
    std::snprintf(ratio, sizeof ratio, "%.2fx", indexed.seconds / s.floor_s);
    table << "| " << s.name << " | " << fmt(stateless.seconds, "s") << " | " << fmt(indexed.seconds, "s") << " | "
          << fmt(s.floor_s, "s") << " (" << s.floor_why << ") | " << ratio << " | " << indexed.stats.calls << " | "
          << indexed.stats.get_logs << " | " << indexed.stats.refused << " | " << indexed.stats.throttled << " | "
          << indexed.stats.peak_in_flight << " |\n";
  }

  // 100 new accounts asked for at once, against one alone (indexed, range cap).
  std::cerr << "measuring: 100 new accounts at once\n";
  long burst_get_logs = 0;
  double burst_seconds = 0;
  {
    ProviderProxy proxy(h.rpc_url(), shapes.front().shape);
    TempDir dir;
    auto cfg = h.indexed_config(dir.file("index.db"));
    cfg.chains[0].settings.rpc_urls = {proxy.url()};
    cfg.chains[0].settings.logs_initial_span = 10000;
    cfg.chains[0].indexer.poll_interval = std::chrono::milliseconds(60000);
    cfg.request_deadline = std::chrono::seconds(600);
    cfg.server.worker_threads = 128;
    Server server(cfg);
    eventually([&] { return server.get("/readyz").status == 200; }, std::chrono::seconds(30));
    proxy.reset_stats();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    for (unsigned i = 0; i < 100; ++i)
      clients.emplace_back([&, i] {
        Address who = owner;  // then 99 distinct owners nobody asked for before
        if (i) who.bytes = {0x43, static_cast<std::uint8_t>(i)};
        if (get_slowly(server, "/v2/credit/balances?chain=base&owner=" + to_checksum(who)).status == 200) ++ok;
      });
    for (auto& c : clients) c.join();
    burst_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ok != 100) throw std::runtime_error("not every account was answered");
    burst_get_logs = proxy.stats().get_logs;
  }
  char ratio[16];
  std::snprintf(ratio, sizeof ratio, "%.2fx", static_cast<double>(burst_get_logs) / static_cast<double>(range_capped_indexed.stats.get_logs));
  table << "\n100 new accounts asked for at once (indexed, range cap): " << burst_get_logs << " eth_getLogs in "
        << fmt(burst_seconds, "s") << ", against " << range_capped_indexed.stats.get_logs << " for one account (" << ratio
        << ").\n";
  std::cout << table.str();
  std::ofstream(std::string(CREDITSCOPE_SOURCE_DIR) + "/bench/results/cold.md") << table.str();
  return 0;
}
