#include "indexer/account_view.hpp"

#include <map>

#include "chain/token_metadata.hpp"

namespace creditscope::indexer {

std::shared_ptr<const AccountSnapshot> build_snapshot(const store::AccountRecord& record) {
  auto snap = std::make_shared<AccountSnapshot>();
  snap->credit_account = record.account.account;
  snap->snapshot_block = record.head;
  std::map<Address, TokenHolding> by_token;
  for (const auto& t : record.transfers) {
    auto& h = by_token[t.token];
    h.token = t.token;
    h.transfers.push_back(t);
  }
  std::map<Address, U256> balances;
  for (const auto& b : record.balances) balances[b.token] = b.raw;
  for (auto& [token, h] : by_token) {
    auto meta = record.tokens.find(token);
    h.metadata = meta != record.tokens.end() ? meta->second : TokenMetadata{chain::kUnknownSymbol, 0};
    auto bal = balances.find(token);
    h.balance = bal != balances.end() ? bal->second : U256(0);
    snap->holdings.push_back(std::move(h));
  }
  return snap;
}

}  // namespace creditscope::indexer
