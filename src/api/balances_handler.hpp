#pragma once
// The credit routes: GET /v2/credit/balances (with its opt-in extras), /balances/all,
// /balances/stream, /transfers and /status. Validation, credit account derivation, the answer's
// block, rendering, and the HTTP caching rules (ETag, 304, Cache-Control, gzip).

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "api/admission.hpp"
#include "api/answer_cache.hpp"
#include "api/http_types.hpp"
#include "api/render.hpp"
#include "api/validation.hpp"
#include "chain/chain_settings.hpp"
#include "chain/credit_account.hpp"
#include "chain/rpc_client.hpp"
#include "chain/state_reads.hpp"
#include "core/account.hpp"
#include "pricing/price_oracle.hpp"

namespace creditscope::api {

/// What the handler needs of one configured chain. Non-owning; the app keeps them alive.
struct ChainBackend {
  chain::CreditAccountDeriver* deriver = nullptr;
  AccountSource* source = nullptr;
  pricing::PriceOracle* prices = nullptr;  // none: every usd_value is null
  chain::RpcClient* rpc = nullptr;         // reads at a pinned block, native balances, spam checks
  const chain::ChainSettings* settings = nullptr;
  std::uint64_t finality_depth = 64;       // "safe"/"finalized" on a node without those tags
};

struct HandlerOptions {
  std::chrono::milliseconds deadline{25000};  // bounds the RPC work of one request (then 503)
  std::size_t max_streams = 1000;             // open /balances/stream responses
  std::chrono::seconds stream_ping{15};
  std::size_t answer_cache_bytes = 64u << 20;  // renderings with extras, and pinned final answers
  double new_accounts_per_min = 0;             // first requests for untracked accounts per client; 0 = off
  std::size_t max_concurrent_backfills = 1'000'000;  // request-started backfills running at once
};

class BalancesHandler {
 public:
  BalancesHandler(std::map<std::string, ChainBackend> chains, HandlerOptions options = {});
  explicit BalancesHandler(std::map<std::string, ChainBackend> chains, std::chrono::milliseconds deadline)
      : BalancesHandler(std::move(chains), HandlerOptions{deadline}) {}

  /// GET /v2/credit/balances. 200 with X-Block-Number, ETag, Cache-Control, Vary (gzip when
  /// asked for and 1 KiB or more); 304 for a matching If-None-Match; 422 for bad parameters;
  /// 503 + Retry-After when the chain is not configured or its RPC or store fails. May block on
  /// RPC: call it off the network threads.
  ApiResponse handle(const ApiRequest& request) const;
  /// The same answer when it is available without any network call (a warm indexed account, a
  /// 422, an unconfigured chain), else nullopt: then call handle() off the network threads.
  std::optional<ApiResponse> try_fast(const ApiRequest& request) const;

  /// GET /v2/credit/balances/all: every configured chain at once. Blocks.
  ApiResponse all(const ApiRequest& request) const;
  /// GET /v2/credit/balances/stream: server-sent events, one per change of the balances body.
  ApiResponse stream(const ApiRequest& request) const;
  /// GET /v2/credit/transfers: pages of transfers, or all of them as CSV. Blocks.
  ApiResponse transfers(const ApiRequest& request) const;
  /// GET /v2/credit/status: where the account's backfill stands, with the same validation (422)
  /// and chain checks (503) as handle(). May block on the first derivation of a chain.
  ApiResponse status(const ApiRequest& request) const;

  const ChainNames& chain_names() const { return names_; }

 private:
  struct Resolved {
    const ChainBackend* backend;
    std::string chain;
    Address account;
  };
  // One answer of the balances route, before HTTP caching rules apply.
  struct Answer {
    std::shared_ptr<const EncodedAnswer> encoded;
    std::uint64_t block_num = 0;
    bool immutable = false;  // at or below the finalized block
  };
  // The answer's block as asked for.
  struct Target {
    std::uint64_t block_num = 0;
    bool pinned = false;  // not the index's latest answer
    bool immutable = false;
    bool behind = false;  // the node has the block, the index does not yet
  };

  // Chain and credit account: the response when the request ends there (422, 503).
  // REQUIRES: a ScopedDeadline in force.
  std::variant<ApiResponse, Resolved> resolve(const std::string& chain, const Address& owner) const;
  ApiResponse failure(const std::string& chain, const Error& error) const;
  struct Located {
    Resolved resolved;
    AccountAnswer latest;  // the index's (or the node's) latest answer
    Target target;
  };
  // The chain, the account's latest answer and the block asked about; or the response that ends
  // the request there (422, 503, the backfill status of a cold account).
  // client: who the new-account limits count against (ApiRequest::limit_key).
  std::variant<ApiResponse, Located> locate(const std::string& chain, const Address& owner, const BlockSpec& block,
                                            const std::string& client) const;
  // The block a request asks about: latest, a tag or a number (422 outside what can be answered).
  std::variant<ApiResponse, Target> target(const Resolved& r, const BlockSpec& block, std::uint64_t latest) const;
  // The full balances answer (blocking). Errors are final responses.
  std::variant<ApiResponse, Answer> answer(const BalancesParams& params) const;
  std::variant<ApiResponse, Answer> pinned_answer(const Resolved& r, const AccountSnapshot& latest,
                                                  const BalancesParams& params, const Target& target) const;
  // The answer's body with caching headers; 304 when the client has it.
  ApiResponse respond(const ApiRequest& request, const Answer& answer) const;
  // Spam verdicts and the native coin for options, from one state read (state.balances for every
  // holding when spam is asked for, state.native when the coin is): nullopt, or the 503.
  std::optional<ApiResponse> add_extras(const Resolved& r, const std::vector<TokenHolding>& holdings,
                                        const chain::StateAt& state, const BalancesParams& params,
                                        std::optional<pricing::Decimal> native_price, RenderOptions& options) const;
  static bool has_native(const Resolved& r) { return r.backend->settings && !r.backend->settings->native_symbol.empty(); }
  // Lower-case symbol -> priced tokens with it, read from the chain once per chain.
  Result<std::map<std::string, std::vector<Address>>> listed_symbols(const Resolved& r) const;
  // Waits (at most 3 s, within the request's deadline) until the index reaches block_num.
  bool wait_for_index(const Resolved& r, std::uint64_t block_num) const;
  // The finalized block per the node (cached while it only grows), or head - finality_depth.
  Result<std::uint64_t> finalized_block(const Resolved& r, std::uint64_t head) const;
  Result<std::uint64_t> tagged_block(const Resolved& r, const char* tag, std::uint64_t head) const;

  // The AnswerCache key of an account's answer with params' extras.
  static std::string answer_key(const Resolved& r, const BalancesParams& params);

  const std::map<std::string, ChainBackend> chains_;  // constant after construction
  const HandlerOptions options_;
  mutable AnswerCache answers_;
  mutable NewAccountGate new_accounts_;
  const ChainNames names_;

  mutable std::mutex mutex_;
  mutable std::map<std::string, std::map<std::string, std::vector<Address>>> listed_symbols_;  // guarded by mutex_
  mutable std::map<std::string, std::uint64_t> finalized_;                                    // guarded by mutex_
  mutable std::shared_ptr<std::atomic<std::size_t>> open_streams_ = std::make_shared<std::atomic<std::size_t>>(0);
};

}  // namespace creditscope::api
