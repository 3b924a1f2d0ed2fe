#pragma once
// Wiring: the one place that names concrete classes. Builds per-chain RPC clients, credit
// account derivers and data sources from the config, and the route table over them.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "api/balances_handler.hpp"
#include "api/router.hpp"
#include "app/config.hpp"
#include "chain/live_source.hpp"
#include "indexer/chain_indexer.hpp"
#include "store/store.hpp"

namespace creditscope::app {

class Service {
 public:
  /// Throws std::runtime_error on a config that cannot be wired (bad URL, bad key hash); an
  /// ErrorException for a store that cannot be opened (kInvalidInput: unusable as configured,
  /// such as a read-only, corrupt or full SQLite file; kUpstream: PostgreSQL unreachable). With a
  /// store, each chain's indexer starts in the background.
  explicit Service(const AppConfig& config);
  ~Service();

  const api::Router& router() const { return *router_; }
  const api::BalancesHandler& balances() const { return *balances_; }
  /// The credit account of owner on chain; kNotConfigured for an unknown chain.
  Result<Address> derive(const std::string& chain, const Address& owner);

  /// Stops the indexers (each commits what its backfills scanned; requests waiting on them get
  /// kUpstream "shutting down") and the background threads. Idempotent; the store stays open
  /// until destruction. REQUIRES: not called concurrently with itself.
  void stop();

  /// Starts the background eth_chainId checks behind /readyz.
  void start_readiness_checks();

 private:
  struct ChainRuntime {
    chain::ChainSettings settings;
    std::shared_ptr<chain::RpcClient> rpc;
    std::unique_ptr<chain::CreditAccountDeriver> deriver;
    std::unique_ptr<AccountSource> source;  // a ChainIndexer, or the live source without a store
    indexer::ChainIndexer* indexer = nullptr;  // source, when it is an indexer
    std::unique_ptr<pricing::PriceOracle> prices;  // null when no token of the chain has a price source
    std::atomic<bool> ready{false};
  };
  api::ApiResponse readyz() const;
  void readiness_loop();

  std::unique_ptr<store::Store> store_;  // null in stateless mode; outlives the indexers below
  std::shared_ptr<indexer::SnapshotCache> cache_;
  std::map<std::string, std::unique_ptr<ChainRuntime>> chains_;
  std::unique_ptr<api::BalancesHandler> balances_;
  std::unique_ptr<api::Router> router_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread readiness_thread_;
};

}  // namespace creditscope::app
