#pragma once
// Query parameters of GET /v2/credit/balances, validated the way FastAPI/pydantic v2 would, with
// error bodies byte-for-byte in pydantic's shape.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace creditscope::api {

/// The chains the public API accepts, in the order its enum lists them.
inline constexpr std::string_view kSpecChains[] = {"arbitrum", "base", "ethereum", "tempo"};

/// Decodes application/x-www-form-urlencoded pairs ('+' is a space, %XX escapes; a malformed
/// escape is kept literally, as Python's parse_qsl does). A repeated name keeps its last value.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

struct BalancesParams {
  std::string chain;
  Address owner;
};

/// Either valid parameters or the 422 body: {"detail":[...]} listing every problem, chain first.
struct BalancesValidation {
  std::optional<BalancesParams> params;
  std::string error_body;
};

BalancesValidation validate_balances_query(std::string_view query);

}  // namespace creditscope::api
