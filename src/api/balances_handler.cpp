#include "api/balances_handler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "api/render.hpp"
#include "api/validation.hpp"
#include "core/address.hpp"
#include "core/json_writer.hpp"

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

// The status object's fields, written into an open object.
void write_status(JsonWriter& w, const Address& account, const BackfillStatus& s) {
  using State = BackfillStatus::State;
  char progress[16];
  std::snprintf(progress, sizeof progress, "%.4f", s.progress);
  std::string p = progress;
  while (p.size() > 3 && p.back() == '0' && p[p.size() - 2] != '.') p.pop_back();  // "0.5", "1.0"
  w.key("credit_account_address").string(to_checksum(account));
  w.key("state").string(s.state == State::kReady ? "ready" : s.state == State::kBackfilling ? "backfilling" : "unknown");
  w.key("from_block").number(s.from_block);
  w.key("to_block").number(s.to_block);
  w.key("scanned_through").number(s.scanned_through);
  w.key("progress").raw(p);
  if (s.eta_s) w.key("eta_s").number(static_cast<std::uint64_t>(std::ceil(*s.eta_s)));
  else w.key("eta_s").null();
}

// A cold request's 503: the detail plus where the backfill stands; Retry-After is the estimate.
ApiResponse backfilling(const std::string& chain, const Address& account, const BackfillStatus& s) {
  JsonWriter w;
  w.begin_object();
  w.key("detail").string("Indexing this account's history on chain '" + chain + "'; try again shortly");
  write_status(w, account, s);
  w.end_object();
  ApiResponse r;
  r.status = 503;
  r.body = w.take();
  const double eta = s.eta_s.value_or(5);
  r.headers.emplace_back("Retry-After", std::to_string(static_cast<long>(std::clamp(std::ceil(eta), 1.0, 30.0))));
  return r;
}

ApiResponse answer_response(const AccountAnswer& answer, pricing::PriceOracle* prices) {
  ApiResponse r;
  r.shared_body = rendered_body(*answer.snapshot, prices);
  r.headers.emplace_back("X-Block-Number", std::to_string(answer.block_num));
  return r;
}
}  // namespace

// A read that failed: 503 with Retry-After. The reason can name an RPC host; log it, do not send it.
ApiResponse BalancesHandler::failure(const std::string& chain, const Error& error) const {
  std::cerr << "chain=" << chain << " failed: " << error.message << "\n";
  if (error.code == Errc::kTimeout) return unavailable("Timed out reading chain '" + chain + "'; try again shortly", 2);
  return unavailable("Upstream RPC for chain '" + chain + "' is unavailable; try again shortly", 5);
}

std::variant<ApiResponse, BalancesHandler::Resolved> BalancesHandler::resolve(const ApiRequest& request) const {
  auto validated = validate_balances_query(request.query);
  if (!validated.params) return validation_error(std::move(validated.error_body));
  const auto& params = *validated.params;
  auto it = chains_.find(params.chain);
  if (it == chains_.end()) return not_configured(params.chain);
  auto account = it->second.deriver->derive(params.owner);
  if (!account) return failure(params.chain, account.error());
  return Resolved{&it->second, params.chain, *account};
}

ApiResponse BalancesHandler::handle(const ApiRequest& request) const {
  chain::ScopedDeadline deadline(std::chrono::steady_clock::now() + deadline_);
  auto resolved = resolve(request);
  if (auto* done = std::get_if<ApiResponse>(&resolved)) return std::move(*done);
  const auto& [backend, chain, account] = std::get<Resolved>(resolved);
  auto snapshot = backend->source->snapshot(account);
  if (!snapshot) {
    if (snapshot.error().code != Errc::kBackfilling) return failure(chain, snapshot.error());
    return backfilling(chain, account, backend->source->status(account));
  }
  if (auto* prices = backend->prices) {
    // Off the network threads anyway: fetch prices not seen before rather than render nulls.
    std::vector<Address> tokens;
    for (const auto& h : snapshot->snapshot->holdings) tokens.push_back(h.token);
    prices->ensure(tokens);
  }
  return answer_response(*snapshot, backend->prices);
}

ApiResponse BalancesHandler::status(const ApiRequest& request) const {
  chain::ScopedDeadline deadline(std::chrono::steady_clock::now() + deadline_);
  auto resolved = resolve(request);
  if (auto* done = std::get_if<ApiResponse>(&resolved)) return std::move(*done);
  const auto& [backend, chain, account] = std::get<Resolved>(resolved);
  JsonWriter w;
  w.begin_object();
  write_status(w, account, backend->source->status(account));
  w.end_object();
  ApiResponse r;
  r.body = w.take();
  return r;
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
