#include "api/validation.hpp"

#include <algorithm>

#include "api/http_types.hpp"
#include "core/address.hpp"
#include "core/hex.hpp"
#include "core/json_writer.hpp"

namespace creditscope::api {

ApiResponse detail_response(unsigned status, std::string_view detail) {
  ApiResponse r;
  r.status = status;
  JsonWriter w;
  w.begin_object().key("detail").string(detail).end_object();
  r.body = w.take();
  return r;
}

namespace {
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() &&
               hex::digit_value(s[i + 1]) >= 0 && hex::digit_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex::digit_value(s[i + 1]) * 16 + hex::digit_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

const std::string kExpectedChains = "'arbitrum', 'base', 'ethereum' or 'tempo'";
}  // namespace

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string name = percent_decode(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string{} : percent_decode(part.substr(eq + 1));
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == name; });
    if (it != out.end()) {
      it->second = std::move(value);
    } else {
      out.emplace_back(std::move(name), std::move(value));
    }
  }
  return out;
}

BalancesValidation validate_balances_query(std::string_view query) {
  auto pairs = parse_query(query);
  auto find = [&](std::string_view name) -> const std::string* {
    for (const auto& [k, v] : pairs)
      if (k == name) return &v;
    return nullptr;
  };
  JsonWriter w;
  w.begin_object().key("detail").begin_array();
  bool failed = false;
  auto missing = [&](std::string_view name) {
    failed = true;
    w.begin_object().key("type").string("missing").key("loc").begin_array().string("query").string(name).end_array();
    w.key("msg").string("Field required").key("input").null().end_object();
  };

  BalancesParams params;
  const std::string* chain = find("chain");
  if (!chain) {
    missing("chain");
  } else if (std::find(std::begin(kSpecChains), std::end(kSpecChains), *chain) == std::end(kSpecChains)) {
    failed = true;
    w.begin_object().key("type").string("enum").key("loc").begin_array().string("query").string("chain").end_array();
    w.key("msg").string("Input should be " + kExpectedChains).key("input").string(*chain);
    w.key("ctx").begin_object().key("expected").string(kExpectedChains).end_object().end_object();
  } else {
    params.chain = *chain;
  }

  const std::string* owner = find("owner");
  if (!owner) {
    missing("owner");
  } else if (auto parsed = parse_address(*owner); !parsed) {
    failed = true;
    w.begin_object().key("type").string("value_error").key("loc").begin_array().string("query").string("owner").end_array();
    w.key("msg").string("Value error, Invalid owner address: " + parsed.error().message).key("input").string(*owner);
    // FastAPI renders the ValueError object in ctx as an empty object.
    w.key("ctx").begin_object().key("error").begin_object().end_object().end_object().end_object();
  } else {
    params.owner = *parsed;
  }
  w.end_array().end_object();
  if (failed) return {std::nullopt, w.take()};
  return {std::move(params), {}};
}

}  // namespace creditscope::api
