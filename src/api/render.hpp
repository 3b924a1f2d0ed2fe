#pragma once
// AccountSnapshot -> the CreditBalancesResponse JSON of the spec.

#include <string>

#include <functional>

#include "core/account.hpp"
#include "pricing/price_oracle.hpp"

namespace creditscope::api {

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
using PriceLookup = std::function<std::optional<pricing::Decimal>(const Address& token)>;
std::string render_balances(const AccountSnapshot& snapshot, const PriceLookup& prices);

/// The rendering with the oracle's current prices (none without an oracle), cached on the
/// snapshot until the oracle's prices change; shared so a response can send it without copying.
std::shared_ptr<const std::string> rendered_body(const AccountSnapshot& snapshot, pricing::PriceOracle* prices);

}  // namespace creditscope::api
