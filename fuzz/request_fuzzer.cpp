// libFuzzer harness over what a client or a token contract controls: query validation, the HTTP
// request parser with the server's limits, token return-data decoding rendered to JSON, and
// price-API bodies. The first input byte picks the target. A finding is a crash, a sanitizer
// report, or output that is not valid JSON (__builtin_trap).

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "api/render.hpp"
#include "api/validation.hpp"
#include "chain/token_metadata.hpp"
#include "pricing/price_oracle.hpp"

using namespace creditscope;

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool valid_json(const std::string& text) {
  boost::system::error_code ec;
  boost::json::parse(text, ec);
  return !ec;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {  // query string -> parameters or a FastAPI-shaped 422 body, for both credit routes
      auto v = api::validate_balances_query(in);
      if (!v.params) require(valid_json(v.error_body) && v.error_body.starts_with(R"({"detail":[)"));
      auto t = api::validate_transfers_query(in);
      if (!t.params) require(valid_json(t.error_body) && t.error_body.starts_with(R"({"detail":[)"));
      if (t.params && t.params->cursor)  // a cursor that parses is the one its position encodes to
        require(api::decode_cursor(api::encode_cursor(t.params->cursor->first, t.params->cursor->second)) == t.params->cursor);
      break;
    }
    case 1: {  // raw bytes off the socket -> Beast's request parser with the server's limits
      namespace http = boost::beast::http;
      http::request_parser<http::string_body> parser;
      parser.header_limit(64 * 1024);
      parser.body_limit(64 * 1024);
      boost::beast::error_code ec;
      parser.put(boost::asio::buffer(in.data(), in.size()), ec);
      if (!ec) parser.put_eof(ec);
      break;
    }
    case 2: {  // token return data -> metadata -> the rendered answer
      Bytes raw(in.begin(), in.end());
      AccountSnapshot s;
      TokenHolding h;
      h.metadata = {chain::decode_symbol(raw), chain::decode_decimals(raw)};
      h.balance = chain::decode_balance(raw);
      TokenTransfer t;
      t.raw_amount = h.balance;
      h.transfers.push_back(t);
      s.holdings.push_back(h);
      require(h.metadata.decimals <= chain::kMaxDecimals);
      require(valid_json(api::render_balances(s, {})));
      break;
    }
    case 3: {  // a price API's body and number literals
      pricing::parse_coins_response(in);
      if (auto d = pricing::parse_decimal(in)) require(!pricing::format_cents(pricing::usd_cents(U256(1), 0, *d)).empty());
      break;
    }
  }
  return 0;
}
