// SQLite implementation of Store: one connection guarded by a mutex, WAL journal, schema
// versioned with PRAGMA user_version.

#include <sqlite3.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>

#include "core/address.hpp"
#include "store/store.hpp"

namespace creditscope::store {
namespace {

// accounts.followed: 0 pending (registered, backfill to run), 1 followed, 2 idle (untracked).
// Each entry upgrades the schema by one version; never edit a shipped entry, append a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta (chain TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (chain, key));
CREATE TABLE accounts (chain TEXT NOT NULL, account BLOB NOT NULL, synced_through INTEGER NOT NULL,
                       PRIMARY KEY (chain, account));
CREATE TABLE transfers (chain TEXT NOT NULL, txn_hash BLOB NOT NULL, log_index INTEGER NOT NULL,
                        block_num INTEGER NOT NULL, block_timestamp INTEGER NOT NULL, token BLOB NOT NULL,
                        from_addr BLOB NOT NULL, to_addr BLOB NOT NULL, amount BLOB NOT NULL,
                        PRIMARY KEY (chain, txn_hash, log_index));
CREATE INDEX transfers_by_from ON transfers (chain, from_addr);
CREATE INDEX transfers_by_to ON transfers (chain, to_addr);
CREATE INDEX transfers_by_block ON transfers (chain, block_num);
CREATE TABLE tokens (chain TEXT NOT NULL, token BLOB NOT NULL, symbol TEXT NOT NULL, decimals INTEGER NOT NULL,
                     PRIMARY KEY (chain, token));
CREATE TABLE balances (chain TEXT NOT NULL, account BLOB NOT NULL, token BLOB NOT NULL, raw BLOB NOT NULL,
                       block_num INTEGER NOT NULL, PRIMARY KEY (chain, account, token));
CREATE TABLE blocks (chain TEXT NOT NULL, block_num INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (chain, block_num));
)sql",
    // 2: followed accounts no longer carry the head in every row (one UPDATE per account per block
    // did not scale); a change counter for replicas; stale balances after a rollback; ordered
    // transfer indexes for range reads; the follower's lease.
    R"sql(
ALTER TABLE accounts ADD COLUMN followed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN changed_seq INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET followed = 1
 WHERE synced_through >= (SELECT value FROM meta m WHERE m.chain = accounts.chain AND m.key = 'head');
CREATE INDEX accounts_by_followed ON accounts (chain, followed, account);
CREATE INDEX accounts_by_change ON accounts (chain, changed_seq);
ALTER TABLE balances ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;
CREATE INDEX balances_stale ON balances (chain, stale);
DROP INDEX transfers_by_from;
DROP INDEX transfers_by_to;
CREATE INDEX transfers_by_from ON transfers (chain, from_addr, block_num, log_index);
CREATE INDEX transfers_by_to ON transfers (chain, to_addr, block_num, log_index);
CREATE TABLE leases (chain TEXT NOT NULL PRIMARY KEY, holder TEXT NOT NULL, epoch INTEGER NOT NULL,
                     expires_ms INTEGER NOT NULL);
)sql",
    // 3: when each account was last asked for ([store] untrack_after_days); 0 = not recorded yet.
    R"sql(
ALTER TABLE accounts ADD COLUMN last_requested INTEGER NOT NULL DEFAULT 0;
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("SQL prepare failed: ") + sqlite3_errmsg(db) + " in " + sql);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::uint64_t v) {
    sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v));
    return *this;
  }
  Statement& bind(int i, ByteView v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  /// true while a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("SQL step failed: ") + sqlite3_errmsg(sqlite3_db_handle(stmt_)));
  }
  Statement& bind_i64(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  void run() {
    step();
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::uint64_t u64(int col) { return static_cast<std::uint64_t>(sqlite3_column_int64(stmt_, col)); }
  std::string text(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string{};
  }
  template <std::size_t N>
  std::array<std::uint8_t, N> fixed(int col) {
    std::array<std::uint8_t, N> out{};
    auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    if (p && sqlite3_column_bytes(stmt_, col) == static_cast<int>(N)) std::copy(p, p + N, out.begin());
    return out;
  }
  Address address(int col) { return Address{fixed<20>(col)}; }
  Hash32 hash(int col) { return Hash32{fixed<32>(col)}; }
  U256 u256(int col) {
    auto w = fixed<32>(col);
    return u256_from_word({w.data(), w.size()});
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// A failure that has its own error code (fencing), thrown inside guarded().
struct StoreError : std::runtime_error {
  StoreError(Errc c, const std::string& m) : std::runtime_error(m), code(c) {}
  Errc code;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override { sqlite3_close(db_); }

  // Runs fn under the lock, turning SQLite failures into errors.
  template <class F>
  auto guarded(F&& fn) -> Result<decltype(fn())> {
    std::lock_guard lock(mutex_);
    try {
      if constexpr (std::is_void_v<decltype(fn())>) {
        fn();
        return {};
      } else {
        return fn();
      }
    } catch (const StoreError& e) {
      exec("ROLLBACK");
      return make_error(e.code, std::string("store: ") + e.what());
    } catch (const std::exception& e) {
      exec("ROLLBACK");
      return make_error(Errc::kUpstream, std::string("store: ") + e.what());
    }
  }

  void exec(const char* sql) { sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }
  void exec_checked(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      throw std::runtime_error(msg);
    }
  }

  std::optional<std::uint64_t> meta(const std::string& chain, const char* key) {
    Statement s(db_, "SELECT value FROM meta WHERE chain = ? AND key = ?");
    s.bind(1, chain).bind(2, std::string(key));
    if (s.step()) return s.u64(0);
    return std::nullopt;
  }
  void set_meta(const std::string& chain, const char* key, std::uint64_t v) {
    Statement s(db_, "INSERT INTO meta (chain, key, value) VALUES (?, ?, ?) ON CONFLICT (chain, key) DO UPDATE SET value = excluded.value");
    s.bind(1, chain).bind(2, std::string(key)).bind(3, v).run();
  }
  // REQUIRES: inside a write transaction. The next change number.
  std::uint64_t bump_seq(const std::string& chain) {
    const std::uint64_t seq = meta(chain, "seq").value_or(0) + 1;
    set_meta(chain, "seq", seq);
    return seq;
  }
  // REQUIRES: inside a write transaction.
  void check_continuity(const std::string& chain, const SyncStep& step) {
    if (step.expected_head && meta(chain, "head").value_or(0) != *step.expected_head)
      throw StoreError(Errc::kFenced, "the stored head of " + chain + " is not " + std::to_string(*step.expected_head) +
                                          " (commits lost?)");
    if (!step.expected_synced_through) return;
    for (const auto& a : step.accounts) {
      auto row = read_account(chain, a);
      if (!row || row->synced_through != *step.expected_synced_through)
        throw StoreError(Errc::kFenced, "the stored cursor of " + to_checksum(a) + " is not " +
                                            std::to_string(*step.expected_synced_through) + " (commits lost?)");
    }
  }

  void check_fence(const std::string& chain, std::optional<std::uint64_t> epoch) {
    if (!epoch) return;
    Statement s(db_, "SELECT epoch FROM leases WHERE chain = ?");
    s.bind(1, chain);
    if (!s.step() || s.u64(0) != *epoch)
      throw StoreError(Errc::kFenced, "the lease of " + chain + " moved past epoch " + std::to_string(*epoch));
  }

  Result<std::optional<std::uint64_t>> chain_id(const std::string& chain) override {
    return guarded([&] { return meta(chain, "chain_id"); });
  }

  Result<bool> set_chain_identity(const std::string& chain, std::uint64_t id, std::uint64_t genesis_tag) override {
    return guarded([&] {
      exec_checked("BEGIN IMMEDIATE");
      auto old_id = meta(chain, "chain_id");
      auto old_tag = meta(chain, "genesis");
      const bool differs = (old_id && *old_id != id) || (old_tag && *old_tag != genesis_tag);
      if (differs) {
        // The lease stays: its epoch must keep growing, or a fenced writer could match again.
        const std::uint64_t seq = meta(chain, "seq").value_or(0) + 1;
        for (const char* table : {"meta", "accounts", "transfers", "tokens", "balances", "blocks"}) {
          std::string sql = std::string("DELETE FROM ") + table + " WHERE chain = ?";
          Statement(db_, sql.c_str()).bind(1, chain).run();
        }
        set_meta(chain, "seq", seq);
        set_meta(chain, "unwind_seq", seq);
      }
      set_meta(chain, "chain_id", id);
      set_meta(chain, "genesis", genesis_tag);
      exec_checked("COMMIT");
      return differs;
    });
  }

  Result<std::optional<std::uint64_t>> chain_value(const std::string& chain, const std::string& key) override {
    return guarded([&] { return meta(chain, ("value:" + key).c_str()); });
  }
  Result<void> set_chain_value(const std::string& chain, const std::string& key, std::uint64_t value) override {
    return guarded([&] { set_meta(chain, ("value:" + key).c_str(), value); });
  }

  // A new account is pending; an idle one (followed = 2) becomes pending again, its cursor kept.
  static constexpr const char* kRegisterAccount =
      "INSERT INTO accounts (chain, account, synced_through) VALUES (?, ?, ?) "
      "ON CONFLICT (chain, account) DO UPDATE SET followed = 0 WHERE followed = 2";

  Result<void> add_account(const std::string& chain, const Address& account, std::uint64_t synced_through) override {
    return guarded([&] {
      Statement(db_, kRegisterAccount).bind(1, chain).bind(2, view(account)).bind(3, synced_through).run();
    });
  }

  Result<std::vector<StoredAccount>> register_accounts(const std::string& chain, const std::vector<Address>& accounts,
                                                       std::uint64_t synced_through) override {
    return guarded([&] {
      exec_checked("BEGIN IMMEDIATE");
      Statement ins(db_, kRegisterAccount);
      for (const auto& a : accounts) ins.bind(1, chain).bind(2, view(a)).bind(3, synced_through).run();
      std::vector<StoredAccount> out;
      for (const auto& a : accounts)
        if (auto row = read_account(chain, a)) out.push_back(*row);
      exec_checked("COMMIT");
      return out;
    });
  }

  Result<std::set<std::pair<Address, Address>>> held_tokens(const std::string& chain, const std::vector<Address>& accounts,
                                                            std::uint64_t up_to) override {
    return guarded([&] {
      std::set<std::pair<Address, Address>> out;
      Statement s(db_,
                  "SELECT DISTINCT token FROM transfers WHERE chain = ?1 AND from_addr = ?2 AND block_num <= ?3 "
                  "UNION SELECT DISTINCT token FROM transfers WHERE chain = ?1 AND to_addr = ?2 AND block_num <= ?3");
      for (const auto& a : accounts) {
        s.bind(1, chain).bind(2, view(a)).bind(3, std::min<std::uint64_t>(up_to, INT64_MAX));
        while (s.step()) out.insert({a, s.address(0)});
        s.reset();
      }
      return out;
    });
  }

  Result<std::vector<Address>> followed_accounts(const std::string& chain, const Address& after,
                                                 std::size_t limit) override {
    return guarded([&] {
      std::vector<Address> out;
      Statement s(db_, "SELECT account FROM accounts WHERE chain = ? AND followed = 1 AND account > ? ORDER BY account LIMIT ?");
      s.bind(1, chain).bind(2, view(after)).bind(3, std::uint64_t{limit});
      while (s.step()) out.push_back(s.address(0));
      return out;
    });
  }

  Result<std::vector<StoredAccount>> pending_accounts(const std::string& chain, std::size_t limit) override {
    return guarded([&] {
      std::vector<StoredAccount> out;
      Statement s(db_, "SELECT account, synced_through FROM accounts WHERE chain = ? AND followed = 0 LIMIT ?");
      s.bind(1, chain).bind(2, std::uint64_t{limit});
      while (s.step()) out.push_back({s.address(0), s.u64(1), false});
      return out;
    });
  }

  Result<std::uint64_t> account_count(const std::string& chain) override {
    return guarded([&] {
      Statement s(db_, "SELECT count(*) FROM accounts WHERE chain = ?");
      s.bind(1, chain);
      s.step();
      return s.u64(0);
    });
  }

  Result<std::optional<StoredAccount>> account(const std::string& chain, const Address& account) override {
    return guarded([&] { return read_account(chain, account); });
  }
  std::optional<StoredAccount> read_account(const std::string& chain, const Address& account) {
    Statement s(db_, "SELECT synced_through, followed FROM accounts WHERE chain = ? AND account = ?");
    s.bind(1, chain).bind(2, view(account));
    if (s.step()) return StoredAccount{account, s.u64(0), s.u64(1) == 1, s.u64(1) == 2};
    return std::nullopt;
  }

  Result<void> commit(const std::string& chain, const SyncStep& step) override {
    return guarded([&] {
      exec_checked("BEGIN IMMEDIATE");
      check_fence(chain, step.lease_epoch);
      check_continuity(chain, step);
      const std::uint64_t seq = bump_seq(chain);
      std::set<Address> touched;
      Statement ins(db_,
                    "INSERT OR IGNORE INTO transfers (chain, txn_hash, log_index, block_num, block_timestamp, token, "
                    "from_addr, to_addr, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      for (const auto& t : step.transfers) {
        auto amount = u256_to_word(t.raw_amount);
        ins.bind(1, chain).bind(2, view(t.txn_hash)).bind(3, std::uint64_t{t.log_index}).bind(4, t.block_num)
            .bind(5, t.block_timestamp).bind(6, view(t.token)).bind(7, view(t.from)).bind(8, view(t.to))
            .bind(9, ByteView(amount.data(), amount.size()))
            .run();
        touched.insert(t.from);
        touched.insert(t.to);
      }
      // followed: 1 when this step makes them followed, else pending (an idle one being resumed too).
      Statement acc(db_, "UPDATE accounts SET synced_through = ?, followed = CASE WHEN ?2 = 1 OR followed = 1 THEN 1 ELSE 0 END "
                         "WHERE chain = ? AND account = ?");
      // (one statement per account: SQLite runs them in-process, no round trips to save)
      for (const auto& a : step.accounts)
        acc.bind(1, step.synced_through).bind(2, std::uint64_t{step.follow}).bind(3, chain).bind(4, view(a)).run();
      if (step.follow) touched.insert(step.accounts.begin(), step.accounts.end());
      if (step.chain_head) set_meta(chain, "head", *step.chain_head);
      Statement blk(db_, "INSERT INTO blocks (chain, block_num, hash) VALUES (?, ?, ?) ON CONFLICT (chain, block_num) DO UPDATE SET hash = excluded.hash");
      for (const auto& [num, hash] : step.block_hashes) blk.bind(1, chain).bind(2, num).bind(3, view(hash)).run();
      if (step.forget_hashes_below)
        Statement(db_, "DELETE FROM blocks WHERE chain = ? AND block_num < ?").bind(1, chain).bind(2, step.forget_hashes_below).run();
      Statement tok(db_, "INSERT OR REPLACE INTO tokens (chain, token, symbol, decimals) VALUES (?, ?, ?, ?)");
      for (const auto& [addr, meta] : step.tokens)
        tok.bind(1, chain).bind(2, view(addr)).bind(3, meta.symbol).bind(4, std::uint64_t{meta.decimals}).run();
      Statement bal(db_, "INSERT OR REPLACE INTO balances (chain, account, token, raw, block_num, stale) VALUES (?, ?, ?, ?, ?, 0)");
      for (const auto& b : step.balances) {
        auto raw = u256_to_word(b.raw);
        bal.bind(1, chain).bind(2, view(b.account)).bind(3, view(b.token)).bind(4, ByteView(raw.data(), raw.size()))
            .bind(5, b.block_num).run();
        touched.insert(b.account);
      }
      // Only rows of tracked accounts match: the other side of a transfer costs one index probe.
      Statement mark(db_, "UPDATE accounts SET changed_seq = ? WHERE chain = ? AND account = ?");
      for (const auto& a : touched) mark.bind(1, seq).bind(2, chain).bind(3, view(a)).run();
      exec_checked("COMMIT");
    });
  }

  std::vector<TokenTransfer> read_transfers(const std::string& chain, const Address& account, std::uint64_t up_to,
                                            std::optional<TransferCursor> after, std::size_t limit) {
    std::vector<TokenTransfer> out;
    // Two ordered index ranges, merged; UNION keeps a self-transfer once.
    Statement s(db_,
                "SELECT txn_hash, log_index, block_num, block_timestamp, token, from_addr, to_addr, amount FROM transfers "
                "WHERE chain = ?1 AND from_addr = ?2 AND block_num <= ?3 AND (block_num > ?4 OR (block_num = ?4 AND log_index > ?5)) "
                "UNION "
                "SELECT txn_hash, log_index, block_num, block_timestamp, token, from_addr, to_addr, amount FROM transfers "
                "WHERE chain = ?1 AND to_addr = ?2 AND block_num <= ?3 AND (block_num > ?4 OR (block_num = ?4 AND log_index > ?5)) "
                "ORDER BY block_num, log_index LIMIT ?6");
    s.bind(1, chain).bind(2, view(account)).bind(3, std::min<std::uint64_t>(up_to, INT64_MAX));
    s.bind_i64(4, after ? static_cast<std::int64_t>(after->first) : -1).bind_i64(5, after ? after->second : -1);
    s.bind_i64(6, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
    while (s.step()) {
      TokenTransfer t;
      t.txn_hash = s.hash(0);
      t.log_index = static_cast<std::uint32_t>(s.u64(1));
      t.block_num = s.u64(2);
      t.block_timestamp = s.u64(3);
      t.token = s.address(4);
      t.from = s.address(5);
      t.to = s.address(6);
      t.raw_amount = s.u256(7);
      out.push_back(t);
    }
    return out;
  }

  Result<std::vector<TokenTransfer>> transfers(const std::string& chain, const Address& account, std::uint64_t up_to_block,
                                               std::optional<TransferCursor> after, std::size_t limit) override {
    return guarded([&] { return read_transfers(chain, account, up_to_block, after, limit); });
  }

  std::vector<StoredBalance> read_balances(const std::string& chain, const Address& account, bool* stale) {
    std::vector<StoredBalance> out;
    Statement s(db_, "SELECT account, token, raw, block_num, stale FROM balances WHERE chain = ? AND account = ?");
    s.bind(1, chain).bind(2, view(account));
    while (s.step()) {
      out.push_back({s.address(0), s.address(1), s.u256(2), s.u64(3)});
      if (stale && s.u64(4)) *stale = true;
    }
    return out;
  }

  Result<std::optional<AccountRecord>> account_record(const std::string& chain, const Address& account) override {
    return guarded([&]() -> std::optional<AccountRecord> {
      auto stored = read_account(chain, account);
      if (!stored) return std::nullopt;
      AccountRecord r;
      r.account = *stored;
      r.head = meta(chain, "head").value_or(0);
      if (!stored->followed) return r;
      r.transfers = read_transfers(chain, account, r.head, std::nullopt, SIZE_MAX);
      r.balances = read_balances(chain, account, &r.stale);
      Statement tok(db_, "SELECT symbol, decimals FROM tokens WHERE chain = ? AND token = ?");
      for (const auto& t : r.transfers) {
        if (r.tokens.count(t.token)) continue;
        tok.bind(1, chain).bind(2, view(t.token));
        if (tok.step()) r.tokens[t.token] = {tok.text(0), static_cast<unsigned>(tok.u64(1))};
        tok.reset();
      }
      return r;
    });
  }

  Result<std::map<Address, TokenMetadata>> tokens(const std::string& chain) override {
    return guarded([&] {
      std::map<Address, TokenMetadata> out;
      Statement s(db_, "SELECT token, symbol, decimals FROM tokens WHERE chain = ?");
      s.bind(1, chain);
      while (s.step()) out[s.address(0)] = {s.text(1), static_cast<unsigned>(s.u64(2))};
      return out;
    });
  }

  Result<std::vector<StoredBalance>> balances(const std::string& chain, const Address& account) override {
    return guarded([&] { return read_balances(chain, account, nullptr); });
  }

  Result<std::vector<std::pair<Address, Address>>> balance_pairs(const std::string& chain,
                                                                 const std::pair<Address, Address>& after,
                                                                 std::size_t limit) override {
    return guarded([&] {
      std::vector<std::pair<Address, Address>> out;
      // Balances of accounts no longer followed are not refreshed (their data is kept as it was).
      Statement s(db_,
                  "SELECT b.account, b.token FROM balances b JOIN accounts a ON a.chain = b.chain AND a.account = b.account "
                  "WHERE b.chain = ?1 AND a.followed = 1 AND (b.account > ?2 OR (b.account = ?2 AND b.token > ?3)) "
                  "ORDER BY b.account, b.token LIMIT ?4");
      s.bind(1, chain).bind(2, view(after.first)).bind(3, view(after.second)).bind(4, std::uint64_t{limit});
      while (s.step()) out.emplace_back(s.address(0), s.address(1));
      return out;
    });
  }

  Result<std::uint64_t> balance_count(const std::string& chain) override {
    return guarded([&] {
      Statement s(db_, "SELECT count(*) FROM balances WHERE chain = ?");
      s.bind(1, chain);
      s.step();
      return s.u64(0);
    });
  }

  Result<std::vector<std::pair<Address, Address>>> stale_balances(const std::string& chain, std::size_t limit) override {
    return guarded([&] {
      std::vector<std::pair<Address, Address>> out;
      Statement s(db_, "SELECT account, token FROM balances WHERE chain = ? AND stale = 1 LIMIT ?");
      s.bind(1, chain).bind(2, std::uint64_t{limit});
      while (s.step()) out.emplace_back(s.address(0), s.address(1));
      return out;
    });
  }

  Result<std::optional<std::uint64_t>> chain_head(const std::string& chain) override {
    return guarded([&] { return meta(chain, "head"); });
  }

  Result<std::map<std::uint64_t, Hash32>> block_hashes(const std::string& chain) override {
    return guarded([&] {
      std::map<std::uint64_t, Hash32> out;
      Statement s(db_, "SELECT block_num, hash FROM blocks WHERE chain = ?");
      s.bind(1, chain);
      while (s.step()) out[s.u64(0)] = s.hash(1);
      return out;
    });
  }

  Result<void> rollback_above(const std::string& chain, std::uint64_t fork_block,
                              std::optional<std::uint64_t> lease_epoch) override {
    return guarded([&] {
      exec_checked("BEGIN IMMEDIATE");
      check_fence(chain, lease_epoch);
      const std::uint64_t seq = bump_seq(chain);
      set_meta(chain, "unwind_seq", seq);
      for (const char* sql : {"DELETE FROM transfers WHERE chain = ? AND block_num > ?",
                              "DELETE FROM blocks WHERE chain = ? AND block_num > ?",
                              "UPDATE balances SET stale = 1 WHERE chain = ? AND block_num > ?",
                              "UPDATE accounts SET synced_through = ?2 WHERE chain = ?1 AND synced_through > ?2",
                              "UPDATE meta SET value = ?2 WHERE chain = ?1 AND key = 'head' AND value > ?2"})
        Statement(db_, sql).bind(1, chain).bind(2, fork_block).run();
      exec_checked("COMMIT");
    });
  }

  Result<void> touch_accounts(const std::string& chain, const std::vector<Address>& accounts, std::int64_t at) override {
    return guarded([&] {
      exec_checked("BEGIN IMMEDIATE");
      Statement s(db_, "UPDATE accounts SET last_requested = max(last_requested, ?1) WHERE chain = ?2 AND account = ?3");
      for (const auto& a : accounts) s.bind_i64(1, at).bind(2, chain).bind(3, view(a)).run();
      exec_checked("COMMIT");
    });
  }

  Result<std::vector<Address>> untrack_idle(const std::string& chain, std::int64_t cutoff, std::int64_t now,
                                            std::optional<std::uint64_t> lease_epoch) override {
    return guarded([&] {
      exec_checked("BEGIN IMMEDIATE");
      check_fence(chain, lease_epoch);
      Statement(db_, "UPDATE accounts SET last_requested = ?1 WHERE chain = ?2 AND last_requested = 0")
          .bind_i64(1, now).bind(2, chain).run();
      const std::uint64_t seq = bump_seq(chain);
      const std::uint64_t head = meta(chain, "head").value_or(0);
      std::vector<Address> out;
      {
        Statement s(db_, "UPDATE accounts SET followed = 2, synced_through = max(synced_through, ?1), changed_seq = ?2 "
                         "WHERE chain = ?3 AND followed = 1 AND last_requested < ?4 RETURNING account");
        s.bind(1, head).bind(2, seq).bind(3, chain).bind_i64(4, cutoff);
        while (s.step()) out.push_back(s.address(0));
      }
      exec_checked("COMMIT");
      return out;
    });
  }

  Result<ChangeMark> change_mark(const std::string& chain) override {
    return guarded([&] {
      return ChangeMark{meta(chain, "seq").value_or(0), meta(chain, "unwind_seq").value_or(0), meta(chain, "head"), 0};
    });
  }

  Result<std::vector<Address>> changed_accounts(const std::string& chain, std::uint64_t since) override {
    return guarded([&] {
      std::vector<Address> out;
      Statement s(db_, "SELECT account FROM accounts WHERE chain = ? AND changed_seq > ?");
      s.bind(1, chain).bind(2, since);
      while (s.step()) out.push_back(s.address(0));
      return out;
    });
  }

  Result<std::optional<std::uint64_t>> acquire_lease(const std::string& chain, const std::string& holder,
                                                     std::uint64_t ttl_ms) override {
    return guarded([&]() -> std::optional<std::uint64_t> {
      exec_checked("BEGIN IMMEDIATE");
      const std::int64_t now = now_ms();
      const std::int64_t until = now + static_cast<std::int64_t>(ttl_ms);
      Statement s(db_, "SELECT holder, epoch, expires_ms FROM leases WHERE chain = ?");
      s.bind(1, chain);
      std::optional<std::uint64_t> epoch;
      if (!s.step()) {
        Statement(db_, "INSERT INTO leases (chain, holder, epoch, expires_ms) VALUES (?, ?, 1, ?)")
            .bind(1, chain).bind(2, holder).bind_i64(3, until).run();
        epoch = 1;
      } else if (s.text(0) == holder || static_cast<std::int64_t>(s.u64(2)) < now) {
        // A takeover bumps the epoch; the same holder renewing keeps it.
        epoch = s.text(0) == holder ? s.u64(1) : s.u64(1) + 1;
        Statement(db_, "UPDATE leases SET holder = ?, epoch = ?, expires_ms = ? WHERE chain = ?")
            .bind(1, holder).bind(2, *epoch).bind_i64(3, until).bind(4, chain).run();
      }
      exec_checked("COMMIT");
      return epoch;
    });
  }

  Result<void> release_lease(const std::string& chain, const std::string& holder) override {
    return guarded([&] {
      Statement(db_, "UPDATE leases SET expires_ms = 0 WHERE chain = ? AND holder = ?").bind(1, chain).bind(2, holder).run();
    });
  }

  Result<std::optional<LeaseHolder>> lease_holder(const std::string& chain) override {
    return guarded([&]() -> std::optional<LeaseHolder> {
      Statement s(db_, "SELECT holder, epoch, expires_ms FROM leases WHERE chain = ?");
      s.bind(1, chain);
      if (!s.step()) return std::nullopt;
      return LeaseHolder{s.text(0), s.u64(1), static_cast<std::int64_t>(s.u64(2)) >= now_ms()};
    });
  }

 private:
  std::mutex mutex_;
  sqlite3* db_;  // guarded by mutex_
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path) {
  std::error_code ec;
  if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir, ec);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(Errc::kInvalidInput, "cannot open store " + path + ": " + msg);
  }
  auto store = std::make_unique<SqliteStore>(db);
  try {
    sqlite3_busy_timeout(db, 5000);
    // WAL: readers never block the writer. synchronous=NORMAL: a commit survives a crash of the
    // process (kill -9) but not always a power loss, which can only take back the last commits; each
    // carries its own synced_through, so the index stays consistent and re-fetches what was lost.
    // FULL would add an fsync to every commit, on the path of every cold answer.
    store->exec_checked("PRAGMA journal_mode = WAL");
    store->exec_checked("PRAGMA synchronous = NORMAL");
    int version = 0;
    {
      Statement s(db, "PRAGMA user_version");
      if (s.step()) version = static_cast<int>(s.u64(0));
    }
    if (version > kSchemaVersion)
      return make_error(Errc::kInvalidInput, "store " + path + " has schema " + std::to_string(version) +
                                                 ", newer than this binary's " + std::to_string(kSchemaVersion));
    if (sqlite3_db_readonly(db, "main") == 1)
      return make_error(Errc::kInvalidInput, "store " + path + " is read-only (file or folder not writable)");
    for (int v = version; v < kSchemaVersion; ++v) {
      store->exec_checked("BEGIN IMMEDIATE");
      store->exec_checked(kMigrations[v]);
      store->exec_checked(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
      store->exec_checked("COMMIT");
    }
    // A write at start-up: a full disk or a file that cannot be written shows now, with the path,
    // instead of as the first commit's failure.
    store->exec_checked("BEGIN IMMEDIATE");
    store->exec_checked(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    store->exec_checked("COMMIT");
  } catch (const std::exception& e) {
    return make_error(Errc::kInvalidInput, "cannot prepare store " + path + ": " + e.what());
  }
  return Result<std::unique_ptr<Store>>(std::move(store));
}

}  // namespace creditscope::store
