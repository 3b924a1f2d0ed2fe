#include "api/balances_handler.hpp"

#include <iostream>

#include "api/render.hpp"
#include "api/validation.hpp"

namespace creditscope::api {
namespace {
ApiResponse unavailable(std::string_view detail, unsigned retry_after_s) {
  ApiResponse r = detail_response(503, detail);
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

ApiResponse validation_error(std::string body) {
  ApiResponse r;
  r.status = 422;
  r.body = std::move(body);
  return r;
}

ApiResponse not_configured(const std::string& chain) {
  return unavailable("Chain '" + chain + "' is not configured on this server", 300);
}

ApiResponse answer_response(const AccountAnswer& answer, pricing::PriceOracle* prices) {
  ApiResponse r;
  r.shared_body = rendered_body(*answer.snapshot, prices);
  r.headers.emplace_back("X-Block-Number", std::to_string(answer.block_num));
  return r;
}
}  // namespace

ApiResponse BalancesHandler::handle(const ApiRequest& request) const {
  auto validated = validate_balances_query(request.query);
  if (!validated.params) return validation_error(std::move(validated.error_body));
  const auto& params = *validated.params;
  auto it = chains_.find(params.chain);
  if (it == chains_.end()) return not_configured(params.chain);

  chain::ScopedDeadline deadline(std::chrono::steady_clock::now() + deadline_);
  auto account = it->second.deriver->derive(params.owner);
  auto snapshot = account ? it->second.source->snapshot(*account) : Result<AccountAnswer>(account.error());
  if (!snapshot) {
    // The reason can name an RPC host; log it, do not send it.
    std::cerr << "balances chain=" << params.chain << " failed: " << snapshot.error().message << "\n";
    switch (snapshot.error().code) {
      case Errc::kTimeout:
        return unavailable("Timed out reading chain '" + params.chain + "'; try again shortly", 2);
      case Errc::kBackfilling:
        return unavailable("Indexing this account's history on chain '" + params.chain + "'; try again shortly", 5);
      default:
        return unavailable("Upstream RPC for chain '" + params.chain + "' is unavailable; try again shortly", 5);
    }
  }
  if (auto* prices = it->second.prices) {
    // Off the network threads anyway: fetch prices not seen before rather than render nulls.
    std::vector<Address> tokens;
    for (const auto& h : snapshot->snapshot->holdings) tokens.push_back(h.token);
    prices->ensure(tokens);
  }
  return answer_response(*snapshot, it->second.prices);
}

std::optional<ApiResponse> BalancesHandler::try_fast(const ApiRequest& request) const {
  // Answers that need no network are given here, so they never wait for a worker thread.
  auto validated = validate_balances_query(request.query);
  if (!validated.params) return validation_error(std::move(validated.error_body));
  auto it = chains_.find(validated.params->chain);
  if (it == chains_.end()) return not_configured(validated.params->chain);
  auto account = it->second.deriver->derive_cached(validated.params->owner);
  if (!account) return std::nullopt;
  auto answer = it->second.source->peek(*account);
  if (!answer) return std::nullopt;
  return answer_response(*answer, it->second.prices);
}

}  // namespace creditscope::api
