// make bench-extras: what the opt-in extras of issue 13 cost, on the large account (200 tokens,
// 20,000 transfers) served by a `creditscope serve` process with the SQLite index:
//   - warm throughput and bytes per second of the balances answer without compression (the
//     baseline), with gzip, and of 304s for a matching If-None-Match;
//   - the CSV export of all 20,000 transfers against walking the JSON pages (limit 1000), with the
//     server's peak RSS (VmHWM) before and after.
// Writes a Markdown report to stdout and bench/results/extras.md.
//
// Usage: creditscope-extras-bench [seconds per throughput run]   (default 5)

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include <boost/json.hpp>

#include "bench_util.hpp"
#include "chain/abi.hpp"
#include "harness.hpp"

using namespace creditscope;
using namespace creditscope::e2e;
using namespace creditscope::bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Rate {
  double per_s = 0;
  double mib_per_s = 0;
};

// `connections` keep-alive clients asking for target with headers for `seconds`.
Rate hammer(unsigned short port, const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
            unsigned expect_status, int connections, double seconds) {
  std::atomic<long> done{0}, bytes{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c)
    threads.emplace_back([&] {
      Client client(port);
      while (!stop) {
        auto [status, body] = client.get(target, headers);
        if (status != expect_status) throw std::runtime_error("unexpected status " + std::to_string(status));
        ++done;
        bytes += static_cast<long>(body.size());
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  return {static_cast<double>(done) / seconds, static_cast<double>(bytes) / seconds / (1 << 20)};
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::stod(argv[1]) : 5;
  Harness h;
  TempDir dir;
  const Address owner = devnet::dev_account(3), funder = devnet::dev_account(0);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  const Address account = must(deriver.derive(owner), "derive");
  // 200 tokens with 100 transfers each into the account, one batchMint per token.
  std::cerr << "seeding 200 tokens x 100 transfers\n";
  std::vector<std::tuple<Address, Address, Bytes>> mints;
  for (int t = 0; t < 200; ++t) {
    const Address token = must(devnet::deploy_token(h.chain(), h.artifacts(), "T" + std::to_string(t), t % 3 ? 18 : 6), "token");
    Bytes data = devnet::encode_call("batchMint(address[],uint256[])", {chain::abi::uint_word(64), chain::abi::uint_word(96 + 32 * 100)});
    chain::abi::put(data, chain::abi::uint_word(100));
    for (int i = 0; i < 100; ++i) chain::abi::put(data, chain::abi::address_word(account));
    chain::abi::put(data, chain::abi::uint_word(100));
    for (int i = 0; i < 100; ++i) chain::abi::put(data, chain::abi::uint_word(1000 + t * 100 + i));
    mints.emplace_back(funder, token, std::move(data));
  }
  for (std::size_t i = 0; i < mints.size(); i += 10)  // a few per block, as the block gas limit allows
    must(h.chain().send_many({mints.begin() + static_cast<long>(i), mints.begin() + static_cast<long>(std::min(mints.size(), i + 10))},
                             2'500'000),
         "mints");

  const unsigned short port = devnet::free_port();
  auto cfg = h.indexed_config(dir.file("index.db"), 1000);
  cfg.server.listen = "127.0.0.1:" + std::to_string(port);
  const std::string config_path = dir.file("config.toml");
  std::ofstream(config_path) << h.toml(cfg);
  ServerProcess server(config_path, port);
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  eventually([&] { return server.get(target).status == 200; }, std::chrono::seconds(120));
  auto first = server.get(target);
  const std::string etag = *first.header("etag");
  const double body_kib = static_cast<double>(first.body.size()) / 1024;

  Client probe(port);
  const auto zipped = probe.get(target, {{"Accept-Encoding", "gzip"}});
  const double gzip_kib = static_cast<double>(zipped.second.size()) / 1024;
  hammer(port, target, {}, 200, 8, 1);  // warm up: the rendering and its gzip are made once
  hammer(port, target, {{"Accept-Encoding", "gzip"}}, 200, 8, 1);
  const Rate identity = hammer(port, target, {}, 200, 16, seconds);
  const Rate gzip = hammer(port, target, {{"Accept-Encoding", "gzip"}}, 200, 16, seconds);
  const Rate not_modified = hammer(port, target, {{"If-None-Match", etag}}, 304, 16, seconds);

  // Export: JSON pages (the baseline) and CSV, each timed; peak RSS read around the CSV.
  const std::string transfers = "/v2/credit/transfers?chain=base&owner=" + to_checksum(owner);
  auto started = Clock::now();
  std::size_t rows = 0;
  std::string cursor;
  for (;;) {
    auto page = probe.get(transfers + "&limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
    auto doc = boost::json::parse(page.second).as_object();
    rows += doc.at("transfers").as_array().size();
    if (doc.at("next_cursor").is_null()) break;
    cursor = std::string(doc.at("next_cursor").as_string());
  }
  const double pages_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  const double hwm_before = proc_mib(server.pid(), "VmHWM"), rss_before = proc_mib(server.pid());
  started = Clock::now();
  auto csv = probe.get(transfers + "&format=csv");
  const double csv_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  const double hwm_after = proc_mib(server.pid(), "VmHWM");
  const std::size_t csv_rows = static_cast<std::size_t>(std::count(csv.second.begin(), csv.second.end(), '\n')) - 1;
  if (rows != 20000 || csv_rows != 20000)
    throw std::runtime_error("expected 20000 rows, got " + std::to_string(rows) + " (pages) and " + std::to_string(csv_rows) + " (csv)");

  std::ostringstream md;
  md << "Command: `make bench-extras` (bench/extras_bench.cpp): one `creditscope serve` process with the SQLite index, "
     << "the large account (200 tokens, 20,000 transfers), 16 keep-alive clients for " << fmt(seconds, 0)
     << " s per row, all on this 2-core machine. Baseline: the plain answer in the same run.\n\n"
     << "| request | answers/s | MiB/s on the wire | body | vs plain |\n|---|---|---|---|---|\n"
     << "| plain (identity) | " << fmt(identity.per_s, 0) << " | " << fmt(identity.mib_per_s) << " | " << fmt(body_kib, 0)
     << " KiB | 1.00x |\n"
     << "| `Accept-Encoding: gzip` | " << fmt(gzip.per_s, 0) << " | " << fmt(gzip.mib_per_s) << " | " << fmt(gzip_kib, 0)
     << " KiB (" << fmt(body_kib / gzip_kib) << "x smaller) | " << fmt(gzip.per_s / identity.per_s, 2) << "x |\n"
     << "| `If-None-Match` (304) | " << fmt(not_modified.per_s, 0) << " | 0 | none | "
     << fmt(not_modified.per_s / identity.per_s, 2) << "x |\n\n"
     << "| export of 20,000 transfers | time | server peak RSS (VmHWM) |\n|---|---|---|\n"
     << "| JSON pages, `limit=1000` (baseline, 20 requests) | " << fmt(pages_ms, 0) << " ms | " << fmt(hwm_before, 0)
     << " MiB |\n"
     << "| CSV (`format=csv`, streamed, " << fmt(static_cast<double>(csv.second.size()) / (1 << 20)) << " MiB) | "
     << fmt(csv_ms, 0) << " ms (" << fmt(csv_ms / pages_ms, 2) << "x the pages) | " << fmt(hwm_after, 0) << " MiB (+"
     << fmt(hwm_after - hwm_before) << " MiB; RSS before " << fmt(rss_before, 0) << " MiB) |\n";
  std::cout << md.str();
  std::ofstream(std::string(CREDITSCOPE_SOURCE_DIR) + "/bench/results/extras.md") << md.str();
  return 0;
}
