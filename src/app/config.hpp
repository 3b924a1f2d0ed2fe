#pragma once
// The TOML configuration, with every key overridable from the environment: the variable for a
// key is CREDITSCOPE_ + its dotted path upper-cased with '.' -> '_', e.g.
//   server.listen                            -> CREDITSCOPE_SERVER_LISTEN
//   chains.base.rpc_urls                     -> CREDITSCOPE_CHAINS_BASE_RPC_URLS (comma-separated)
//   chains.base.credit_account.salt_nonce    -> CREDITSCOPE_CHAINS_BASE_CREDIT_ACCOUNT_SALT_NONCE
// A chain may be configured by environment alone (any of the API's four chain names). The
// [[chains.X.prices]] token lists are read from the file only. The keys themselves, their types,
// defaults and bounds are declared once in app/config_keys.hpp; anything else is an error.

#include <string>
#include <vector>

#include "api/server.hpp"
#include "chain/chain_settings.hpp"
#include "indexer/chain_indexer.hpp"
#include "pricing/price_oracle.hpp"
#include "core/result.hpp"

namespace creditscope::app {

struct StoreConfig {
  std::string mode = "sqlite";  // "sqlite" or "postgres": persistent index; "none": read the chain on every request
  std::string path = "creditscope.db";
  std::string url;                              // PostgreSQL URL (mode "postgres"); holds the password
  std::chrono::seconds leader_lease{10};        // a dead leader's chains are taken over within this
  std::size_t connections = 8;                  // PostgreSQL connections per process
  std::chrono::seconds untrack_after{30 * 86400};  // not asked for this long: no longer followed; 0 = never
};

struct ChainConfig {
  chain::ChainSettings settings;
  indexer::IndexerOptions indexer;
  pricing::ChainPricing prices;  // [chains.X.pricing] and [[chains.X.prices]] (file only)
};

struct AppConfig {
  api::ServerOptions server;
  std::size_t cache_mb = 256;      // the answer cache's budget, shared by all chains
  std::size_t max_streams = 1000;  // open event streams at once
  std::chrono::seconds shutdown_grace{10};  // SIGTERM: requests in flight may finish within this
  double new_accounts_per_min = 60;         // per API key (per client address when open); 0 = off
  std::size_t max_concurrent_backfills = 8;  // request-started backfills running at once, all chains
  std::vector<std::string> api_keys_sha256;
  std::chrono::milliseconds request_deadline{25000};  // bounds a request's RPC work, backfill waits included
  double rate_limit_per_s = 0;  // per API key (per client address when open); 0 = off
  double rate_limit_burst = 20;
  StoreConfig store;
  pricing::PricingOptions pricing;
  std::vector<ChainConfig> chains;
};

/// Parses TOML text (path used in messages) with overrides from `env` (name -> value; names not
/// starting with CREDITSCOPE_ are ignored). kInvalidInput with one line "PATH: ..." that names the
/// key's full dotted path (and the variable, for one from the environment) on an unknown key,
/// table or variable (with "did you mean" when a known one is close), a wrong type, a value out of
/// range or a missing required key.
Result<AppConfig> parse_config(std::string_view toml_text, const std::string& path,
                               const std::vector<std::pair<std::string, std::string>>& env);

/// Reads the file and the process environment; the same errors, or the file cannot be read.
Result<AppConfig> load_config(const std::string& path);

/// The environment variable for a dotted key path.
std::string env_name(std::string_view dotted_key);

}  // namespace creditscope::app
