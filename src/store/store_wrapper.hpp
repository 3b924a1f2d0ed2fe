#pragma once
// A Store that forwards every call to another (leveldb's EnvWrapper): a fault-injecting or counting
// store overrides only the calls it is about.

#include "store/store.hpp"

namespace creditscope::store {

/// REQUIRES: target outlives the wrapper. As thread-safe as target.
class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store& target) : t_(target) {}
  Store& target() const { return t_; }

  Result<std::optional<std::uint64_t>> chain_id(const std::string& c) override { return t_.chain_id(c); }
  Result<bool> set_chain_identity(const std::string& c, std::uint64_t id, std::uint64_t tag) override {
    return t_.set_chain_identity(c, id, tag);
  }
  Result<void> add_account(const std::string& c, const Address& a, std::uint64_t s) override { return t_.add_account(c, a, s); }
  Result<std::optional<StoredAccount>> account(const std::string& c, const Address& a) override { return t_.account(c, a); }
  Result<std::vector<StoredAccount>> register_accounts(const std::string& c, const std::vector<Address>& a,
                                                       std::uint64_t s) override {
    return t_.register_accounts(c, a, s);
  }
  Result<std::set<std::pair<Address, Address>>> held_tokens(const std::string& c, const std::vector<Address>& a,
                                                            std::uint64_t up_to) override {
    return t_.held_tokens(c, a, up_to);
  }
  Result<std::vector<Address>> followed_accounts(const std::string& c, const Address& after, std::size_t n) override {
    return t_.followed_accounts(c, after, n);
  }
  Result<std::vector<StoredAccount>> pending_accounts(const std::string& c, std::size_t n) override {
    return t_.pending_accounts(c, n);
  }
  Result<std::uint64_t> account_count(const std::string& c) override { return t_.account_count(c); }
  Result<void> commit(const std::string& c, const SyncStep& step) override { return t_.commit(c, step); }
  Result<std::vector<TokenTransfer>> transfers(const std::string& c, const Address& a, std::uint64_t up_to,
                                               std::optional<TransferCursor> after, std::size_t n) override {
    return t_.transfers(c, a, up_to, after, n);
  }
  Result<std::optional<AccountRecord>> account_record(const std::string& c, const Address& a) override {
    return t_.account_record(c, a);
  }
  Result<std::map<Address, TokenMetadata>> tokens(const std::string& c) override { return t_.tokens(c); }
  Result<std::vector<StoredBalance>> balances(const std::string& c, const Address& a) override { return t_.balances(c, a); }
  Result<std::vector<std::pair<Address, Address>>> balance_pairs(const std::string& c, const std::pair<Address, Address>& after,
                                                                 std::size_t n) override {
    return t_.balance_pairs(c, after, n);
  }
  Result<std::uint64_t> balance_count(const std::string& c) override { return t_.balance_count(c); }
  Result<void> touch_accounts(const std::string& c, const std::vector<Address>& a, std::int64_t at) override {
    return t_.touch_accounts(c, a, at);
  }
  Result<std::vector<Address>> untrack_idle(const std::string& c, std::int64_t cutoff, std::int64_t now,
                                            std::optional<std::uint64_t> epoch) override {
    return t_.untrack_idle(c, cutoff, now, epoch);
  }
  Result<std::vector<std::pair<Address, Address>>> stale_balances(const std::string& c, std::size_t n) override {
    return t_.stale_balances(c, n);
  }
  Result<std::optional<std::uint64_t>> chain_head(const std::string& c) override { return t_.chain_head(c); }
  Result<std::map<std::uint64_t, Hash32>> block_hashes(const std::string& c) override { return t_.block_hashes(c); }
  Result<std::optional<std::uint64_t>> chain_value(const std::string& c, const std::string& k) override {
    return t_.chain_value(c, k);
  }
  Result<void> set_chain_value(const std::string& c, const std::string& k, std::uint64_t v) override {
    return t_.set_chain_value(c, k, v);
  }
  Result<void> rollback_above(const std::string& c, std::uint64_t fork, std::optional<std::uint64_t> epoch) override {
    return t_.rollback_above(c, fork, epoch);
  }
  Result<ChangeMark> change_mark(const std::string& c) override { return t_.change_mark(c); }
  Result<std::vector<Address>> changed_accounts(const std::string& c, std::uint64_t since) override {
    return t_.changed_accounts(c, since);
  }
  Result<std::optional<std::uint64_t>> acquire_lease(const std::string& c, const std::string& h, std::uint64_t ttl) override {
    return t_.acquire_lease(c, h, ttl);
  }
  Result<void> release_lease(const std::string& c, const std::string& h) override { return t_.release_lease(c, h); }
  Result<std::optional<LeaseHolder>> lease_holder(const std::string& c) override { return t_.lease_holder(c); }

 private:
  Store& t_;
};

}  // namespace creditscope::store
