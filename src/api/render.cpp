#include "api/render.hpp"

#include <algorithm>
#include <map>

#include "core/address.hpp"
#include "core/hex.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"

namespace creditscope::api {

std::string render_balances(const AccountSnapshot& snapshot, const PriceLookup& prices) {
  std::optional<pricing::BigInt> total_cents;
  bool holds_anything = false;
  std::map<Address, std::optional<std::string>> usd;
  for (const auto& h : snapshot.holdings) {
    auto price = prices ? prices(h.token) : std::nullopt;
    holds_anything |= h.balance != 0;
    if (!price) {
      usd[h.token] = std::nullopt;
      continue;
    }
    auto cents = pricing::usd_cents(h.balance, h.metadata.decimals, *price);
    usd[h.token] = pricing::format_cents(cents);
    if (h.balance != 0 || total_cents) total_cents = total_cents.value_or(0) + cents;
  }
  std::optional<std::string> total_usd_value;
  if (!holds_anything) {
    total_usd_value = "0.00";
  } else if (total_cents) {
    total_usd_value = pricing::format_cents(*total_cents);
  }

  std::map<std::string, int> symbol_count;
  for (const auto& h : snapshot.holdings) ++symbol_count[h.metadata.symbol];
  std::vector<std::pair<std::string, const TokenHolding*>> keyed;
  keyed.reserve(snapshot.holdings.size());
  for (const auto& h : snapshot.holdings) {
    std::string key = h.metadata.symbol;
    if (symbol_count[key] > 1) key += " (" + to_checksum(h.token) + ")";
    keyed.emplace_back(std::move(key), &h);
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  // A few addresses (the account, its tokens, counterparties) recur in thousands of transfers: hash
  // each once.
  std::map<Address, std::string> checksums;
  auto checksum = [&checksums](const Address& a) -> const std::string& {
    auto it = checksums.find(a);
    if (it == checksums.end()) it = checksums.emplace(a, to_checksum(a)).first;
    return it->second;
  };
  const std::string account = to_checksum(snapshot.credit_account);
  JsonWriter w;
  w.begin_object().key("credit_account_address").string(account).key("balances").begin_object();
  for (const auto& [key, h] : keyed) {
    const unsigned decimals = h->metadata.decimals;
    w.key(key).begin_object();
    w.key("token_address").string(checksum(h->token));
    w.key("token_symbol").string(h->metadata.symbol);
    w.key("token_decimals").number(decimals);
    w.key("balance").string(to_decimal(h->balance));
    w.key("balance_formatted").string(format_units(h->balance, decimals));
    w.key("usd_value");
    if (const auto& v = usd[h->token]) {
      w.string(*v);
    } else {
      w.null();
    }
    w.key("transfers").begin_array();
    for (const auto& t : h->transfers) {
      const bool incoming = t.to == snapshot.credit_account;
      w.begin_object();
      w.key("from_address").string(checksum(t.from));
      w.key("to_address").string(checksum(t.to));
      w.key("amount").string(to_decimal(t.raw_amount));
      w.key("amount_formatted").string(format_units(t.raw_amount, decimals));
      w.key("block_number").number(t.block_num);
      w.key("block_timestamp").string(format_utc(t.block_timestamp));
      w.key("transaction_hash").string(hex::encode(view(t.txn_hash)));
      w.key("direction").string(incoming ? "in" : "out");
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_object().key("total_usd_value");
  if (total_usd_value) {
    w.string(*total_usd_value);
  } else {
    w.null();
  }
  w.end_object();
  return w.take();
}

std::shared_ptr<const std::string> rendered_body(const AccountSnapshot& snapshot, pricing::PriceOracle* prices) {
  const std::uint64_t epoch = prices ? prices->epoch() : 0;
  std::lock_guard lock(snapshot.render_mutex);
  if (!snapshot.rendered || snapshot.render_epoch != epoch) {
    PriceLookup lookup;
    if (prices) lookup = [prices](const Address& token) { return prices->price(token); };
    snapshot.rendered = std::make_shared<const std::string>(render_balances(snapshot, lookup));
    snapshot.render_epoch = epoch;
  }
  return snapshot.rendered;
}

}  // namespace creditscope::api
