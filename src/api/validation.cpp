#include "api/validation.hpp"

#include <algorithm>
#include <cctype>

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

ApiResponse unprocessable(std::string body) {
  ApiResponse r;
  r.status = 422;
  r.body = std::move(body);
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

// pydantic's rendering of a choice of literals: 'a', 'b' or 'c'.
std::string expected_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += "'" + names[i] + "'";
  }
  return out;
}

// Collects pydantic-shaped errors for one query string.
class QueryErrors {
 public:
  explicit QueryErrors(std::string_view query) : pairs_(parse_query(query)) {
    w_.begin_object().key("detail").begin_array();
  }
  const std::string* get(std::string_view name) const {
    for (const auto& [k, v] : pairs_)
      if (k == name) return &v;
    return nullptr;
  }
  bool failed() const { return failed_; }
  std::string take() {
    w_.end_array().end_object();
    return w_.take();
  }

  void missing(std::string_view name) {
    open("missing", name).key("msg").string("Field required").key("input").null().end_object();
  }
  void choice(std::string_view name, const std::string& input, const std::string& expected) {
    open("enum", name).key("msg").string("Input should be " + expected).key("input").string(input);
    w_.key("ctx").begin_object().key("expected").string(expected).end_object().end_object();
  }
  void value_error(std::string_view name, const std::string& input, std::string_view message) {
    open("value_error", name).key("msg").string("Value error, " + std::string(message)).key("input").string(input);
    // FastAPI renders the ValueError object in ctx as an empty object.
    w_.key("ctx").begin_object().key("error").begin_object().end_object().end_object().end_object();
  }
  void int_parsing(std::string_view name, const std::string& input) {
    open("int_parsing", name).key("msg").string("Input should be a valid integer, unable to parse string as an integer");
    w_.key("input").string(input).end_object();
  }
  void bool_parsing(std::string_view name, const std::string& input) {
    open("bool_parsing", name).key("msg").string("Input should be a valid boolean, unable to interpret input");
    w_.key("input").string(input).end_object();
  }
  void bound(std::string_view name, const std::string& input, bool upper, std::uint64_t limit) {
    open(upper ? "less_than_equal" : "greater_than_equal", name);
    w_.key("msg").string(std::string("Input should be ") + (upper ? "less than or equal to " : "greater than or equal to ") +
                         std::to_string(limit));
    w_.key("input").string(input).key("ctx").begin_object().key(upper ? "le" : "ge").number(limit).end_object().end_object();
  }

  // An integer in [lo, hi] as pydantic parses one from a query string.
  std::optional<std::uint64_t> integer(std::string_view name, std::uint64_t lo, std::uint64_t hi) {
    const std::string* v = get(name);
    if (!v) return std::nullopt;
    std::string_view s = *v;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    bool negative = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
      negative = s.front() == '-';
      s.remove_prefix(1);
    }
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      int_parsing(name, *v);
      return std::nullopt;
    }
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    const bool huge = s.size() > 19;
    const std::uint64_t n = huge ? 0 : std::stoull(std::string(s));
    if (negative && (huge || n > 0)) {
      if (lo > 0 || n > 0) bound(name, *v, false, lo);
      return std::nullopt;
    }
    if (n < lo) {
      bound(name, *v, false, lo);
      return std::nullopt;
    }
    if (huge || n > hi) {
      bound(name, *v, true, hi);
      return std::nullopt;
    }
    return n;
  }

  std::optional<bool> boolean(std::string_view name) {
    const std::string* v = get(name);
    if (!v) return std::nullopt;
    std::string s = *v;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* t : {"1", "on", "t", "true", "y", "yes"})
      if (s == t) return true;
    for (const char* f : {"0", "off", "f", "false", "n", "no"})
      if (s == f) return false;
    bool_parsing(name, *v);
    return std::nullopt;
  }

  std::optional<std::string> chain(const ChainNames& chains) {
    const std::string* v = get("chain");
    if (!v) {
      missing("chain");
    } else if (!chains.contains(*v)) {
      choice("chain", *v, chains.expected());
    } else {
      return *v;
    }
    return std::nullopt;
  }

  std::optional<Address> owner() {
    const std::string* v = get("owner");
    if (!v) {
      missing("owner");
      return std::nullopt;
    }
    auto parsed = parse_address(*v);
    if (!parsed) {
      value_error("owner", *v, "Invalid owner address: " + parsed.error().message);
      return std::nullopt;
    }
    return *parsed;
  }

  BlockSpec block() {
    BlockSpec b;
    const std::string* v = get("block");
    if (!v) return b;
    b.input = *v;
    if (*v == "latest") return b;
    if (*v == "safe" || *v == "finalized") {
      b.kind = *v == "safe" ? BlockSpec::Kind::kSafe : BlockSpec::Kind::kFinalized;
      return b;
    }
    if (v->empty() || !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; })) {
      value_error("block", *v, "block must be a block number or one of 'latest', 'safe', 'finalized'");
      return b;
    }
    std::string_view digits = *v;
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    b.kind = BlockSpec::Kind::kNumber;
    if (digits.size() > 19 && (digits.size() > 20 || digits > "18446744073709551615")) {
      b.above_max = true;
      b.number = UINT64_MAX;
    } else {
      b.number = std::stoull(std::string(digits));
    }
    return b;
  }

 private:
  JsonWriter& open(std::string_view type, std::string_view name) {
    failed_ = true;
    w_.begin_object().key("type").string(type).key("loc").begin_array().string("query").string(name).end_array();
    return w_;
  }

  std::vector<std::pair<std::string, std::string>> pairs_;
  JsonWriter w_;
  bool failed_ = false;
};

// A 422 body with one bound error on ["query","block"].
std::string block_bound_error(std::string_view input, bool upper, std::uint64_t limit) {
  QueryErrors e("");
  e.bound("block", std::string(input), upper, limit);
  return e.take();
}
}  // namespace

ChainNames::ChainNames() : ChainNames(std::vector<std::string>{}) {}

ChainNames::ChainNames(const std::vector<std::string>& configured) {
  names_.assign(std::begin(kSpecChains), std::end(kSpecChains));
  for (const auto& n : configured)
    if (std::find(names_.begin(), names_.end(), n) == names_.end()) names_.push_back(n);
  std::sort(names_.begin(), names_.end());
  expected_ = expected_list(names_);
}

bool ChainNames::contains(std::string_view name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

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

BalancesValidation validate_balances_query(std::string_view query, const ChainNames& chains, bool chain_required) {
  QueryErrors e(query);
  BalancesParams params;
  if (chain_required) {
    if (auto c = e.chain(chains)) params.chain = *c;
  }
  if (auto o = e.owner()) params.owner = *o;
  params.block = e.block();
  params.block_given = e.get("block") != nullptr;
  if (auto n = e.integer("transfers_limit", 0, 100000)) params.transfers_limit = static_cast<std::uint32_t>(*n);
  params.reconcile = e.boolean("reconcile").value_or(false);
  if (const std::string* spam = e.get("spam")) {
    if (*spam == "flag") {
      params.spam = SpamMode::kFlag;
    } else if (*spam == "exclude") {
      params.spam = SpamMode::kExclude;
    } else if (*spam != "off") {
      e.choice("spam", *spam, "'flag', 'exclude' or 'off'");
    }
  }
  params.native = e.boolean("native").value_or(false);
  if (e.failed()) return {std::nullopt, e.take()};
  return {std::move(params), {}};
}

TransfersValidation validate_transfers_query(std::string_view query, const ChainNames& chains) {
  QueryErrors e(query);
  TransfersParams params;
  if (auto c = e.chain(chains)) params.chain = *c;
  if (auto o = e.owner()) params.owner = *o;
  if (const std::string* token = e.get("token")) {
    auto parsed = parse_address(*token);
    if (!parsed) {
      e.value_error("token", *token, "Invalid token address: " + parsed.error().message);
    } else {
      params.token = *parsed;
    }
  }
  if (e.get("limit")) {
    if (auto n = e.integer("limit", 1, 1000)) params.limit = static_cast<std::uint32_t>(*n);
  }
  if (const std::string* cursor = e.get("cursor")) {
    params.cursor = decode_cursor(*cursor);
    if (!params.cursor) e.value_error("cursor", *cursor, "Invalid cursor");
  }
  params.block = e.block();
  if (const std::string* format = e.get("format")) {
    if (*format == "csv" || *format == "json") {
      params.csv = *format == "csv";
    } else {
      e.choice("format", *format, "'json' or 'csv'");
    }
  }
  if (e.failed()) return {std::nullopt, e.take()};
  return {std::move(params), {}};
}

std::string encode_cursor(std::uint64_t block_num, std::uint32_t log_index) {
  // Opaque to clients, but a position (never an offset), so rows arriving between pages neither
  // shift nor repeat what a page shows.
  return "c1." + hex::encode_quantity(block_num).substr(2) + "." + hex::encode_quantity(log_index).substr(2);
}

std::optional<std::pair<std::uint64_t, std::uint32_t>> decode_cursor(std::string_view cursor) {
  if (!cursor.starts_with("c1.")) return std::nullopt;
  cursor.remove_prefix(3);
  auto dot = cursor.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto block = hex::decode_quantity("0x" + std::string(cursor.substr(0, dot)));
  auto index = hex::decode_quantity("0x" + std::string(cursor.substr(dot + 1)));
  if (!block || !index || *index > UINT32_MAX) return std::nullopt;
  if (encode_cursor(*block, static_cast<std::uint32_t>(*index)) != "c1." + std::string(cursor)) return std::nullopt;
  return std::pair{*block, static_cast<std::uint32_t>(*index)};
}

std::string block_above_head_error(std::string_view input, std::uint64_t head) {
  return block_bound_error(input, true, head);
}

std::string block_below_start_error(std::string_view input, std::uint64_t start_block) {
  return block_bound_error(input, false, start_block);
}

}  // namespace creditscope::api
