// PostgreSQL implementation of Store on libpq (Debian's libpq-dev), chosen over libpqxx because
// the store needs only parameterised statements in binary form, a connection pool and error
// codes; libpq gives those without a second C++ abstraction to learn and ship.
//
// Every call borrows one pooled connection and runs one transaction. Parameters and results are
// binary (int8 in network order, bytea as raw bytes), so nothing is hex-encoded or parsed as text.
// Transfers are inserted many rows per statement, so a backfill's batch is a few round trips.

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <regex>
#include <set>

#include "core/address.hpp"
#include "store/store.hpp"

namespace creditscope::store {
namespace {

constexpr unsigned kInt8 = 20, kBytea = 17, kText = 25;
constexpr std::int64_t kMigrationLock = 0x6372656469747363;  // "creditsc": one migrator at a time
// Set on every new connection, also after a reconnect: the server's notices below warnings stay
// out of our stderr.
constexpr const char* kSessionSettings = "SET client_min_messages = warning";

// Each entry upgrades the schema by one version; never edit a shipped entry, append a new one.
// Version 1 is the SQLite schema at its version 2, in PostgreSQL types.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta (chain TEXT NOT NULL, key TEXT NOT NULL, value BIGINT NOT NULL, PRIMARY KEY (chain, key));
CREATE TABLE accounts (chain TEXT NOT NULL, account BYTEA NOT NULL, synced_through BIGINT NOT NULL,
                       followed BIGINT NOT NULL DEFAULT 0, changed_seq BIGINT NOT NULL DEFAULT 0,
                       PRIMARY KEY (chain, account));
CREATE INDEX accounts_by_followed ON accounts (chain, followed, account);
CREATE INDEX accounts_by_change ON accounts (chain, changed_seq);
CREATE TABLE transfers (chain TEXT NOT NULL, txn_hash BYTEA NOT NULL, log_index BIGINT NOT NULL,
                        block_num BIGINT NOT NULL, block_timestamp BIGINT NOT NULL, token BYTEA NOT NULL,
                        from_addr BYTEA NOT NULL, to_addr BYTEA NOT NULL, amount BYTEA NOT NULL,
                        PRIMARY KEY (chain, txn_hash, log_index));
CREATE INDEX transfers_by_from ON transfers (chain, from_addr, block_num, log_index);
CREATE INDEX transfers_by_to ON transfers (chain, to_addr, block_num, log_index);
CREATE INDEX transfers_by_block ON transfers (chain, block_num);
CREATE TABLE tokens (chain TEXT NOT NULL, token BYTEA NOT NULL, symbol TEXT NOT NULL, decimals BIGINT NOT NULL,
                     PRIMARY KEY (chain, token));
CREATE TABLE balances (chain TEXT NOT NULL, account BYTEA NOT NULL, token BYTEA NOT NULL, raw BYTEA NOT NULL,
                       block_num BIGINT NOT NULL, stale BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (chain, account, token));
CREATE INDEX balances_stale ON balances (chain, stale);
CREATE TABLE blocks (chain TEXT NOT NULL, block_num BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (chain, block_num));
CREATE TABLE leases (chain TEXT NOT NULL PRIMARY KEY, holder TEXT NOT NULL, epoch BIGINT NOT NULL,
                     expires_at TIMESTAMPTZ NOT NULL);
)sql",
    // 2: when each account was last asked for ([store] untrack_after_days); 0 = not recorded yet.
    R"sql(
ALTER TABLE accounts ADD COLUMN last_requested BIGINT NOT NULL DEFAULT 0;
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

struct StoreError : std::runtime_error {
  StoreError(Errc c, const std::string& m) : std::runtime_error(m), code(c) {}
  Errc code;
};

// Binary statement parameters; each keeps its bytes alive until the statement ran.
class Params {
 public:
  Params& add(const std::string& text) { return push(kText, text); }
  Params& add(ByteView bytes) { return push(kBytea, std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size())); }
  Params& add(const Address& a) { return add(view(a)); }
  Params& add(const Hash32& h) { return add(view(h)); }
  Params& add(std::int64_t v) {
    std::string be(8, '\0');
    for (int i = 0; i < 8; ++i) be[static_cast<std::size_t>(i)] = static_cast<char>((static_cast<std::uint64_t>(v) >> (56 - 8 * i)) & 0xff);
    return push(kInt8, be);
  }
  Params& add(std::uint64_t v) { return add(static_cast<std::int64_t>(std::min<std::uint64_t>(v, INT64_MAX))); }
  std::size_t size() const { return values_.size(); }

  PGresult* exec(PGconn* conn, const std::string& sql) const {
    std::vector<const char*> values;
    std::vector<int> lengths, formats(values_.size(), 1);
    for (const auto& v : values_) {
      values.push_back(v.data());
      lengths.push_back(static_cast<int>(v.size()));
    }
    return PQexecParams(conn, sql.c_str(), static_cast<int>(values_.size()), types_.data(), values.data(), lengths.data(),
                        formats.data(), 1);
  }

 private:
  Params& push(unsigned type, std::string bytes) {
    types_.push_back(type);
    values_.push_back(std::move(bytes));
    return *this;
  }
  std::vector<unsigned> types_;
  std::vector<std::string> values_;
};

// One result, read in binary.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r) {}
  ~Rows() { PQclear(r_); }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  int size() const { return PQntuples(r_); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col); }
  std::int64_t i64(int row, int col) const {
    const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col));
    if (PQgetlength(r_, row, col) != 8) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
    return static_cast<std::int64_t>(v);
  }
  std::uint64_t u64(int row, int col) const { return static_cast<std::uint64_t>(i64(row, col)); }
  std::string text(int row, int col) const { return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))); }
  template <std::size_t N>
  std::array<std::uint8_t, N> fixed(int row, int col) const {
    std::array<std::uint8_t, N> out{};
    if (PQgetlength(r_, row, col) == static_cast<int>(N)) std::memcpy(out.data(), PQgetvalue(r_, row, col), N);
    return out;
  }
  Address address(int row, int col) const { return Address{fixed<20>(row, col)}; }
  Hash32 hash(int row, int col) const { return Hash32{fixed<32>(row, col)}; }
  U256 u256(int row, int col) const {
    auto w = fixed<32>(row, col);
    return u256_from_word({w.data(), w.size()});
  }
  bool boolean(int row, int col) const { return PQgetlength(r_, row, col) == 1 && PQgetvalue(r_, row, col)[0] != 0; }

 private:
  PGresult* r_;
};

// A borrowed connection inside one transaction.
class Txn {
 public:
  explicit Txn(PGconn* c) : c_(c) {}
  std::unique_ptr<Rows> run(const std::string& sql, const Params& p) { return check(p.exec(c_, sql)); }
  // Without parameters: may hold several statements (migrations).
  void exec(const char* sql) { check(PQexec(c_, sql)); }

 private:
  std::unique_ptr<Rows> check(PGresult* r) {
    const auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string msg = PQresultErrorMessage(r);
      PQclear(r);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      throw std::runtime_error(msg);
    }
    return std::make_unique<Rows>(r);
  }

  PGconn* c_;
};

std::array<std::uint8_t, 32> word(const U256& v) { return u256_to_word(v); }

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string url, std::vector<PGconn*> conns) : url_(std::move(url)), idle_(std::move(conns)) {
    all_ = idle_;
  }
  ~PostgresStore() override {
    for (auto* c : all_) PQfinish(c);
  }

  // Borrows a connection, runs fn in a transaction and commits; any failure rolls back and is an
  // error value. A broken connection is reset so the next call can succeed.
  template <class F>
  auto tx(F&& fn, const char* begin = "BEGIN") -> Result<decltype(fn(std::declval<Txn&>()))> {
    using T = decltype(fn(std::declval<Txn&>()));
    PGconn* conn = borrow();
    struct Return {
      PostgresStore* self;
      PGconn* conn;
      ~Return() { self->give_back(conn); }
    } give_back_on_exit{this, conn};
    if (PQstatus(conn) != CONNECTION_OK && !reconnect(conn))
      return make_error(Errc::kUpstream, "store: cannot reach PostgreSQL at " + redact_url(url_) + ": " + trimmed(PQerrorMessage(conn)));
    Txn t(conn);
    try {
      try {
        t.exec(begin);
      } catch (const std::exception&) {
        // The server closed the connection while it was idle (a restart, a failover, an idle
        // timeout): nothing has run, so reconnect once and begin again instead of failing the
        // call. Otherwise every pooled connection costs one failed call after a restart.
        if (PQstatus(conn) != CONNECTION_BAD || !reconnect(conn)) throw;
        t.exec(begin);
      }
      if constexpr (std::is_void_v<T>) {
        fn(t);
        t.exec("COMMIT");
        return {};
      } else {
        T out = fn(t);
        t.exec("COMMIT");
        return out;
      }
    } catch (const StoreError& e) {
      rollback(conn);
      return make_error(e.code, std::string("store: ") + e.what());
    } catch (const std::exception& e) {
      rollback(conn);
      return make_error(Errc::kUpstream, std::string("store: ") + e.what());
    }
  }

  Result<std::optional<std::uint64_t>> chain_id(const std::string& chain) override {
    return tx([&](Txn& t) { return meta(t, chain, "chain_id"); });
  }

  Result<bool> set_chain_identity(const std::string& chain, std::uint64_t id, std::uint64_t genesis_tag) override {
    return tx([&](Txn& t) {
      lock_chain(t, chain);
      auto old_id = meta(t, chain, "chain_id");
      auto old_tag = meta(t, chain, "genesis");
      const bool differs = (old_id && *old_id != id) || (old_tag && *old_tag != genesis_tag);
      if (differs) {
        const std::uint64_t seq = meta(t, chain, "seq").value_or(0) + 1;
        for (const char* table : {"meta", "accounts", "transfers", "tokens", "balances", "blocks"})
          t.run(std::string("DELETE FROM ") + table + " WHERE chain = $1", Params().add(chain));
        set_meta(t, chain, "seq", seq);
        set_meta(t, chain, "unwind_seq", seq);
      }
      set_meta(t, chain, "chain_id", id);
      set_meta(t, chain, "genesis", genesis_tag);
      return differs;
    });
  }

  Result<std::optional<std::uint64_t>> chain_value(const std::string& chain, const std::string& key) override {
    return tx([&](Txn& t) { return meta(t, chain, "value:" + key); });
  }
  Result<void> set_chain_value(const std::string& chain, const std::string& key, std::uint64_t value) override {
    return tx([&](Txn& t) { set_meta(t, chain, "value:" + key, value); });
  }

  Result<void> add_account(const std::string& chain, const Address& account, std::uint64_t synced_through) override {
    return tx([&](Txn& t) {
      // An idle account (followed = 2) becomes pending again.
      t.run("INSERT INTO accounts (chain, account, synced_through) VALUES ($1, $2, $3) ON CONFLICT (chain, account) "
            "DO UPDATE SET followed = 0 WHERE accounts.followed = 2",
            Params().add(chain).add(account).add(synced_through));
    });
  }

  Result<std::optional<StoredAccount>> account(const std::string& chain, const Address& account) override {
    return tx([&](Txn& t) { return read_account(t, chain, account); });
  }

  Result<std::vector<StoredAccount>> register_accounts(const std::string& chain, const std::vector<Address>& accounts,
                                                       std::uint64_t synced_through) override {
    return tx([&](Txn& t) {
      std::vector<StoredAccount> out;
      in_chunks(chain, accounts, [&](Params& p, const std::vector<std::string>& slots) {
        p.add(synced_through);
        const std::string through = "$" + std::to_string(p.size());
        std::string values;
        for (const auto& slot : slots) values += (values.empty() ? "($1, " : ", ($1, ") + slot + ", " + through + ")";
        t.run("INSERT INTO accounts (chain, account, synced_through) VALUES " + values +
                  " ON CONFLICT (chain, account) DO UPDATE SET followed = 0 WHERE accounts.followed = 2",
              p);
      });
      in_chunks(chain, accounts, [&](Params& p, const std::vector<std::string>& slots) {
        auto rows = t.run("SELECT account, synced_through, followed FROM accounts WHERE chain = $1 AND account IN (" +
                              join(slots) + ")",
                          p);
        for (int i = 0; i < rows->size(); ++i)
          out.push_back({rows->address(i, 0), rows->u64(i, 1), rows->u64(i, 2) == 1, rows->u64(i, 2) == 2});
      });
      return out;
    });
  }

  Result<std::set<std::pair<Address, Address>>> held_tokens(const std::string& chain, const std::vector<Address>& accounts,
                                                            std::uint64_t up_to) override {
    return tx([&](Txn& t) {
      std::set<std::pair<Address, Address>> out;
      for (const std::string side : {"from_addr", "to_addr"})
        in_chunks(chain, accounts, [&](Params& p, const std::vector<std::string>& slots) {
          p.add(up_to);
          auto rows = t.run("SELECT DISTINCT " + side + ", token FROM transfers WHERE chain = $1 AND " + side + " IN (" +
                                join(slots) + ") AND block_num <= $" + std::to_string(p.size()),
                            p);
          for (int i = 0; i < rows->size(); ++i) out.insert({rows->address(i, 0), rows->address(i, 1)});
        });
      return out;
    });
  }

  Result<std::vector<Address>> followed_accounts(const std::string& chain, const Address& after, std::size_t limit) override {
    return tx([&](Txn& t) {
      auto rows = t.run("SELECT account FROM accounts WHERE chain = $1 AND followed = 1 AND account > $2 ORDER BY account LIMIT $3",
                        Params().add(chain).add(after).add(std::uint64_t{limit}));
      std::vector<Address> out;
      for (int i = 0; i < rows->size(); ++i) out.push_back(rows->address(i, 0));
      return out;
    });
  }

  Result<std::vector<StoredAccount>> pending_accounts(const std::string& chain, std::size_t limit) override {
    return tx([&](Txn& t) {
      auto rows = t.run("SELECT account, synced_through FROM accounts WHERE chain = $1 AND followed = 0 LIMIT $2",
                        Params().add(chain).add(std::uint64_t{limit}));
      std::vector<StoredAccount> out;
      for (int i = 0; i < rows->size(); ++i) out.push_back({rows->address(i, 0), rows->u64(i, 1), false});
      return out;
    });
  }

  Result<std::uint64_t> account_count(const std::string& chain) override {
    return tx([&](Txn& t) { return t.run("SELECT count(*) FROM accounts WHERE chain = $1", Params().add(chain))->u64(0, 0); });
  }

  Result<void> commit(const std::string& chain, const SyncStep& step) override {
    return tx([&](Txn& t) {
      check_fence(t, chain, step.lease_epoch);
      const std::uint64_t seq = bump_seq(t, chain);  // locks the chain: the checks below hold until commit
      check_continuity(t, chain, step);
      std::set<Address> touched;
      // Many rows per statement: one round trip per kRowsPerInsert transfers.
      constexpr std::size_t kRowsPerInsert = 500;
      for (std::size_t i = 0; i < step.transfers.size(); i += kRowsPerInsert) {
        const std::size_t n = std::min(kRowsPerInsert, step.transfers.size() - i);
        std::string sql =
            "INSERT INTO transfers (chain, txn_hash, log_index, block_num, block_timestamp, token, from_addr, to_addr, "
            "amount) VALUES ";
        Params p;
        p.add(chain);
        for (std::size_t k = 0; k < n; ++k) {
          const auto& tr = step.transfers[i + k];
          const std::size_t base = p.size();
          sql += k ? ",($1" : "($1";
          for (std::size_t c = 1; c <= 8; ++c) sql += ",$" + std::to_string(base + c);
          sql += ")";
          auto amount = word(tr.raw_amount);
          p.add(tr.txn_hash).add(std::uint64_t{tr.log_index}).add(tr.block_num).add(tr.block_timestamp).add(tr.token)
              .add(tr.from).add(tr.to).add(ByteView(amount.data(), amount.size()));
          touched.insert(tr.from);
          touched.insert(tr.to);
        }
        t.run(sql + " ON CONFLICT DO NOTHING", p);
      }
      in_chunks(chain, step.accounts, [&](Params& p, const std::vector<std::string>& slots) {
        p.add(step.synced_through).add(std::uint64_t{step.follow});
        const std::size_t n = p.size();
        // followed: 1 when this step makes them followed, else pending (an idle one being resumed too).
        t.run("UPDATE accounts SET synced_through = $" + std::to_string(n - 1) + ", followed = CASE WHEN $" +
                  std::to_string(n) + " = 1 OR followed = 1 THEN 1 ELSE 0 END WHERE chain = $1 AND account IN (" +
                  join(slots) + ")",
              p);
      });
      if (step.follow) touched.insert(step.accounts.begin(), step.accounts.end());
      if (step.chain_head) set_meta(t, chain, "head", *step.chain_head);
      for (const auto& [num, hash] : step.block_hashes)
        t.run("INSERT INTO blocks (chain, block_num, hash) VALUES ($1, $2, $3) "
              "ON CONFLICT (chain, block_num) DO UPDATE SET hash = excluded.hash",
              Params().add(chain).add(num).add(hash));
      if (step.forget_hashes_below)
        t.run("DELETE FROM blocks WHERE chain = $1 AND block_num < $2", Params().add(chain).add(step.forget_hashes_below));
      for (const auto& [addr, m] : step.tokens)
        t.run("INSERT INTO tokens (chain, token, symbol, decimals) VALUES ($1, $2, $3, $4) "
              "ON CONFLICT (chain, token) DO UPDATE SET symbol = excluded.symbol, decimals = excluded.decimals",
              Params().add(chain).add(addr).add(m.symbol).add(std::uint64_t{m.decimals}));
      for (const auto& b : step.balances) {
        auto raw = word(b.raw);
        t.run("INSERT INTO balances (chain, account, token, raw, block_num, stale) VALUES ($1, $2, $3, $4, $5, 0) "
              "ON CONFLICT (chain, account, token) DO UPDATE SET raw = excluded.raw, block_num = excluded.block_num, stale = 0",
              Params().add(chain).add(b.account).add(b.token).add(ByteView(raw.data(), raw.size())).add(b.block_num));
        touched.insert(b.account);
      }
      // A statement per 1,000 touched addresses; only rows of tracked accounts match.
      in_chunks(chain, std::vector<Address>(touched.begin(), touched.end()), [&](Params& p, const std::vector<std::string>& slots) {
        p.add(seq);
        t.run("UPDATE accounts SET changed_seq = $" + std::to_string(p.size()) + " WHERE chain = $1 AND account IN (" +
                  join(slots) + ")",
              p);
      });
    });
  }

  Result<std::vector<TokenTransfer>> transfers(const std::string& chain, const Address& account, std::uint64_t up_to_block,
                                               std::optional<TransferCursor> after, std::size_t limit) override {
    return tx([&](Txn& t) { return read_transfers(t, chain, account, up_to_block, after, limit); });
  }

  Result<std::optional<AccountRecord>> account_record(const std::string& chain, const Address& account) override {
    // REPEATABLE READ: the account, its transfers and balances come from one snapshot of the database.
    return tx(
        [&](Txn& t) -> std::optional<AccountRecord> {
          auto stored = read_account(t, chain, account);
          if (!stored) return std::nullopt;
          AccountRecord r;
          r.account = *stored;
          r.head = meta(t, chain, "head").value_or(0);
          if (!stored->followed) return r;
          r.transfers = read_transfers(t, chain, account, r.head, std::nullopt, SIZE_MAX);
          r.balances = read_balances(t, chain, account, &r.stale);
          auto rows = t.run(
              "SELECT token, symbol, decimals FROM tokens WHERE chain = $1 AND token IN "
              "(SELECT token FROM transfers WHERE chain = $1 AND from_addr = $2 UNION SELECT token FROM transfers WHERE chain = $1 AND to_addr = $2)",
              Params().add(chain).add(account));
          for (int i = 0; i < rows->size(); ++i)
            r.tokens[rows->address(i, 0)] = {rows->text(i, 1), static_cast<unsigned>(rows->u64(i, 2))};
          return r;
        },
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }

  Result<std::map<Address, TokenMetadata>> tokens(const std::string& chain) override {
    return tx([&](Txn& t) {
      auto rows = t.run("SELECT token, symbol, decimals FROM tokens WHERE chain = $1", Params().add(chain));
      std::map<Address, TokenMetadata> out;
      for (int i = 0; i < rows->size(); ++i) out[rows->address(i, 0)] = {rows->text(i, 1), static_cast<unsigned>(rows->u64(i, 2))};
      return out;
    });
  }

  Result<std::vector<StoredBalance>> balances(const std::string& chain, const Address& account) override {
    return tx([&](Txn& t) { return read_balances(t, chain, account, nullptr); });
  }

  Result<std::vector<std::pair<Address, Address>>> balance_pairs(const std::string& chain,
                                                                 const std::pair<Address, Address>& after,
                                                                 std::size_t limit) override {
    return tx([&](Txn& t) {
      // Balances of accounts no longer followed are not refreshed (their data is kept as it was).
      auto rows = t.run("SELECT b.account, b.token FROM balances b JOIN accounts a ON a.chain = b.chain AND a.account = b.account "
                        "WHERE b.chain = $1 AND a.followed = 1 AND (b.account, b.token) > ($2, $3) "
                        "ORDER BY b.account, b.token LIMIT $4",
                        Params().add(chain).add(after.first).add(after.second).add(std::uint64_t{limit}));
      std::vector<std::pair<Address, Address>> out;
      for (int i = 0; i < rows->size(); ++i) out.emplace_back(rows->address(i, 0), rows->address(i, 1));
      return out;
    });
  }

  Result<std::uint64_t> balance_count(const std::string& chain) override {
    return tx([&](Txn& t) { return t.run("SELECT count(*) FROM balances WHERE chain = $1", Params().add(chain))->u64(0, 0); });
  }

  Result<std::vector<std::pair<Address, Address>>> stale_balances(const std::string& chain, std::size_t limit) override {
    return tx([&](Txn& t) {
      auto rows = t.run("SELECT account, token FROM balances WHERE chain = $1 AND stale = 1 LIMIT $2",
                        Params().add(chain).add(std::uint64_t{limit}));
      std::vector<std::pair<Address, Address>> out;
      for (int i = 0; i < rows->size(); ++i) out.emplace_back(rows->address(i, 0), rows->address(i, 1));
      return out;
    });
  }

  Result<std::optional<std::uint64_t>> chain_head(const std::string& chain) override {
    return tx([&](Txn& t) { return meta(t, chain, "head"); });
  }

  Result<std::map<std::uint64_t, Hash32>> block_hashes(const std::string& chain) override {
    return tx([&](Txn& t) {
      auto rows = t.run("SELECT block_num, hash FROM blocks WHERE chain = $1", Params().add(chain));
      std::map<std::uint64_t, Hash32> out;
      for (int i = 0; i < rows->size(); ++i) out[rows->u64(i, 0)] = rows->hash(i, 1);
      return out;
    });
  }

  Result<void> rollback_above(const std::string& chain, std::uint64_t fork_block,
                              std::optional<std::uint64_t> lease_epoch) override {
    return tx([&](Txn& t) {
      check_fence(t, chain, lease_epoch);
      const std::uint64_t seq = bump_seq(t, chain);
      set_meta(t, chain, "unwind_seq", seq);
      for (const char* sql : {"DELETE FROM transfers WHERE chain = $1 AND block_num > $2",
                              "DELETE FROM blocks WHERE chain = $1 AND block_num > $2",
                              "UPDATE balances SET stale = 1 WHERE chain = $1 AND block_num > $2",
                              "UPDATE accounts SET synced_through = $2 WHERE chain = $1 AND synced_through > $2",
                              "UPDATE meta SET value = $2 WHERE chain = $1 AND key = 'head' AND value > $2"})
        t.run(sql, Params().add(chain).add(fork_block));
    });
  }

  Result<void> touch_accounts(const std::string& chain, const std::vector<Address>& accounts, std::int64_t at) override {
    return tx([&](Txn& t) {
      for (const auto& a : accounts)
        t.run("UPDATE accounts SET last_requested = GREATEST(last_requested, $1) WHERE chain = $2 AND account = $3",
              Params().add(at).add(chain).add(a));
    });
  }

  Result<std::vector<Address>> untrack_idle(const std::string& chain, std::int64_t cutoff, std::int64_t now,
                                            std::optional<std::uint64_t> lease_epoch) override {
    return tx([&](Txn& t) {
      check_fence(t, chain, lease_epoch);
      t.run("UPDATE accounts SET last_requested = $1 WHERE chain = $2 AND last_requested = 0", Params().add(now).add(chain));
      // One statement that says what it changed: a touch committed meanwhile cannot split the two.
      const std::uint64_t seq = bump_seq(t, chain);
      const std::uint64_t head = meta(t, chain, "head").value_or(0);
      auto rows = t.run("UPDATE accounts SET followed = 2, synced_through = GREATEST(synced_through, $1), changed_seq = $2 "
                        "WHERE chain = $3 AND followed = 1 AND last_requested < $4 RETURNING account",
                        Params().add(head).add(seq).add(chain).add(cutoff));
      std::vector<Address> out;
      for (int i = 0; i < rows->size(); ++i) out.push_back(rows->address(i, 0));
      return out;
    });
  }

  Result<ChangeMark> change_mark(const std::string& chain) override {
    return tx([&](Txn& t) {
      auto rows = t.run("SELECT key, value FROM meta WHERE chain = $1 AND key IN ('seq', 'unwind_seq', 'head') "
                        "UNION ALL SELECT 'incarnation', (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint",
                        Params().add(chain));
      ChangeMark m;
      for (int i = 0; i < rows->size(); ++i) {
        const std::string key = rows->text(i, 0);
        (key == "seq" ? m.seq : key == "unwind_seq" ? m.unwind_seq : key == "incarnation" ? m.incarnation : m.head.emplace()) =
            rows->u64(i, 1);
      }
      return m;
    });
  }

  Result<std::vector<Address>> changed_accounts(const std::string& chain, std::uint64_t since) override {
    return tx([&](Txn& t) {
      auto rows = t.run("SELECT account FROM accounts WHERE chain = $1 AND changed_seq > $2", Params().add(chain).add(since));
      std::vector<Address> out;
      for (int i = 0; i < rows->size(); ++i) out.push_back(rows->address(i, 0));
      return out;
    });
  }

  Result<std::optional<std::uint64_t>> acquire_lease(const std::string& chain, const std::string& holder,
                                                     std::uint64_t ttl_ms) override {
    return tx([&](Txn& t) -> std::optional<std::uint64_t> {
      t.run("INSERT INTO leases (chain, holder, epoch, expires_at) VALUES ($1, '', 0, 'epoch') ON CONFLICT DO NOTHING",
            Params().add(chain));
      // The row lock orders this against commits that check the fence (FOR SHARE).
      auto rows = t.run("SELECT holder, epoch, expires_at < clock_timestamp() FROM leases WHERE chain = $1 FOR UPDATE",
                        Params().add(chain));
      const std::string current = rows->text(0, 0);
      const bool expired = rows->boolean(0, 2);
      if (current != holder && !expired) return std::nullopt;
      const std::uint64_t epoch = current == holder ? rows->u64(0, 1) : rows->u64(0, 1) + 1;
      t.run("UPDATE leases SET holder = $1, epoch = $2, expires_at = clock_timestamp() + $3 * interval '1 millisecond' "
            "WHERE chain = $4",
            Params().add(holder).add(epoch).add(ttl_ms).add(chain));
      return epoch;
    });
  }

  Result<void> release_lease(const std::string& chain, const std::string& holder) override {
    return tx([&](Txn& t) {
      t.run("UPDATE leases SET expires_at = 'epoch' WHERE chain = $1 AND holder = $2", Params().add(chain).add(holder));
    });
  }

  Result<std::optional<LeaseHolder>> lease_holder(const std::string& chain) override {
    return tx([&](Txn& t) -> std::optional<LeaseHolder> {
      auto rows = t.run("SELECT holder, epoch, expires_at >= clock_timestamp() FROM leases WHERE chain = $1", Params().add(chain));
      if (!rows->size() || rows->text(0, 0).empty()) return std::nullopt;
      return LeaseHolder{rows->text(0, 0), rows->u64(0, 1), rows->boolean(0, 2)};
    });
  }

 private:
  // Calls fn(params, slots) per chunk of up to kListChunk accounts: params holds the chain as $1 and
  // the chunk's addresses, slots their placeholders ("$2", "$3", ...); fn may add more parameters.
  template <class F>
  static void in_chunks(const std::string& chain, const std::vector<Address>& accounts, F&& fn) {
    constexpr std::size_t kListChunk = 1000;
    for (std::size_t i = 0; i < accounts.size(); i += kListChunk) {
      Params p;
      p.add(chain);
      std::vector<std::string> slots;
      for (std::size_t k = i; k < std::min(accounts.size(), i + kListChunk); ++k) {
        p.add(accounts[k]);
        slots.push_back("$" + std::to_string(p.size()));
      }
      fn(p, slots);
    }
  }
  static std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : ",") + part;
    return out;
  }
  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  // PQreset, and the session settings open_postgres made. False when the server cannot be reached.
  static bool reconnect(PGconn* conn) {
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) return false;
    PQclear(PQexec(conn, kSessionSettings));
    return true;
  }
  static void rollback(PGconn* conn) {
    if (PQstatus(conn) == CONNECTION_OK) PQclear(PQexec(conn, "ROLLBACK"));
  }

  static std::optional<std::uint64_t> meta(Txn& t, const std::string& chain, const std::string& key) {
    auto rows = t.run("SELECT value FROM meta WHERE chain = $1 AND key = $2", Params().add(chain).add(key));
    if (!rows->size()) return std::nullopt;
    return rows->u64(0, 0);
  }
  static void set_meta(Txn& t, const std::string& chain, const std::string& key, std::uint64_t v) {
    t.run("INSERT INTO meta (chain, key, value) VALUES ($1, $2, $3) ON CONFLICT (chain, key) DO UPDATE SET value = excluded.value",
          Params().add(chain).add(key).add(v));
  }
  // Serialises writers of one chain (two replicas committing at once would race on the seq row).
  static void lock_chain(Txn& t, const std::string& chain) {
    t.run("SELECT pg_advisory_xact_lock(hashtext($1))", Params().add(chain));
  }
  static std::uint64_t bump_seq(Txn& t, const std::string& chain) {
    lock_chain(t, chain);
    const std::uint64_t seq = meta(t, chain, "seq").value_or(0) + 1;
    set_meta(t, chain, "seq", seq);
    return seq;
  }
  static void check_continuity(Txn& t, const std::string& chain, const SyncStep& step) {
    if (step.expected_head && meta(t, chain, "head").value_or(0) != *step.expected_head)
      throw StoreError(Errc::kFenced, "the stored head of " + chain + " is not " + std::to_string(*step.expected_head) +
                                          " (commits lost?)");
    if (!step.expected_synced_through) return;
    for (const auto& a : step.accounts) {
      auto row = read_account(t, chain, a);
      if (!row || row->synced_through != *step.expected_synced_through)
        throw StoreError(Errc::kFenced, "the stored cursor of " + to_checksum(a) + " is not " +
                                            std::to_string(*step.expected_synced_through) + " (commits lost?)");
    }
  }

  static void check_fence(Txn& t, const std::string& chain, std::optional<std::uint64_t> epoch) {
    if (!epoch) return;
    // FOR SHARE: a takeover (FOR UPDATE) waits until this commit is done, and a commit after a
    // takeover sees the new epoch.
    auto rows = t.run("SELECT epoch FROM leases WHERE chain = $1 FOR SHARE", Params().add(chain));
    if (!rows->size() || rows->u64(0, 0) != *epoch)
      throw StoreError(Errc::kFenced, "the lease of " + chain + " moved past epoch " + std::to_string(*epoch));
  }
  static std::optional<StoredAccount> read_account(Txn& t, const std::string& chain, const Address& account) {
    auto rows = t.run("SELECT synced_through, followed FROM accounts WHERE chain = $1 AND account = $2",
                      Params().add(chain).add(account));
    if (!rows->size()) return std::nullopt;
    return StoredAccount{account, rows->u64(0, 0), rows->u64(0, 1) == 1, rows->u64(0, 1) == 2};
  }
  static std::vector<TokenTransfer> read_transfers(Txn& t, const std::string& chain, const Address& account,
                                                   std::uint64_t up_to, std::optional<TransferCursor> after,
                                                   std::size_t limit) {
    Params p;
    p.add(chain).add(account).add(up_to).add(after ? static_cast<std::int64_t>(after->first) : std::int64_t{-1});
    p.add(after ? std::int64_t{after->second} : std::int64_t{-1}).add(static_cast<std::uint64_t>(limit));
    // Two ordered index ranges, merged; UNION keeps a self-transfer once.
    auto rows = t.run(
        "SELECT txn_hash, log_index, block_num, block_timestamp, token, from_addr, to_addr, amount FROM transfers "
        "WHERE chain = $1 AND from_addr = $2 AND block_num <= $3 AND (block_num, log_index) > ($4, $5) "
        "UNION "
        "SELECT txn_hash, log_index, block_num, block_timestamp, token, from_addr, to_addr, amount FROM transfers "
        "WHERE chain = $1 AND to_addr = $2 AND block_num <= $3 AND (block_num, log_index) > ($4, $5) "
        "ORDER BY block_num, log_index LIMIT $6",
        p);
    std::vector<TokenTransfer> out;
    out.reserve(static_cast<std::size_t>(rows->size()));
    for (int i = 0; i < rows->size(); ++i) {
      TokenTransfer tr;
      tr.txn_hash = rows->hash(i, 0);
      tr.log_index = static_cast<std::uint32_t>(rows->u64(i, 1));
      tr.block_num = rows->u64(i, 2);
      tr.block_timestamp = rows->u64(i, 3);
      tr.token = rows->address(i, 4);
      tr.from = rows->address(i, 5);
      tr.to = rows->address(i, 6);
      tr.raw_amount = rows->u256(i, 7);
      out.push_back(tr);
    }
    return out;
  }
  static std::vector<StoredBalance> read_balances(Txn& t, const std::string& chain, const Address& account, bool* stale) {
    auto rows = t.run("SELECT account, token, raw, block_num, stale FROM balances WHERE chain = $1 AND account = $2",
                      Params().add(chain).add(account));
    std::vector<StoredBalance> out;
    for (int i = 0; i < rows->size(); ++i) {
      out.push_back({rows->address(i, 0), rows->address(i, 1), rows->u256(i, 2), rows->u64(i, 3)});
      if (stale && rows->u64(i, 4)) *stale = true;
    }
    return out;
  }

  PGconn* borrow() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return !idle_.empty(); });
    PGconn* c = idle_.back();
    idle_.pop_back();
    return c;
  }
  void give_back(PGconn* c) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(c);
    }
    cv_.notify_one();
  }

  const std::string url_;
  std::vector<PGconn*> all_;  // constant after construction
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<PGconn*> idle_;  // guarded by mutex_
};

}  // namespace

std::string redact_url(const std::string& url) {
  // postgresql://user:password@host -> postgresql://user:***@host; also password=... in key/value form.
  static const std::regex in_url(R"(^([a-z]+://[^:/@]*):[^@]*@)");
  static const std::regex in_keywords(R"((password\s*=\s*)('[^']*'|\S+))");
  std::string out = std::regex_replace(url, in_url, "$1:***@");
  return std::regex_replace(out, in_keywords, "$1***");
}

namespace {
// Connects with bounds that the URL may override (its parameters come later, so they win):
// connect_timeout, because a host that drops packets would hold this call and every later
// PQreset for the kernel's SYN retries (about 2 minutes); TCP keepalives and tcp_user_timeout,
// so a query on a connection to a host that vanished fails in seconds instead of after the TCP
// retransmission timeout (about 15 minutes). Either wait would hold a pooled connection and the
// requests queued behind it far beyond their deadlines.
PGconn* connect_bounded(const std::string& url) {
  static const char* const keys[] = {"connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
                                     "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
  const char* const values[] = {"5", "1", "10", "5", "3", "10000", url.c_str(), nullptr};
  return PQconnectdbParams(keys, values, /*expand_dbname=*/1);
}
}  // namespace

Result<std::unique_ptr<Store>> open_postgres(const std::string& url, std::size_t connections) {
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &err);
  if (!parsed) {
    std::string msg = err ? err : "malformed";
    PQfreemem(err);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return make_error(Errc::kInvalidInput, "store.url " + redact_url(url) + " is not a PostgreSQL URL: " + msg);
  }
  PQconninfoFree(parsed);
  std::vector<PGconn*> conns;
  auto fail = [&](Errc code, const std::string& msg) -> Result<std::unique_ptr<Store>> {
    for (auto* c : conns) PQfinish(c);
    return make_error(code, msg);
  };
  for (std::size_t i = 0; i < std::max<std::size_t>(1, connections); ++i) {
    PGconn* c = connect_bounded(url);
    conns.push_back(c);
    if (PQstatus(c) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(c);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return fail(Errc::kUpstream, "cannot connect to PostgreSQL at " + redact_url(url) + ": " + msg);
    }
    PQclear(PQexec(c, kSessionSettings));
  }
  try {
    Txn t(conns.front());
    t.run("SELECT pg_advisory_lock($1)", Params().add(kMigrationLock));
    struct Unlock {
      PGconn* c;
      ~Unlock() { PQclear(PQexec(c, "SELECT pg_advisory_unlock_all()")); }
    } unlock{conns.front()};
    t.exec("CREATE TABLE IF NOT EXISTS creditscope_schema (version BIGINT NOT NULL)");
    auto rows = t.run("SELECT version FROM creditscope_schema", Params());
    const int version = rows->size() ? static_cast<int>(rows->i64(0, 0)) : 0;
    if (version > kSchemaVersion)
      return fail(Errc::kInvalidInput, "PostgreSQL store " + redact_url(url) + " has schema " + std::to_string(version) +
                                           ", newer than this binary's " + std::to_string(kSchemaVersion));
    for (int v = version; v < kSchemaVersion; ++v) {
      t.exec("BEGIN");
      t.exec(kMigrations[v]);
      t.exec("DELETE FROM creditscope_schema");
      t.run("INSERT INTO creditscope_schema (version) VALUES ($1)", Params().add(std::int64_t{v + 1}));
      t.exec("COMMIT");
    }
  } catch (const std::exception& e) {
    PQclear(PQexec(conns.front(), "ROLLBACK"));
    return fail(Errc::kUpstream, "cannot prepare PostgreSQL store " + redact_url(url) + ": " + e.what());
  }
  return Result<std::unique_ptr<Store>>(std::make_unique<PostgresStore>(url, std::move(conns)));
}

}  // namespace creditscope::store
