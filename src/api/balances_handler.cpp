#include "api/balances_handler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <future>
#include <iostream>
#include <thread>

#include "api/http_caching.hpp"
#include "chain/blocks.hpp"
#include "chain/live_source.hpp"
#include "chain/state_reads.hpp"
#include "core/address.hpp"
#include "core/hex.hpp"
#include "core/json_writer.hpp"

namespace creditscope::api {
namespace {
ApiResponse unavailable(std::string_view detail, unsigned retry_after_s) {
  ApiResponse r = detail_response(503, detail);
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

// Every answer of the balances route may differ by Accept-Encoding, errors included.
ApiResponse varied(ApiResponse r) {
  r.headers.emplace_back("Vary", "Accept-Encoding");
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

// The extras of an answer, as part of its cache key.
std::string variant_of(const BalancesParams& p) {
  std::string v;
  if (p.transfers_limit) v += "tl=" + std::to_string(*p.transfers_limit) + ";";
  if (p.reconcile) v += "reconcile;";
  if (p.spam == SpamMode::kFlag) v += "spam=flag;";
  if (p.spam == SpamMode::kExclude) v += "spam=exclude;";
  return v;
}

RenderOptions render_options(const BalancesParams& p) {
  RenderOptions o;
  o.transfers_limit = p.transfers_limit;
  o.reconcile = p.reconcile;
  o.spam = p.spam;
  return o;
}

// "123.45" + "0.50": sums of rendered USD values, exactly, in cents.
pricing::BigInt cents_of(std::string_view usd) {
  std::string digits;
  for (char c : usd)
    if (c != '.') digits += c;
  return pricing::BigInt(digits);
}
}  // namespace

std::string BalancesHandler::answer_key(const Resolved& r, const BalancesParams& params) {
  return r.chain + "|" + hex::encode(view(r.account)) + "|" + variant_of(params);
}

BalancesHandler::BalancesHandler(std::map<std::string, ChainBackend> chains, HandlerOptions options)
    : chains_(std::move(chains)),
      options_(options),
      answers_(options.answer_cache_bytes),
      new_accounts_(options.new_accounts_per_min, options.max_concurrent_backfills),
      names_([this] {
        std::vector<std::string> names;
        for (const auto& [name, _] : chains_) names.push_back(name);
        return ChainNames(names);
      }()) {}

// A read that failed: 503 with Retry-After. The reason can name an RPC host; log it, do not send it.
ApiResponse BalancesHandler::failure(const std::string& chain, const Error& error) const {
  std::cerr << "chain=" << chain << " failed: " << error.message << "\n";
  if (error.code == Errc::kTimeout) return unavailable("Timed out reading chain '" + chain + "'; try again shortly", 2);
  return unavailable("Upstream RPC for chain '" + chain + "' is unavailable; try again shortly", 5);
}

std::variant<ApiResponse, BalancesHandler::Resolved> BalancesHandler::resolve(const std::string& chain,
                                                                              const Address& owner) const {
  auto it = chains_.find(chain);
  if (it == chains_.end()) return not_configured(chain);
  auto account = it->second.deriver->derive(owner);
  if (!account) return failure(chain, account.error());
  return Resolved{&it->second, chain, *account};
}

std::variant<ApiResponse, BalancesHandler::Located> BalancesHandler::locate(const std::string& chain, const Address& owner,
                                                                            const BlockSpec& block,
                                                                            const std::string& client) const {
  auto resolved = resolve(chain, owner);
  if (auto* done = std::get_if<ApiResponse>(&resolved)) return std::move(*done);
  const auto& r = std::get<Resolved>(resolved);
  // Asked only when this request would start tracking the account; its refusal is the answer.
  std::optional<ApiResponse> refusal;
  const AccountSource::AdmitNewAccount admit = [&]() -> Result<std::shared_ptr<void>> {
    auto admitted = new_accounts_.admit(client);
    if (auto* token = std::get_if<std::shared_ptr<void>>(&admitted)) return std::move(*token);
    refusal = std::move(std::get<ApiResponse>(admitted));
    return make_error(Errc::kUpstream, "new account refused");
  };
  for (int attempt = 0;; ++attempt) {
    auto snapshot = r.backend->source->snapshot(r.account, admit);
    if (refusal) return std::move(*refusal);
    if (!snapshot) {
      if (snapshot.error().code != Errc::kBackfilling) return failure(r.chain, snapshot.error());
      return backfilling(r.chain, r.account, r.backend->source->status(r.account));
    }
    auto t = target(r, block, snapshot->block_num);
    if (auto* done = std::get_if<ApiResponse>(&t)) return std::move(*done);
    const auto& tg = std::get<Target>(t);
    if (!tg.behind) return Located{r, std::move(*snapshot), tg};
    // A block the node has and the index has not reached yet (it is a poll behind): wait for it.
    if (attempt == 1 || !wait_for_index(r, tg.block_num))
      return unavailable("Block " + std::to_string(tg.block_num) + " is not indexed yet on chain '" + r.chain +
                             "'; try again shortly",
                         1);
  }
}

bool BalancesHandler::wait_for_index(const Resolved& r, std::uint64_t block_num) const {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  if (auto deadline = chain::ScopedDeadline::current()) until = std::min(until, *deadline);
  for (;;) {
    auto head = r.backend->source->indexed_head();
    if (!head || *head >= block_num) return true;  // a live source reads the node again
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<std::uint64_t> BalancesHandler::tagged_block(const Resolved& r, const char* tag, std::uint64_t head) const {
  auto tagged = r.backend->rpc ? chain::fetch_tagged_block(*r.backend->rpc, tag)
                               : Result<std::optional<std::uint64_t>>(std::optional<std::uint64_t>());
  if (!tagged) return tagged.error();
  if (*tagged) return **tagged;
  // A node without the tag: the index's own notion of final.
  return head > r.backend->finality_depth ? head - r.backend->finality_depth : 0;
}

Result<std::uint64_t> BalancesHandler::finalized_block(const Resolved& r, std::uint64_t head) const {
  auto block = tagged_block(r, "finalized", head);
  if (!block) return block;
  std::lock_guard lock(mutex_);
  auto& known = finalized_[r.chain];
  known = std::max(known, *block);
  return *block;
}

std::variant<ApiResponse, BalancesHandler::Target> BalancesHandler::target(const Resolved& r, const BlockSpec& block,
                                                                           std::uint64_t latest) const {
  using Kind = BlockSpec::Kind;
  Target t;
  t.block_num = latest;
  if (block.kind == Kind::kLatest) return t;
  t.pinned = true;
  if (block.kind == Kind::kSafe || block.kind == Kind::kFinalized) {
    auto b = block.kind == Kind::kSafe ? tagged_block(r, "safe", latest) : finalized_block(r, latest);
    if (!b) return failure(r.chain, b.error());
    t.block_num = *b;
    t.behind = *b > latest;  // the node is ahead of the index
  } else {
    const auto start = r.backend->source->known_start_block().value_or(0);
    if (!block.above_max && block.number < start) return unprocessable(block_below_start_error(block.input, start));
    if (block.above_max || block.number > latest) {
      // Above what the answer covers: the node's head decides between "not yet" and "never".
      auto head = r.backend->rpc ? chain::fetch_head(*r.backend->rpc) : Result<std::uint64_t>(latest);
      if (!head) return failure(r.chain, head.error());
      if (block.above_max || block.number > std::max(*head, latest))
        return unprocessable(block_above_head_error(block.input, std::max(*head, latest)));
      t.behind = true;  // mined, not indexed yet
    }
    t.block_num = block.number;
  }
  if (t.behind) return t;
  // The pinned rule: latest and safe are revalidated; finalized and any number at or below it
  // never change.
  if (block.kind == Kind::kFinalized) {
    t.immutable = true;
  } else if (block.kind == Kind::kNumber) {
    std::uint64_t known = 0;
    {
      std::lock_guard lock(mutex_);
      if (auto it = finalized_.find(r.chain); it != finalized_.end()) known = it->second;
    }
    if (t.block_num <= known) {
      t.immutable = true;
    } else {
      auto fin = finalized_block(r, latest);
      if (!fin) return failure(r.chain, fin.error());
      t.immutable = t.block_num <= *fin;
    }
  }
  return t;
}

std::variant<ApiResponse, BalancesHandler::Answer> BalancesHandler::pinned_answer(const Resolved& r,
                                                                                  const AccountSnapshot& latest,
                                                                                  const BalancesParams& params,
                                                                                  const Target& t) const {
  // The transfers up to the block from the index; balances, prices and the coin read at it.
  AccountSnapshot pinned;
  pinned.credit_account = latest.credit_account;
  pinned.snapshot_block = t.block_num;
  std::set<Address> tokens;
  for (const auto& h : latest.holdings) {
    TokenHolding kept{h.token, h.metadata, 0, {}};
    for (const auto& tr : h.transfers)
      if (tr.block_num <= t.block_num) kept.transfers.push_back(tr);
    if (kept.transfers.empty()) continue;
    tokens.insert(h.token);
    pinned.holdings.push_back(std::move(kept));
  }
  const bool want_native = params.native && has_native(r);
  if (!r.backend->rpc || !r.backend->settings) return failure(r.chain, make_error(Errc::kNotConfigured, "no RPC"));
  auto state = chain::read_state_at(*r.backend->rpc, *r.backend->settings, r.account, tokens, t.block_num, want_native);
  if (!state) {
    if (state.error().code != Errc::kTimeout && chain::state_unavailable(*r.backend->rpc, r.account)) {
      std::cerr << "chain=" << r.chain << " block " << t.block_num << ": " << state.error().message << "\n";
      return unavailable("Upstream RPC for chain '" + r.chain + "' cannot serve state at block " +
                             std::to_string(t.block_num) + " (is it an archive node?)",
                         60);
    }
    return failure(r.chain, state.error());
  }
  for (auto& h : pinned.holdings) h.balance = state->balances.at(h.token).value_or(0);
  std::map<Address, std::optional<pricing::Decimal>> prices;
  if (auto* oracle = r.backend->prices) {
    std::vector<Address> priced(tokens.begin(), tokens.end());
    if (want_native) priced.push_back(pricing::kNativeCoin);
    prices = oracle->prices_at(priced, t.block_num);
  }
  RenderOptions options = render_options(params);
  auto native_price = prices.count(pricing::kNativeCoin) ? prices.at(pricing::kNativeCoin) : std::nullopt;
  if (auto failed = add_extras(r, pinned.holdings, *state, params, native_price, options)) return std::move(*failed);
  PriceLookup lookup = [&prices](const Address& token) -> std::optional<pricing::Decimal> {
    auto it = prices.find(token);
    return it == prices.end() ? std::nullopt : it->second;
  };
  return Answer{std::make_shared<const EncodedAnswer>(render_balances(pinned, lookup, options)), t.block_num, t.immutable};
}

std::optional<ApiResponse> BalancesHandler::add_extras(const Resolved& r, const std::vector<TokenHolding>& holdings,
                                                      const chain::StateAt& state, const BalancesParams& params,
                                                      std::optional<pricing::Decimal> native_price,
                                                      RenderOptions& options) const {
  if (params.spam != SpamMode::kOff) {
    auto listed = listed_symbols(r);
    if (!listed) return failure(r.chain, listed.error());
    for (const auto& h : holdings) {
      auto it = state.balances.find(h.token);
      options.spam_verdicts[h.token] = judge_spam(h, *listed, it != state.balances.end() && it->second.has_value());
    }
  }
  if (!params.native) return std::nullopt;
  if (state.native && has_native(r)) {
    options.native = std::optional<NativeCoin>(NativeCoin{r.backend->settings->native_symbol,
                                                          r.backend->settings->native_decimals, *state.native, native_price});
  } else {
    options.native = std::optional<NativeCoin>();
  }
  return std::nullopt;
}

Result<std::map<std::string, std::vector<Address>>> BalancesHandler::listed_symbols(const Resolved& r) const {
  {
    std::lock_guard lock(mutex_);
    if (auto it = listed_symbols_.find(r.chain); it != listed_symbols_.end()) return it->second;
  }
  std::map<std::string, std::vector<Address>> out;
  std::set<Address> listed;
  if (r.backend->settings)
    for (const auto& t : r.backend->prices ? r.backend->prices->listed_tokens() : std::vector<Address>{})
      if (t != pricing::kNativeCoin) listed.insert(t);
  if (!listed.empty()) {
    auto head = chain::fetch_head(*r.backend->rpc);
    if (!head) return head.error();
    auto reads = chain::read_tokens(*r.backend->rpc, *r.backend->settings, listed, {}, *head);
    if (!reads) return reads.error();
    for (const auto& [token, meta] : reads->metadata) {
      std::string symbol = meta.symbol;
      std::transform(symbol.begin(), symbol.end(), symbol.begin(), [](unsigned char c) { return std::tolower(c); });
      out[symbol].push_back(token);
    }
  }
  std::lock_guard lock(mutex_);
  listed_symbols_[r.chain] = out;
  return out;
}

std::variant<ApiResponse, BalancesHandler::Answer> BalancesHandler::answer(const BalancesParams& params) const {
  auto located = locate(params.chain, params.owner, params.block, params.client);
  if (auto* done = std::get_if<ApiResponse>(&located)) return std::move(*done);
  const auto& [r, latest, tg] = std::get<Located>(located);
  const AccountAnswer* snapshot = &latest;
  if (tg.pinned) {
    // At or below finalized an answer never changes: made once, then served without the node.
    const std::string key = answer_key(r, params) + "@" + std::to_string(tg.block_num) + (params.native ? ";native" : "");
    if (tg.immutable)
      if (auto hit = answers_.get(key, nullptr, 0)) return Answer{hit, tg.block_num, true};
    auto pinned = pinned_answer(r, *snapshot->snapshot, params, tg);
    if (auto* a = std::get_if<Answer>(&pinned); a && tg.immutable) answers_.put(key, nullptr, 0, a->encoded);
    return pinned;
  }

  const auto& snap = *snapshot->snapshot;
  pricing::PriceOracle* prices = r.backend->prices;
  if (prices) {
    // Off the network threads anyway: fetch prices not seen before rather than render nulls.
    std::vector<Address> tokens;
    for (const auto& h : snap.holdings) tokens.push_back(h.token);
    prices->ensure(tokens);
  }
  const std::string key = answer_key(r, params);
  const std::uint64_t epoch = prices ? prices->epoch() : 0;
  if (!params.native && render_options(params).is_default())
    return Answer{rendered_answer(snap, prices), snapshot->block_num, tg.immutable};
  if (!params.native)
    if (auto hit = answers_.get(key, &snap, epoch)) return Answer{hit, snapshot->block_num, tg.immutable};
  RenderOptions options = render_options(params);
  const bool want_native = params.native && has_native(r);
  std::optional<chain::StateAt> state;
  if (params.spam != SpamMode::kOff || want_native) {
    std::set<Address> tokens;
    if (params.spam != SpamMode::kOff)
      for (const auto& h : snap.holdings) tokens.insert(h.token);
    auto read = chain::read_state_at(*r.backend->rpc, *r.backend->settings, r.account, tokens, snapshot->block_num, want_native);
    if (!read) return failure(r.chain, read.error());
    state = std::move(*read);
  }
  std::optional<pricing::Decimal> native_price;
  if (want_native && prices && prices->listed(pricing::kNativeCoin)) {
    prices->ensure({pricing::kNativeCoin});
    native_price = prices->price(pricing::kNativeCoin);
  }
  if (auto failed = add_extras(r, snap.holdings, state.value_or(chain::StateAt{}), params, native_price, options))
    return std::move(*failed);
  auto encoded = std::make_shared<const EncodedAnswer>(render_balances(snap, current_prices(prices), options));
  // The coin's balance moves without Transfer logs: an answer with it is never cached.
  if (!params.native) answers_.put(key, snapshot->snapshot, epoch, encoded);
  return Answer{encoded, snapshot->block_num, tg.immutable};
}

ApiResponse BalancesHandler::respond(const ApiRequest& request, const Answer& a) const {
  ApiResponse r = cached_response(request, *a.encoded, a.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("X-Block-Number", std::to_string(a.block_num));
  return r;
}

ApiResponse BalancesHandler::handle(const ApiRequest& request) const {
  chain::ScopedDeadline deadline(std::chrono::steady_clock::now() + options_.deadline);
  auto validated = validate_balances_query(request.query, names_);
  if (!validated.params) return varied(unprocessable(std::move(validated.error_body)));
  validated.params->client = request.limit_key;
  auto a = answer(*validated.params);
  if (auto* done = std::get_if<ApiResponse>(&a)) return varied(std::move(*done));
  return respond(request, std::get<Answer>(a));
}

std::optional<ApiResponse> BalancesHandler::try_fast(const ApiRequest& request) const {
  // Answers that need no network are given here, so they never wait for a worker thread.
  auto validated = validate_balances_query(request.query, names_);
  if (!validated.params) return varied(unprocessable(std::move(validated.error_body)));
  const auto& params = *validated.params;
  auto it = chains_.find(params.chain);
  if (it == chains_.end()) return varied(not_configured(params.chain));
  if (params.block.kind != BlockSpec::Kind::kLatest || params.native) return std::nullopt;
  auto account = it->second.deriver->derive_cached(params.owner);
  if (!account) return std::nullopt;
  auto answer = it->second.source->peek(*account);
  if (!answer) return std::nullopt;
  const auto* prices = it->second.prices;
  const RenderOptions options = render_options(params);
  if (options.is_default()) return respond(request, Answer{rendered_answer(*answer->snapshot, it->second.prices), answer->block_num, false});
  const Resolved r{&it->second, params.chain, *account};
  const std::string key = answer_key(r, params);
  const std::uint64_t epoch = prices ? prices->epoch() : 0;
  auto encoded = answers_.get(key, answer->snapshot.get(), epoch);
  if (!encoded) {
    if (params.spam != SpamMode::kOff) return std::nullopt;  // spam verdicts need the node
    encoded = std::make_shared<const EncodedAnswer>(render_balances(*answer->snapshot, current_prices(it->second.prices), options));
    answers_.put(key, answer->snapshot, epoch, encoded);
  }
  return respond(request, Answer{encoded, answer->block_num, false});
}

ApiResponse BalancesHandler::status(const ApiRequest& request) const {
  chain::ScopedDeadline deadline(std::chrono::steady_clock::now() + options_.deadline);
  auto validated = validate_balances_query(request.query, names_);
  if (!validated.params) return unprocessable(std::move(validated.error_body));
  auto resolved = resolve(validated.params->chain, validated.params->owner);
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

ApiResponse BalancesHandler::all(const ApiRequest& request) const {
  auto validated = validate_balances_query(request.query, names_, false);
  if (!validated.params) return unprocessable(std::move(validated.error_body));
  // Every chain at once, each on its own thread under the request's deadline.
  const auto deadline = std::chrono::steady_clock::now() + options_.deadline;
  std::map<std::string, std::future<std::variant<ApiResponse, Answer>>> pending;
  for (const auto& [name, _] : chains_) {
    BalancesParams params = *validated.params;
    params.chain = name;
    params.client = request.limit_key;
    pending.emplace(name, std::async(std::launch::async, [this, params, deadline] {
                      chain::ScopedDeadline scoped(deadline);
                      return answer(params);
                    }));
  }
  JsonWriter chains_json;
  chains_json.begin_object();
  std::map<std::string, ApiResponse> errors;
  std::optional<pricing::BigInt> total;
  for (auto& [name, future] : pending) {
    auto result = future.get();
    if (auto* error = std::get_if<ApiResponse>(&result)) {
      errors.emplace(name, std::move(*error));
      continue;
    }
    const auto& body = *std::get<Answer>(result).encoded->body;
    chains_json.key(name).raw(body);
    // The chain's total_usd_value is the body's last member: null or a decimal string.
    static constexpr std::string_view kTotal = "\"total_usd_value\":";
    auto pos = body.rfind(kTotal);
    if (pos != std::string::npos && body[pos + kTotal.size()] == '"') {
      auto start = pos + kTotal.size() + 1;
      total = total.value_or(0) + cents_of(std::string_view(body).substr(start, body.find('"', start) - start));
    }
  }
  chains_json.end_object();
  JsonWriter w;
  w.begin_object();
  const bool all_failed = !chains_.empty() && errors.size() == chains_.size();
  if (all_failed) w.key("detail").string("Every configured chain failed; try again shortly");
  w.key("owner").string(to_checksum(validated.params->owner)).key("chains").raw(chains_json.str());
  w.key("errors").begin_object();
  for (const auto& [name, error] : errors) {
    auto parsed = boost::json::parse(error.body_text(), boost::json::storage_ptr(), {});
    w.key(name).begin_object().key("status").number(error.status).key("detail");
    if (const auto* d = parsed.is_object() ? parsed.as_object().if_contains("detail") : nullptr; d && d->is_string()) {
      w.string(d->as_string());
    } else if (d) {
      w.raw(boost::json::serialize(*d));  // a 422's list
    } else {
      w.string("");
    }
    w.end_object();
  }
  w.end_object().key("total_usd_value");
  if (total) {
    w.string(pricing::format_cents(*total));
  } else {
    w.null();
  }
  w.end_object();
  if (all_failed) {
    ApiResponse r;
    r.status = 503;
    r.body = w.take();
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  ApiResponse r;
  r.body = w.take();
  return r;
}

}  // namespace creditscope::api
