#pragma once
// AccountSnapshot -> the CreditBalancesResponse JSON of the spec, and the opt-in extras.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/validation.hpp"
#include "core/account.hpp"
#include "pricing/price_oracle.hpp"

namespace creditscope::api {

/// Why a token looks like spam (spam=flag), in the order the API lists them.
struct SpamVerdict {
  bool symbol_impersonation = false;  // its symbol is a listed token's, at another address
  bool no_balance_of = false;         // balanceOf reverts or does not return one word
  bool zero_value_only = false;       // every transfer of it to or from the account moved 0
  bool flagged() const { return symbol_impersonation || no_balance_of || zero_value_only; }
};

/// The verdict for one holding. listed_symbols: lower-case symbol -> the priced tokens that carry
/// it; balance_of_ok: whether the token's balanceOf answered with one word.
SpamVerdict judge_spam(const TokenHolding& holding, const std::map<std::string, std::vector<Address>>& listed_symbols,
                       bool balance_of_ok);

/// The native coin of native=true; nullopt inside: the chain has none ("native": null).
struct NativeCoin {
  std::string symbol;
  unsigned decimals = 18;
  U256 balance;
  std::optional<pricing::Decimal> price;
};

/// The extras a request opts into. The default renders the seed's body byte for byte.
struct RenderOptions {
  std::optional<std::uint32_t> transfers_limit;  // keep the last N transfers per token, add transfers_total
  bool reconcile = false;
  SpamMode spam = SpamMode::kOff;
  std::map<Address, SpamVerdict> spam_verdicts;  // for kFlag / kExclude
  std::optional<std::optional<NativeCoin>> native;  // set: native=true

  bool is_default() const { return !transfers_limit && !reconcile && spam == SpamMode::kOff && !native; }
};

/// Renders the 200 body. Rules (README, "Response rules"):
/// - one entry per token, keyed by symbol; tokens sharing a symbol are keyed "SYMBOL (0xChecksum)";
///   keys in byte order;
/// - amounts raw in base 10 and formatted by format_units (6 fractional digits, toward zero);
/// - transfers ascending (block, log index); direction "in" when the account is the recipient
///   (so a self-transfer is "in");
/// - addresses EIP-55, timestamps YYYY-MM-DDTHH:MM:SSZ; usd_value / total_usd_value null when
///   unknown;
/// - usd_value = round_half_up(balance x price, 2) with two decimals, null without a price;
///   total_usd_value = sum of the rendered values, null when no held (non-zero) token has a
///   price, "0.00" when the account holds nothing.
/// The extras: transfers_total and the last transfers_limit transfers; reconciliation (in - out
/// against the balance, a self-transfer nets 0); spam (flag adds it, exclude drops flagged tokens
/// before keys and totals are decided); native after balances.
using PriceLookup = std::function<std::optional<pricing::Decimal>(const Address& token)>;
/// The oracle's current (cached) prices as a lookup; an empty lookup without an oracle.
PriceLookup current_prices(pricing::PriceOracle* prices);
std::string render_balances(const AccountSnapshot& snapshot, const PriceLookup& prices,
                            const RenderOptions& options = {});

/// A rendered body with its strong ETag and, made on first use, its gzip encoding.
struct EncodedAnswer : RenderedAnswer {
  explicit EncodedAnswer(std::string text);
  std::string etag;  // "\"<32 hex digits>\"": changes exactly when the body does
  /// gzip of body, compressed once. Thread-safe.
  std::shared_ptr<const std::string> gzip() const;

 private:
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const std::string> gzip_;
};

/// The default rendering with the oracle's current prices (none without an oracle), cached on
/// the snapshot until the oracle's prices change (so it is counted in the snapshot cache's
/// budget); shared so a response can send it without copying.
std::shared_ptr<const EncodedAnswer> rendered_answer(const AccountSnapshot& snapshot, pricing::PriceOracle* prices);

}  // namespace creditscope::api
