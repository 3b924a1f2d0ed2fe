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
}  // namespace

ApiResponse BalancesHandler::handle(const ApiRequest& request) const {
  auto validated = validate_balances_query(request.query);
  if (!validated.params) {
    ApiResponse r;
    r.status = 422;
    r.body = std::move(validated.error_body);
    return r;
  }
  const auto& params = *validated.params;
  auto it = chains_.find(params.chain);
  if (it == chains_.end())
    return unavailable("Chain '" + params.chain + "' is not configured on this server", 300);

  auto account = it->second.deriver->derive(params.owner);
  auto snapshot = account ? it->second.source->snapshot(*account) : Result<AccountSnapshot>(account.error());
  if (!snapshot) {
    // The reason can name an RPC host; log it, do not send it.
    std::cerr << "balances chain=" << params.chain << " failed: " << snapshot.error().message << "\n";
    const bool timeout = snapshot.error().code == Errc::kTimeout;
    return unavailable(timeout ? "Timed out reading chain '" + params.chain + "'; try again shortly"
                               : "Upstream RPC for chain '" + params.chain + "' is unavailable; try again shortly",
                       timeout ? 2 : 5);
  }
  ApiResponse r;
  r.body = render_balances(*snapshot, std::nullopt);
  r.headers.emplace_back("X-Block-Number", std::to_string(snapshot->snapshot_block));
  return r;
}

}  // namespace creditscope::api
