#include "api/render.hpp"

#include <zlib.h>

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <cctype>
#include <map>
#include <stdexcept>

#include "core/address.hpp"
#include "core/hex.hpp"
#include "core/json_writer.hpp"
#include "core/keccak.hpp"
#include "core/time.hpp"

namespace creditscope::api {
namespace {
using Signed = boost::multiprecision::cpp_int;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string signed_decimal(const Signed& v) { return v.str(); }

std::string gzip_compress(std::string_view in) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}
}  // namespace

SpamVerdict judge_spam(const TokenHolding& holding, const std::map<std::string, std::vector<Address>>& listed_symbols,
                       bool balance_of_ok) {
  SpamVerdict v;
  if (auto it = listed_symbols.find(lower(holding.metadata.symbol)); it != listed_symbols.end())
    v.symbol_impersonation = std::any_of(it->second.begin(), it->second.end(), [&](const Address& a) { return a != holding.token; });
  v.no_balance_of = !balance_of_ok;
  v.zero_value_only = std::all_of(holding.transfers.begin(), holding.transfers.end(),
                                  [](const TokenTransfer& t) { return t.raw_amount == 0; });
  return v;
}

std::string render_balances(const AccountSnapshot& snapshot, const PriceLookup& prices, const RenderOptions& options) {
  // spam=exclude: flagged tokens are not there at all, for keys and totals alike.
  std::vector<const TokenHolding*> shown;
  shown.reserve(snapshot.holdings.size());
  for (const auto& h : snapshot.holdings) {
    if (options.spam == SpamMode::kExclude) {
      auto it = options.spam_verdicts.find(h.token);
      if (it != options.spam_verdicts.end() && it->second.flagged()) continue;
    }
    shown.push_back(&h);
  }
  std::optional<pricing::BigInt> total_cents;
  bool holds_anything = false;
  std::map<Address, std::optional<std::string>> usd;
  for (const auto* hp : shown) {
    const auto& h = *hp;
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
  for (const auto* h : shown) ++symbol_count[h->metadata.symbol];
  std::vector<std::pair<std::string, const TokenHolding*>> keyed;
  keyed.reserve(shown.size());
  for (const auto* h : shown) {
    std::string key = h->metadata.symbol;
    if (symbol_count[key] > 1) key += " (" + to_checksum(h->token) + ")";
    keyed.emplace_back(std::move(key), h);
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
    if (options.reconcile) {
      Signed in = 0, out = 0;
      for (const auto& t : h->transfers) {
        // A self-transfer is both: it nets 0.
        if (t.to == snapshot.credit_account) in += Signed(t.raw_amount);
        if (t.from == snapshot.credit_account) out += Signed(t.raw_amount);
      }
      const Signed expected = in - out;
      const Signed difference = Signed(h->balance) - expected;
      w.key("reconciliation").begin_object();
      w.key("expected_balance").string(signed_decimal(expected));
      w.key("difference").string(signed_decimal(difference));
      w.key("reconciled").raw(difference == 0 ? "true" : "false");
      w.end_object();
    }
    if (options.spam == SpamMode::kFlag) {
      SpamVerdict v;
      if (auto it = options.spam_verdicts.find(h->token); it != options.spam_verdicts.end()) v = it->second;
      w.key("spam").begin_object().key("flagged").raw(v.flagged() ? "true" : "false").key("reasons").begin_array();
      if (v.symbol_impersonation) w.string("symbol_impersonation");
      if (v.no_balance_of) w.string("no_balance_of");
      if (v.zero_value_only) w.string("zero_value_only");
      w.end_array().end_object();
    }
    std::size_t first = 0;
    if (options.transfers_limit) {
      w.key("transfers_total").number(h->transfers.size());
      if (h->transfers.size() > *options.transfers_limit) first = h->transfers.size() - *options.transfers_limit;
    }
    w.key("transfers").begin_array();
    for (std::size_t i = first; i < h->transfers.size(); ++i) {
      const auto& t = h->transfers[i];
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
  w.end_object();
  if (options.native) {
    w.key("native");
    if (const auto& coin = *options.native) {
      w.begin_object().key("symbol").string(coin->symbol).key("decimals").number(coin->decimals);
      w.key("balance").string(to_decimal(coin->balance)).key("balance_formatted").string(format_units(coin->balance, coin->decimals));
      w.key("usd_value");
      if (coin->price) {
        w.string(pricing::format_cents(pricing::usd_cents(coin->balance, coin->decimals, *coin->price)));
      } else {
        w.null();
      }
      w.end_object();
    } else {
      w.null();
    }
  }
  w.key("total_usd_value");
  if (total_usd_value) {
    w.string(*total_usd_value);
  } else {
    w.null();
  }
  w.end_object();
  return w.take();
}

EncodedAnswer::EncodedAnswer(std::string text) : RenderedAnswer(std::move(text)) {
  // A strong validator: 128 bits of keccak over the exact bytes sent (identity encoding).
  const auto digest = keccak256(view(*body));
  etag = "\"" + hex::encode(ByteView(digest.bytes.data(), 16)).substr(2) + "\"";
}

std::shared_ptr<const std::string> EncodedAnswer::gzip() const {
  std::lock_guard lock(mutex_);
  if (!gzip_) gzip_ = std::make_shared<const std::string>(gzip_compress(*body));
  return gzip_;
}

PriceLookup current_prices(pricing::PriceOracle* prices) {
  if (!prices) return {};
  return [prices](const Address& token) { return prices->price(token); };
}

std::shared_ptr<const EncodedAnswer> rendered_answer(const AccountSnapshot& snapshot, pricing::PriceOracle* prices) {
  const std::uint64_t epoch = prices ? prices->epoch() : 0;
  std::lock_guard lock(snapshot.render_mutex);
  if (!snapshot.rendered || snapshot.render_epoch != epoch) {
    snapshot.rendered = std::make_shared<const EncodedAnswer>(render_balances(snapshot, current_prices(prices)));
    snapshot.render_epoch = epoch;
  }
  return std::static_pointer_cast<const EncodedAnswer>(snapshot.rendered);
}

}  // namespace creditscope::api
