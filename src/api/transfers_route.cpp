// GET /v2/credit/transfers: every transfer of an account across its tokens in (block_num,
// log_index) order, in pages behind a position cursor, or all of them as streamed CSV.

#include <algorithm>

#include "api/balances_handler.hpp"
#include "core/address.hpp"
#include "core/hex.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"

namespace creditscope::api {
namespace {
struct Row {
  const TokenHolding* holding;
  const TokenTransfer* transfer;
};

// RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes doubled.
void csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

constexpr std::string_view kCsvHeader =
    "block_number,block_timestamp,transaction_hash,log_index,token_address,token_symbol,direction,from_address,"
    "to_address,amount,amount_formatted\r\n";

// Renders rows a few thousand at a time from the snapshot they point into, so an export holds
// one copy of the data (the snapshot) plus one piece of text.
class CsvStream final : public BodyStream {
 public:
  CsvStream(std::shared_ptr<const AccountSnapshot> snapshot, std::vector<Row> rows)
      : snapshot_(std::move(snapshot)), rows_(std::move(rows)) {}

  std::optional<std::string> next() override {
    if (!header_sent_) {
      header_sent_ = true;
      return std::string(kCsvHeader);
    }
    if (next_ >= rows_.size()) return std::nullopt;
    std::string out;
    const std::size_t end = std::min(rows_.size(), next_ + 2000);
    for (; next_ < end; ++next_) {
      const auto& [h, t] = rows_[next_];
      out += std::to_string(t->block_num) + ',' + format_utc(t->block_timestamp) + ',' + hex::encode(view(t->txn_hash)) +
             ',' + std::to_string(t->log_index) + ',' + to_checksum(h->token) + ',';
      csv_field(out, h->metadata.symbol);
      out += t->to == snapshot_->credit_account ? ",in," : ",out,";
      out += to_checksum(t->from) + ',' + to_checksum(t->to) + ',' + to_decimal(t->raw_amount) + ',' +
             format_units(t->raw_amount, h->metadata.decimals) + "\r\n";
    }
    return out;
  }
  std::chrono::milliseconds idle_wait() const override { return std::chrono::milliseconds(0); }

 private:
  const std::shared_ptr<const AccountSnapshot> snapshot_;
  const std::vector<Row> rows_;
  bool header_sent_ = false;
  std::size_t next_ = 0;
};

bool wants_csv(const ApiRequest& request) {
  const std::string* accept = request.header("accept");
  return accept && accept->find("text/csv") != std::string::npos;
}
}  // namespace

ApiResponse BalancesHandler::transfers(const ApiRequest& request) const {
  chain::ScopedDeadline deadline(std::chrono::steady_clock::now() + options_.deadline);
  auto validated = validate_transfers_query(request.query, names_);
  if (!validated.params) return unprocessable(std::move(validated.error_body));
  const auto& params = *validated.params;
  auto located = locate(params.chain, params.owner, params.block, request.limit_key);
  if (auto* done = std::get_if<ApiResponse>(&located)) return std::move(*done);
  const auto& [r, latest, target] = std::get<Located>(located);
  const AccountAnswer* snapshot = &latest;
  const std::uint64_t up_to = target.block_num;

  std::vector<Row> rows;
  for (const auto& h : snapshot->snapshot->holdings) {
    if (params.token && h.token != *params.token) continue;
    for (const auto& tr : h.transfers)
      if (tr.block_num <= up_to) rows.push_back({&h, &tr});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::pair(a.transfer->block_num, a.transfer->log_index) < std::pair(b.transfer->block_num, b.transfer->log_index);
  });

  ApiResponse response;
  response.headers.emplace_back("X-Block-Number", std::to_string(up_to));
  if (params.csv.value_or(wants_csv(request))) {
    response.content_type = "text/csv; charset=utf-8";
    response.headers.emplace_back("Content-Disposition", "attachment; filename=\"transfers.csv\"");
    response.stream = std::make_shared<CsvStream>(snapshot->snapshot, std::move(rows));
    return response;
  }

  auto begin = rows.begin();
  if (params.cursor)
    begin = std::upper_bound(rows.begin(), rows.end(), *params.cursor, [](const auto& cursor, const Row& row) {
      return cursor < std::pair(row.transfer->block_num, row.transfer->log_index);
    });
  const auto end = rows.end() - begin > params.limit ? begin + params.limit : rows.end();
  const Address& account = snapshot->snapshot->credit_account;
  JsonWriter w;
  w.begin_object().key("credit_account_address").string(to_checksum(account)).key("transfers").begin_array();
  for (auto it = begin; it != end; ++it) {
    const auto& [h, tr] = *it;
    w.begin_object();
    w.key("from_address").string(to_checksum(tr->from));
    w.key("to_address").string(to_checksum(tr->to));
    w.key("amount").string(to_decimal(tr->raw_amount));
    w.key("amount_formatted").string(format_units(tr->raw_amount, h->metadata.decimals));
    w.key("block_number").number(tr->block_num);
    w.key("block_timestamp").string(format_utc(tr->block_timestamp));
    w.key("transaction_hash").string(hex::encode(view(tr->txn_hash)));
    w.key("direction").string(tr->to == account ? "in" : "out");
    w.key("log_index").number(tr->log_index);
    w.key("token_address").string(to_checksum(h->token));
    w.key("token_symbol").string(h->metadata.symbol);
    w.end_object();
  }
  w.end_array().key("next_cursor");
  if (end != rows.end()) {
    const auto* last = (end - 1)->transfer;
    w.string(encode_cursor(last->block_num, last->log_index));
  } else {
    w.null();
  }
  w.end_object();
  response.body = w.take();
  return response;
}

}  // namespace creditscope::api
