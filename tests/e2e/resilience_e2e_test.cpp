// Issue 15, part one: SIGTERM while a backfill and a request run (exit 0, the request answered,
// nothing lost), a flood of first requests for random owners from one client (bounded backfills,
// tracked accounts still served), and SQLite stores that cannot be used (exit 2 with path and
// reason at start-up; 503 and a log line, never a crash, at run time).

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <fstream>
#include <future>
#include <random>
#include <regex>

#include "account_fixture.hpp"
#include "fault_proxy.hpp"
#include "harness.hpp"
#include "core/metrics.hpp"
#include "store/store.hpp"

namespace creditscope::e2e {
namespace {
using Ms = std::chrono::milliseconds;
namespace json = boost::json;

/// `creditscope serve` with its stderr read through a pipe (not a file: the disk tests limit the
/// size of every file the process writes); `prepare` runs in the child before exec.
class Child {
 public:
  explicit Child(const std::string& config_path, std::function<void()> prepare = {}) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 2);
      ::close(fds[0]);
      ::close(fds[1]);
      if (prepare) prepare();
      execl(CREDITSCOPE_BINARY, CREDITSCOPE_BINARY, "serve", "--config", config_path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ::close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] {
      char buf[4096];
      for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
        std::lock_guard lock(mutex_);
        log_.append(buf, static_cast<std::size_t>(n));
      }
      ::close(fd);
    });
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    reader_.join();
  }
  pid_t pid() const { return pid_; }
  /// The exit code once the process ends within limit; -1 if it did not (or died of a signal).
  int wait_exit(std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(Ms(20));
    }
    return -1;
  }
  std::string log() const {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  pid_t pid_ = -1;
  mutable std::mutex mutex_;
  std::string log_;  // guarded by mutex_
  std::thread reader_;
};

chain::HttpResponse get(unsigned short port, const std::string& target) {
  auto r = chain::http_get(must(chain::parse_url("http://127.0.0.1:" + std::to_string(port) + target), "url"));
  return r ? *r : chain::HttpResponse{};
}

bool serving(unsigned short port) { return get(port, "/healthz").status == 200; }

struct ServerAt {
  unsigned short port;
  chain::HttpResponse get(const std::string& target) const { return e2e::get(port, target); }
};

class ResilienceE2E : public FundedAccount {
 protected:
  std::string status_target() const { return "/v2/credit/status?chain=base&owner=" + to_checksum(owner); }

  // A config served as its own process on a fresh port, through `rpc_url`.
  std::pair<std::string, unsigned short> write_config(app::AppConfig cfg, const std::string& name) {
    const unsigned short port = devnet::free_port();
    cfg.server.listen = "127.0.0.1:" + std::to_string(port);
    const std::string path = dir.file(name + ".toml");
    std::ofstream(path) << h.toml(cfg);
    return {path, port};
  }

  // An indexed config whose backfill takes seconds: through the proxy answering each request
  // after slow_ms, one range of span blocks per request, one request at a time.
  app::AppConfig slow_backfill(FaultProxy& proxy, const std::string& name, int slow_ms, std::uint64_t span,
                               std::chrono::seconds grace) {
    proxy.set_slow_ms(slow_ms);
    proxy.set(FaultProxy::Fault::kSlow);
    auto cfg = h.indexed_config(dir.file(name + ".db"));
    cfg.chains[0].settings.rpc_urls = {proxy.url()};
    cfg.chains[0].settings.logs_max_span = span;
    cfg.chains[0].settings.max_in_flight = 1;
    cfg.chains[0].settings.rpc_max_batch = 1;
    cfg.shutdown_grace = grace;
    return cfg;
  }

  // Where the account's backfill stands, from /v2/credit/status ("" when unreadable).
  std::string backfill_state(unsigned short port, double* progress = nullptr) {
    auto r = get(port, status_target());
    boost::system::error_code ec;
    auto doc = json::parse(r.body, ec);
    if (ec || !doc.is_object() || !doc.as_object().contains("state")) return {};
    if (progress && doc.as_object().contains("progress")) *progress = doc.at("progress").to_number<double>();
    return std::string(doc.at("state").as_string());
  }
};

// SIGTERM while a first request waits for its backfill: the listener closes at once, the request
// still gets its full 200 (the backfill finishes within the grace), the process exits 0, and a
// restart answers from the index without backfilling again.
TEST_F(ResilienceE2E, SigtermDuringABackfillAnswersTheRequestAndExitsZero) {
  FaultProxy proxy(h.rpc_url());
  auto cfg = slow_backfill(proxy, "graceful", 200, 2, std::chrono::seconds(20));
  auto [path, port] = write_config(cfg, "graceful");
  Child server(path);
  ASSERT_TRUE(eventually([&] { return serving(port); }));

  auto pending = std::async(std::launch::async, [&, p = port] { return get(p, target); });
  ASSERT_TRUE(eventually([&] { return backfill_state(port) == "backfilling"; })) << server.log();
  ::kill(server.pid(), SIGTERM);
  // Not accepting any more, while the request is still being answered.
  EXPECT_TRUE(eventually([&] { return connect_loopback(port, timeval{1, 0}) < 0; }, Ms(3000)));
  EXPECT_EQ(pending.wait_for(Ms(0)), std::future_status::timeout) << "the backfill ended before the test could look";
  auto answered = pending.get();
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(30)), 0) << server.log();
  expect_same_as_chain(answered, "the request in flight at SIGTERM");
  // At least the cold request (a status poll's answer may not have finished counting yet).
  std::smatch in_flight;
  const std::string log = server.log();
  ASSERT_TRUE(std::regex_search(log, in_flight, std::regex("shutting down: ([0-9]+) request"))) << log;
  EXPECT_GE(std::stoi(in_flight[1]), 1) << log;

  // Nothing lost: the restarted server answers the same from its index, with no backfill.
  cfg.chains[0].settings.rpc_urls = {h.rpc_url()};
  auto [path2, port2] = write_config(cfg, "graceful-again");
  Child again(path2);
  ASSERT_TRUE(eventually([&] { return serving(port2); }));
  expect_same_as_chain(settled(ServerAt{port2}), "after the restart");
  EXPECT_EQ(get(port2, "/metrics").body.find("creditscope_backfills_total{chain=\"base\",outcome=\"ok\"}"), std::string::npos)
      << "the restart backfilled again";
}

// A backfill longer than the grace: the waiting request gets 503 with Retry-After (not a hang,
// not a dropped connection), the process exits 0, and what was scanned is committed.
TEST_F(ResilienceE2E, SigtermPastTheGraceAnswers503AndCommitsWhatWasScanned) {
  FaultProxy proxy(h.rpc_url());
  auto cfg = slow_backfill(proxy, "grace-over", 250, 1, std::chrono::seconds(1));
  auto [path, port] = write_config(cfg, "grace-over");
  Child server(path);
  ASSERT_TRUE(eventually([&] { return serving(port); }));

  auto pending = std::async(std::launch::async, [&, p = port] { return get(p, target); });
  double progress = 0;
  ASSERT_TRUE(eventually([&] { return backfill_state(port, &progress) == "backfilling" && progress > 0.1; }, Ms(20000)))
      << server.log();
  ::kill(server.pid(), SIGTERM);
  auto answered = pending.get();
  EXPECT_EQ(answered.status, 503u) << answered.body << server.log();
  EXPECT_TRUE(answered.retry_after) << "a 503 without Retry-After";
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(20)), 0) << server.log();
  EXPECT_NE(server.log().find("shutdown grace over"), std::string::npos) << server.log();

  {
    auto store = must(store::open_sqlite(cfg.store.path), "open the store");
    auto row = must(store->account("base", account), "read the account");
    ASSERT_TRUE(row) << "the account was not registered";
    EXPECT_FALSE(row->followed);
    EXPECT_GT(row->synced_through, 0u) << "the scanned part was not committed";
    EXPECT_LT(row->synced_through, head());
  }
  // The rest is scanned on the next start, and the answer is the chain's.
  cfg.chains[0].settings.rpc_urls = {h.rpc_url()};
  auto [path2, port2] = write_config(cfg, "grace-over-again");
  Child again(path2);
  ASSERT_TRUE(eventually([&] { return serving(port2); }));
  expect_same_as_chain(settled(ServerAt{port2}), "after the restart");
}

// 500 random owners from one client: at most new_accounts_per_min of them are tracked, every
// refusal is a 429 or 503 with Retry-After, and a tracked owner's answer stays right meanwhile.
TEST_F(ResilienceE2E, AFloodOfNewOwnersIsBoundedAndTrackedAccountsStayServed) {
  auto cfg = h.indexed_config(dir.file("flood.db"));
  cfg.new_accounts_per_min = 20;
  cfg.max_concurrent_backfills = 4;
  Server server(cfg);
  const auto warm = settled(server);  // the known owner: one of the client's 20
  ASSERT_EQ(warm.status, 200u);

  std::mt19937_64 rng(15);
  std::vector<std::string> owners;
  for (int i = 0; i < 500; ++i) {
    Address a;
    for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng());
    owners.push_back(to_checksum(a));
  }
  std::atomic<int> ok{0}, limited{0}, busy{0}, other{0}, no_retry_after{0};
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&] {
      for (std::size_t i; (i = next++) < owners.size();) {
        auto r = server.get("/v2/credit/balances?chain=base&owner=" + owners[i]);
        if (r.status == 200) ++ok;
        else if (r.status == 429) ++limited;
        else if (r.status == 503) ++busy;
        else ++other;
        if (r.status != 200 && !r.header("retry-after")) ++no_retry_after;
      }
    });
  int known_checks = 0;
  while (next < owners.size()) {
    auto r = server.get(target);
    ASSERT_EQ(r.status, 200u) << "the tracked owner during the flood";
    ASSERT_EQ(r.body, warm.body);
    ++known_checks;
  }
  for (auto& c : clients) c.join();
  std::cerr << "flood: " << ok << " ok, " << limited << " 429, " << busy << " 503, " << other << " other; "
            << known_checks << " answers for the tracked owner meanwhile\n";
  EXPECT_EQ(other, 0);
  EXPECT_EQ(no_retry_after, 0);
  EXPECT_LE(ok + busy, 500);
  EXPECT_GE(limited, 500 - 19 - busy) << "more than the minute's budget got through";
  EXPECT_GT(known_checks, 0);
  // One at a time, so no refusal is for lack of a slot: the client's minute budget runs out.
  int later_ok = 0, later_limited = 0;
  for (int i = 0; i < 30; ++i) {
    Address a;
    for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng());
    auto r = server.get("/v2/credit/balances?chain=base&owner=" + to_checksum(a));
    if (r.status == 200) ++later_ok;
    if (r.status == 429) {
      ++later_limited;
      EXPECT_TRUE(r.header("retry-after"));
    }
  }
  EXPECT_LE(ok + later_ok, 19) << "more new accounts than the minute's budget";
  EXPECT_GE(later_limited, 30 - (19 - ok)) << "sequential requests past the budget were not refused with 429";
  auto store = must(store::open_sqlite(cfg.store.path), "open the store");
  const auto tracked = must(store->account_count("base"), "count");
  EXPECT_LE(tracked, 20u) << "accounts registered: the known one plus at most 19 new";
  EXPECT_GE(tracked, 2u) << "no new owner was admitted at all";
}

// SQLite files that cannot be used stop start-up with exit 2, the path and the reason.
TEST_F(ResilienceE2E, AnUnusableSqliteFileStopsStartUpWithExit2) {
  struct Case {
    std::string name, reason;
    std::function<void(const std::string& db)> make;
    std::function<void()> in_child;
  };
  const bool root = ::geteuid() == 0;
  std::vector<Case> cases = {
      {"corrupt", "file is not a database",
       [](const std::string& db) { std::ofstream(db) << std::string(8192, 'x'); }, {}},
      {"read-only", "is read-only",
       [root](const std::string& db) {
         must(store::open_sqlite(db), "create");  // a valid store, then made unwritable
         // root writes through file modes; the immutable attribute stops it too.
         if (root) ASSERT_EQ(std::system(("chattr +i " + db).c_str()), 0);
         else ::chmod(db.c_str(), 0444);
       },
       {}},
      {"full", "disk I/O error", [](const std::string&) {},
       [] {  // a disk that takes 4 KiB and no more, as the process sees it
         rlimit limit{4096, 4096};
         setrlimit(RLIMIT_FSIZE, &limit);
         signal(SIGXFSZ, SIG_IGN);
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto cfg = h.indexed_config(dir.file(c.name + ".db"));
    c.make(cfg.store.path);
    auto [path, port] = write_config(cfg, c.name);
    Child server(path, c.in_child);
    EXPECT_EQ(server.wait_exit(std::chrono::seconds(20)), 2) << server.log();
    const std::string log = server.log();
    EXPECT_NE(log.find(cfg.store.path), std::string::npos) << log;
    EXPECT_NE(log.find(c.reason), std::string::npos) << log;
    if (c.name == "read-only" && root) std::system(("chattr -i " + cfg.store.path).c_str());
  }
}

// A disk that fills while serving: commits fail, requests that need one get 503 with
// Retry-After and the log says why; the process lives on and catches up once there is room.
TEST_F(ResilienceE2E, ADiskThatFillsWhileServingGives503AndRecovers) {
  auto cfg = h.indexed_config(dir.file("filling.db"));
  auto [path, port] = write_config(cfg, "filling");
  Child server(path);
  ASSERT_TRUE(eventually([&] { return serving(port); }));
  const auto before = settled(ServerAt{port});
  expect_same_as_chain(before, "before the disk fills");

  // From now on the process cannot write to any file (as on a disk with no space left).
  rlimit full{0, RLIM_INFINITY};
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_FSIZE, &full, nullptr), 0);
  auto receipt = must(h.chain().send(funder, tokens[2], devnet::transfer_call(account, 4242)), "transfer");
  (void)receipt;
  const std::string stranger = "/v2/credit/balances?chain=base&owner=" + to_checksum(devnet::dev_account(7));
  auto cold = get(port, stranger);
  EXPECT_EQ(cold.status, 503u) << cold.body;
  EXPECT_TRUE(cold.retry_after);
  EXPECT_TRUE(eventually([&] { return server.log().find("disk I/O error") != std::string::npos ||
                                      server.log().find("database or disk is full") != std::string::npos; }))
      << server.log();
  EXPECT_EQ(get(port, "/healthz").status, 200u) << "the process died";

  rlimit room{RLIM_INFINITY, RLIM_INFINITY};
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_FSIZE, &room, nullptr), 0);
  expect_same_as_chain(settled(ServerAt{port}), "after the disk has room again");
  EXPECT_TRUE(eventually([&] { return get(port, stranger).status == 200; }, Ms(30000)));
}

}  // namespace
}  // namespace creditscope::e2e

namespace creditscope::e2e {
namespace {

// [store] untrack_after_days: an account nobody asks for stops being followed (its data stays);
// a later request resumes its backfill from where following stopped, not from the start.
TEST_F(ResilienceE2E, AnAccountNobodyAsksForIsUntrackedAndResumedLater) {
  auto cfg = h.indexed_config(dir.file("untrack.db"));
  cfg.store.untrack_after = std::chrono::seconds(2);
  cfg.chains[0].indexer.touch_interval = Ms(100);
  cfg.chains[0].indexer.untrack_interval = Ms(300);
  Server server(cfg);
  expect_same_as_chain(settled(server), "tracked");
  must(h.chain().mine(50), "blocks while it is followed");
  expect_same_as_chain(settled(server), "followed through 50 more blocks");
  const auto untracked_before = Metrics::global().counter_sum("creditscope_untracked_accounts_total");
  ASSERT_TRUE(eventually([&] { return Metrics::global().counter_sum("creditscope_untracked_accounts_total") > untracked_before; },
                         Ms(10000)))
      << "not untracked 2 s after the last request";
  const std::uint64_t stopped_at = head();
  {
    auto store = must(store::open_sqlite(cfg.store.path), "open the store");
    auto row = must(store->account("base", account), "read");
    ASSERT_TRUE(row);
    EXPECT_FALSE(row->followed);
    EXPECT_EQ(row->synced_through, stopped_at) << "the cursor is where following stopped";
    EXPECT_GE(must(store->transfers("base", account, stopped_at, std::nullopt, 100), "transfers").size(), 4u)
        << "its data was dropped";
  }
  // Activity while nobody follows it, then a request: resumed from where it stopped.
  auto later = must(h.chain().send(funder, tokens[1], devnet::transfer_call(account, 31337)), "transfer while untracked");
  must(h.chain().mine(5), "more blocks");
  const auto scanned_before = Metrics::global().counter_sum("creditscope_logs_blocks_scanned_total");
  auto again = settled(server);
  // Measured before the comparison below, whose stateless server scans the whole chain.
  const auto scanned = Metrics::global().counter_sum("creditscope_logs_blocks_scanned_total") - scanned_before;
  EXPECT_NE(again.body.find(hex::encode(view(later.txn_hash))), std::string::npos);
  expect_same_as_chain(again, "resumed");
  EXPECT_LE(scanned, 2 * (head() - stopped_at) + 10) << "the backfill started over instead of resuming";
  EXPECT_LT(scanned, stopped_at) << "the backfill started over instead of resuming";
}

}  // namespace
}  // namespace creditscope::e2e
