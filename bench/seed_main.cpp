// Seeds an anvil node with deterministic benchmark histories and writes what the driver needs:
//   accounts.json (owner and credit account per profile), chain.json (contract addresses for the peers)
//   and two configs (indexed, stateless).
// Profiles (issue 5): S 10 tokens / 100 transfers; M 1 token / 5,000 transfers over 1,000 blocks;
// L 200 tokens / 20,000 transfers over 50,000 blocks; plus transfers among 1,000 other addresses
// in the same blocks as noise.
// Usage: creditscope-bench-seed --rpc URL --out DIR [--scale F]   (F < 1 shrinks every count)

#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "chain/abi.hpp"
#include "core/address.hpp"
#include "core/hex.hpp"
#include "devnet/fixtures.hpp"

using namespace creditscope;
using devnet::dev_account;

namespace {

struct Profile {
  std::string name;
  unsigned owner_index;
  std::size_t tokens;
  std::size_t transfers;
  std::uint64_t blocks;
};

Address noise_address(std::size_t i) {
  Address a;
  a.bytes[0] = 0xee;
  a.bytes[18] = static_cast<std::uint8_t>(i >> 8);
  a.bytes[19] = static_cast<std::uint8_t>(i);
  return a;
}

template <class T>
T must(Result<T> r, const std::string& what) {
  if (!r) {
    std::cerr << "seed: " << what << ": " << r.error().message << "\n";
    std::exit(1);
  }
  return std::move(*r);
}

void must(Result<void> r, const std::string& what) {
  if (!r) {
    std::cerr << "seed: " << what << ": " << r.error().message << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  for (int i = 1; i + 1 < argc; i += 2) opt[std::string(argv[i]).substr(2)] = argv[i + 1];
  if (!opt.count("rpc") || !opt.count("out")) {
    std::cerr << "usage: creditscope-bench-seed --rpc URL --out DIR [--scale F]\n";
    return 64;
  }
  const double scale = opt.count("scale") ? std::stod(opt["scale"]) : 1.0;
  auto scaled = [&](std::size_t n) { return std::max<std::size_t>(1, static_cast<std::size_t>(n * scale)); };
  devnet::DevChain chain(opt["rpc"]);
  auto artifacts = must(devnet::Artifacts::load(), "artifacts");
  auto params = must(devnet::deploy_safe_infra(chain, artifacts), "Safe contracts");
  must(devnet::install_multicall3(chain, artifacts), "Multicall3");
  chain::CreditAccountDeriver deriver(params, chain.rpc());
  const Address funder = dev_account(0);
  std::mt19937_64 rng(42);  // deterministic histories
  std::vector<Address> noise_tokens;
  for (int i = 0; i < 4; ++i)
    noise_tokens.push_back(must(devnet::deploy_token(chain, artifacts, "NOISE" + std::to_string(i), 18), "noise token"));

  const std::vector<Profile> profiles = {{"S", 5, 10, 100, 100},
                                         {"M", 6, 1, scaled(5000), scaled(1000)},
                                         {"L", 7, scaled(200), scaled(20000), scaled(50000)}};
  std::ofstream accounts(opt["out"] + "/accounts.json");
  accounts << "{";
  bool first = true;
  for (const auto& p : profiles) {
    Address owner;  // owners that are nobody else in the fixture
    owner.bytes[0] = 0x0b;
    owner.bytes[19] = static_cast<std::uint8_t>(p.owner_index);
    Address account = must(deriver.derive(owner), "derive");
    std::vector<Address> tokens;
    std::vector<std::tuple<Address, Address, Bytes>> deploys;
    for (std::size_t i = 0; i < p.tokens; ++i) {
      auto t = must(devnet::deploy_token(chain, artifacts, p.name + "T" + std::to_string(i), i % 3 == 0 ? 6 : 18), "token");
      tokens.push_back(t);
    }
    must(chain.impersonate(account), "impersonate");
    // Each step is one block with a few transactions per token: a batchMint into the account, a
    // batchTransfer out of it (a quarter of the transfers, once every token has been funded in an
    // earlier block) and a batchMint among the 1,000 noise addresses; empty blocks spread the history.
    // anvil rebuilds the whole state trie for every block, empty ones too, so its cost per block grows
    // with the number of storage slots: each noise address holds one noise token only and each token's
    // outgoing transfers go to one sink, which keeps the state small and 50,000 blocks quick to mine.
    // About ten transfers per block with a transfer, as an active account has, so that block
    // timestamps (one header per distinct block) weigh in every system's cold time as they would.
    const std::size_t steps = std::max<std::size_t>(1, std::min(p.transfers, p.blocks) / 10);
    const std::size_t per_step = (p.transfers + steps - 1) / steps;
    const std::uint64_t gap = p.blocks > steps ? p.blocks / steps - 1 : 0;
    const std::size_t run = std::max<std::size_t>(1, p.transfers / tokens.size() / 5);  // same token for a run
    std::map<Address, std::size_t> funded_at;  // step of the first mint of each token to the account
    std::size_t done = 0;
    for (std::size_t step = 0; step < steps; ++step) {
      std::map<Address, std::pair<std::vector<Address>, std::vector<U256>>> in, out, noise;
      for (std::size_t k = 0; k < per_step && done < p.transfers; ++k, ++done) {
        const Address& token = tokens[(done / run) % tokens.size()];
        auto funded = funded_at.find(token);
        const bool outgoing = done % 4 == 3 && funded != funded_at.end() && funded->second < step;
        if (!outgoing) funded_at.try_emplace(token, step);
        auto& dest = outgoing ? out[token] : in[token];
        dest.first.push_back(outgoing ? noise_address((done / run) % 1000) : account);
        dest.second.push_back(outgoing ? U256(1 + rng() % 1000) : U256(10'000 + rng() % 1'000'000));
        const std::size_t holder = rng() % 1000;
        noise[noise_tokens[holder % noise_tokens.size()]].first.push_back(noise_address(holder));
        noise[noise_tokens[holder % noise_tokens.size()]].second.push_back(1 + rng() % 1000);
      }
      std::vector<std::tuple<Address, Address, Bytes>> txns;
      auto add = [&](const Address& from, const char* fn, auto& groups) {
        for (auto& [token, g] : groups) {
          Bytes data = devnet::encode_call(fn, {chain::abi::uint_word(64), chain::abi::uint_word(96 + 32 * g.first.size())});
          chain::abi::put(data, chain::abi::uint_word(g.first.size()));
          for (const auto& a : g.first) chain::abi::put(data, chain::abi::address_word(a));
          chain::abi::put(data, chain::abi::uint_word(g.second.size()));
          for (const auto& v : g.second) chain::abi::put(data, chain::abi::uint_word(v));
          txns.emplace_back(from, token, std::move(data));
        }
      };
      add(funder, "batchMint(address[],uint256[])", in);
      add(account, "batchTransfer(address[],uint256[])", out);
      add(funder, "batchMint(address[],uint256[])", noise);
      must(chain.send_many(txns, 12'000'000), "transfers");
      if (gap) must(chain.mine(gap), "spread");
    }
    std::cerr << "seeded " << p.name << ": " << p.tokens << " tokens, " << p.transfers << " transfers, owner "
              << to_checksum(owner) << "\n";
    accounts << (first ? "" : ",") << "\n  \"" << p.name << "\": {\"owner\": \"" << to_checksum(owner)
             << "\", \"credit_account\": \"" << to_checksum(account) << "\", \"tokens\": " << p.tokens
             << ", \"transfers\": " << p.transfers << "}";
    first = false;
  }
  accounts << "\n}\n";

  for (const char* mode : {"sqlite", "none"}) {
    std::ofstream cfg(opt["out"] + "/config-" + (std::string(mode) == "none" ? "stateless" : "indexed") + ".toml");
    // The benchmark asks for every seeded account from one address: the new-account limits are off.
    cfg << "[server]\nlisten = \"127.0.0.1:0\"\nio_threads = 1\nnew_accounts_per_min = 0\n"
        << "max_concurrent_backfills = 1000000\n\n[store]\nmode = \"" << mode << "\"\npath = \""
        << opt["out"] << "/index.db\"\n\n[chains.base]\nchain_id = 31337\nrpc_urls = [\"" << opt["rpc"]
        << "\"]\nmulticall3 = \"" << devnet::kMulticall3Address << "\"\npoll_interval_ms = 500\n\n"
        << "[chains.base.credit_account]\nproxy_factory = \"" << hex::encode(view(params.proxy_factory))
        << "\"\nsingleton = \"" << hex::encode(view(params.singleton)) << "\"\nfallback_handler = \""
        << hex::encode(view(params.fallback_handler)) << "\"\n";
  }
  // What the peers (viem script, Ponder, floor) need to find the same contracts.
  std::ofstream(opt["out"] + "/chain.json")
      << "{\"rpc\": \"" << opt["rpc"] << "\", \"chain_id\": 31337, \"proxy_factory\": \"" << to_checksum(params.proxy_factory)
      << "\", \"singleton\": \"" << to_checksum(params.singleton) << "\", \"fallback_handler\": \""
      << to_checksum(params.fallback_handler) << "\", \"multicall3\": \"" << devnet::kMulticall3Address << "\"}\n";
  std::cout << must(chain.block_number(), "head") << "\n";
  return 0;
}
