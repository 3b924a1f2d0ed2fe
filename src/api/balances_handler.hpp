#pragma once
// GET /v2/credit/balances: validation, credit account derivation, snapshot, rendering.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "api/http_types.hpp"
#include "chain/credit_account.hpp"
#include "core/account.hpp"
#include "pricing/price_oracle.hpp"

namespace creditscope::api {

/// What the handler needs of one configured chain. Non-owning; the app keeps them alive.
struct ChainBackend {
  chain::CreditAccountDeriver* deriver = nullptr;
  AccountSource* source = nullptr;
  pricing::PriceOracle* prices = nullptr;  // none: every usd_value is null
};

class BalancesHandler {
 public:
  /// deadline bounds the RPC work of one request (then 503).
  explicit BalancesHandler(std::map<std::string, ChainBackend> chains,
                           std::chrono::milliseconds deadline = std::chrono::milliseconds(25000))
      : chains_(std::move(chains)), deadline_(deadline) {}

  /// 200 with X-Block-Number; 422 for bad parameters; 503 + Retry-After when the chain is not
  /// configured or its RPC fails. May block on RPC: call it off the network threads.
  ApiResponse handle(const ApiRequest& request) const;
  /// The same answer when it is available without any network call (a warm indexed account, a
  /// 422, an unconfigured chain), else nullopt: then call handle() off the network threads.
  std::optional<ApiResponse> try_fast(const ApiRequest& request) const;

  /// GET /v2/credit/status: where the account's backfill stands, with the same validation (422)
  /// and chain checks (503) as handle(). May block on the first derivation of a chain.
  ApiResponse status(const ApiRequest& request) const;

 private:
  struct Resolved {
    const ChainBackend* backend;
    std::string chain;
    Address account;
  };
  // Validation, the chain and the credit account, shared by the routes: the response when the
  // request ends there (422, 503), else what it asks about. REQUIRES: a ScopedDeadline in force.
  std::variant<ApiResponse, Resolved> resolve(const ApiRequest& request) const;
  ApiResponse failure(const std::string& chain, const Error& error) const;

  const std::map<std::string, ChainBackend> chains_;  // constant after construction
  const std::chrono::milliseconds deadline_;
};

}  // namespace creditscope::api
