#pragma once
// AccountSnapshot -> the CreditBalancesResponse JSON of the spec.

#include <string>

#include "core/account.hpp"

namespace creditscope::api {

/// Renders the 200 body. Rules (README, "Response rules"):
/// - one entry per token, keyed by symbol; tokens sharing a symbol are keyed "SYMBOL (0xChecksum)";
///   keys in byte order;
/// - amounts raw in base 10 and formatted by format_units (6 fractional digits, toward zero);
/// - transfers ascending (block, log index); direction "in" when the account is the recipient
///   (so a self-transfer is "in");
/// - addresses EIP-55, timestamps YYYY-MM-DDTHH:MM:SSZ; usd_value / total_usd_value null when
///   unknown.
std::string render_balances(const AccountSnapshot& snapshot, const std::optional<std::string>& total_usd_value);

/// render_balances(snapshot, nullopt), computed once per snapshot and kept on it; shared so a
/// response can send it without copying.
std::shared_ptr<const std::string> rendered_body(const AccountSnapshot& snapshot);

}  // namespace creditscope::api
