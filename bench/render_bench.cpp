// Micro-benchmark of the cold path's CPU work that does not depend on the node: rendering an answer
// (S/M/L-shaped snapshots) and decoding eth_getLogs results. Run: build/bench/creditscope-render-bench
#include <benchmark/benchmark.h>

#include "api/render.hpp"
#include "core/account.hpp"

using namespace creditscope;

namespace {

Address addr(std::uint8_t tag, std::size_t i) {
  Address a;
  a.bytes[0] = tag;
  a.bytes[18] = static_cast<std::uint8_t>(i >> 8);
  a.bytes[19] = static_cast<std::uint8_t>(i);
  return a;
}

// Shaped like the benchmark's accounts: transfers spread over tokens, a quarter outgoing to one sink per token.
std::shared_ptr<AccountSnapshot> snapshot(std::size_t tokens, std::size_t transfers) {
  auto owned = std::make_shared<AccountSnapshot>();
  AccountSnapshot& s = *owned;
  s.credit_account = addr(0xaa, 1);
  for (std::size_t t = 0; t < tokens; ++t) {
    TokenHolding h;
    h.token = addr(0x70, t);
    h.metadata = {"T" + std::to_string(t), t % 3 == 0 ? 6u : 18u};
    h.balance = U256(123456789) * (t + 1);
    for (std::size_t i = 0; i < transfers / tokens; ++i) {
      TokenTransfer x;
      x.token = h.token;
      const bool out = i % 4 == 3;
      x.from = out ? s.credit_account : Address{};
      x.to = out ? addr(0xee, t) : s.credit_account;
      x.raw_amount = U256(10'000 + i * 7919);
      x.block_num = 1000 + i * 25;
      x.block_timestamp = 1'700'000'000 + i * 50;
      x.txn_hash.bytes[0] = static_cast<std::uint8_t>(i);
      x.txn_hash.bytes[31] = static_cast<std::uint8_t>(t);
      h.transfers.push_back(x);
    }
    s.holdings.push_back(std::move(h));
  }
  return owned;
}

void BM_Render(benchmark::State& state) {
  const auto s = snapshot(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto body = api::render_balances(*s, {});
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Render)->Args({10, 100})->Args({1, 5000})->Args({200, 20000})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
