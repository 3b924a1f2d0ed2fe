// SQLite implementation of Store: one connection guarded by a mutex, WAL journal, schema
// versioned with PRAGMA user_version.

#include <sqlite3.h>

#include <filesystem>
#include <mutex>

#include "store/store.hpp"

namespace creditscope::store {
namespace {

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
  void run() {
    step();
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
    } catch (const std::exception& e) {
      exec("ROLLBACK");
      return make_error(Errc::kInternal, std::string("store: ") + e.what());
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
        for (const char* table : {"meta", "accounts", "transfers", "tokens", "balances", "blocks"}) {
          std::string sql = std::string("DELETE FROM ") + table + " WHERE chain = ?";
          Statement(db_, sql.c_str()).bind(1, chain).run();
        }
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

  Result<void> add_account(const std::string& chain, const Address& account, std::uint64_t synced_through) override {
    return guarded([&] {
      Statement(db_, "INSERT OR IGNORE INTO accounts (chain, account, synced_through) VALUES (?, ?, ?)")
          .bind(1, chain).bind(2, view(account)).bind(3, synced_through).run();
    });
  }

  Result<std::vector<StoredAccount>> accounts(const std::string& chain) override {
    return guarded([&] {
      std::vector<StoredAccount> out;
      Statement s(db_, "SELECT account, synced_through FROM accounts WHERE chain = ?");
      s.bind(1, chain);
      while (s.step()) out.push_back({s.address(0), s.u64(1)});
      return out;
    });
  }

  Result<std::optional<StoredAccount>> account(const std::string& chain, const Address& account) override {
    return guarded([&]() -> std::optional<StoredAccount> {
      Statement s(db_, "SELECT synced_through FROM accounts WHERE chain = ? AND account = ?");
      s.bind(1, chain).bind(2, view(account));
      if (s.step()) return StoredAccount{account, s.u64(0)};
      return std::nullopt;
    });
  }

  Result<void> commit(const std::string& chain, const SyncStep& step) override {
    return guarded([&] {
      exec_checked("BEGIN IMMEDIATE");
      Statement ins(db_,
                    "INSERT OR IGNORE INTO transfers (chain, txn_hash, log_index, block_num, block_timestamp, token, "
                    "from_addr, to_addr, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      for (const auto& t : step.transfers) {
        auto amount = u256_to_word(t.raw_amount);
        ins.bind(1, chain).bind(2, view(t.txn_hash)).bind(3, std::uint64_t{t.log_index}).bind(4, t.block_num)
            .bind(5, t.block_timestamp).bind(6, view(t.token)).bind(7, view(t.from)).bind(8, view(t.to))
            .bind(9, ByteView(amount.data(), amount.size()))
            .run();
      }
      Statement acc(db_, "UPDATE accounts SET synced_through = ? WHERE chain = ? AND account = ?");
      for (const auto& a : step.accounts) acc.bind(1, step.synced_through).bind(2, chain).bind(3, view(a)).run();
      if (step.chain_head) set_meta(chain, "head", *step.chain_head);
      Statement blk(db_, "INSERT INTO blocks (chain, block_num, hash) VALUES (?, ?, ?) ON CONFLICT (chain, block_num) DO UPDATE SET hash = excluded.hash");
      for (const auto& [num, hash] : step.block_hashes) blk.bind(1, chain).bind(2, num).bind(3, view(hash)).run();
      if (step.forget_hashes_below)
        Statement(db_, "DELETE FROM blocks WHERE chain = ? AND block_num < ?").bind(1, chain).bind(2, step.forget_hashes_below).run();
      Statement tok(db_, "INSERT OR REPLACE INTO tokens (chain, token, symbol, decimals) VALUES (?, ?, ?, ?)");
      for (const auto& [addr, meta] : step.tokens)
        tok.bind(1, chain).bind(2, view(addr)).bind(3, meta.symbol).bind(4, std::uint64_t{meta.decimals}).run();
      Statement bal(db_, "INSERT OR REPLACE INTO balances (chain, account, token, raw, block_num) VALUES (?, ?, ?, ?, ?)");
      for (const auto& b : step.balances) {
        auto raw = u256_to_word(b.raw);
        bal.bind(1, chain).bind(2, view(b.account)).bind(3, view(b.token)).bind(4, ByteView(raw.data(), raw.size()))
            .bind(5, b.block_num).run();
      }
      exec_checked("COMMIT");
    });
  }

  Result<std::vector<TokenTransfer>> transfers(const std::string& chain, const Address& account) override {
    return guarded([&] {
      std::vector<TokenTransfer> out;
      Statement s(db_,
                  "SELECT txn_hash, log_index, block_num, block_timestamp, token, from_addr, to_addr, amount FROM transfers "
                  "WHERE chain = ?1 AND (from_addr = ?2 OR to_addr = ?2) ORDER BY block_num, log_index");
      s.bind(1, chain).bind(2, view(account));
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
    return guarded([&] {
      std::vector<StoredBalance> out;
      Statement s(db_, "SELECT account, token, raw, block_num FROM balances WHERE chain = ? AND account = ?");
      s.bind(1, chain).bind(2, view(account));
      while (s.step()) out.push_back({s.address(0), s.address(1), s.u256(2), s.u64(3)});
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

  Result<void> rollback_above(const std::string& chain, std::uint64_t fork_block) override {
    return guarded([&] {
      exec_checked("BEGIN IMMEDIATE");
      for (const char* sql : {"DELETE FROM transfers WHERE chain = ? AND block_num > ?",
                              "DELETE FROM blocks WHERE chain = ? AND block_num > ?",
                              "DELETE FROM balances WHERE chain = ? AND block_num > ?",
                              "UPDATE accounts SET synced_through = ?2 WHERE chain = ?1 AND synced_through > ?2",
                              "UPDATE meta SET value = ?2 WHERE chain = ?1 AND key = 'head' AND value > ?2"})
        Statement(db_, sql).bind(1, chain).bind(2, fork_block).run();
      exec_checked("COMMIT");
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
    for (int v = version; v < kSchemaVersion; ++v) {
      store->exec_checked("BEGIN IMMEDIATE");
      store->exec_checked(kMigrations[v]);
      store->exec_checked(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
      store->exec_checked("COMMIT");
    }
  } catch (const std::exception& e) {
    return make_error(Errc::kInvalidInput, "cannot prepare store " + path + ": " + e.what());
  }
  return Result<std::unique_ptr<Store>>(std::move(store));
}

}  // namespace creditscope::store
