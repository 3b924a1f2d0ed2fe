#pragma once
// Shared set-up for end-to-end tests: a fresh anvil per test with the Safe contracts and
// Multicall3, and a creditscope server (in-process, real HTTP on a free port) pointed at it.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <signal.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>

#include "api/server.hpp"
#include "app/service.hpp"
#include "chain/http_client.hpp"
#include "core/address.hpp"
#include "core/hex.hpp"
#include "devnet/anvil.hpp"
#include "devnet/fixtures.hpp"

namespace creditscope::e2e {

/// Takes the value of a Result or fails the test with its message.
template <class T>
T must(Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}
inline void must(Result<void> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
}

class Harness {
 public:
  explicit Harness(bool with_multicall = true, std::vector<std::string> anvil_args = {})
      : anvil_(must(devnet::Anvil::start(devnet::AnvilOptions{"", 0, 31337, std::move(anvil_args)}), "start anvil")),
        artifacts_(must(devnet::Artifacts::load(), "load artifacts")),
        chain_(anvil_.url()) {
    params_ = must(devnet::deploy_safe_infra(chain_, artifacts_), "deploy Safe");
    if (with_multicall) must(devnet::install_multicall3(chain_, artifacts_), "install Multicall3");
  }

  devnet::DevChain& chain() { return chain_; }
  const devnet::Artifacts& artifacts() const { return artifacts_; }
  const chain::CreditAccountParams& params() const { return params_; }
  const std::string& rpc_url() const { return anvil_.url(); }

  /// A config with one chain "base" on this anvil and a persistent index at db_path, following
  /// the head every poll_ms.
  app::AppConfig indexed_config(const std::string& db_path, long poll_ms = 100, std::uint64_t finality_depth = 32) const {
    app::AppConfig cfg = config();
    cfg.store.mode = "sqlite";
    cfg.store.path = db_path;
    cfg.chains[0].indexer.poll_interval = std::chrono::milliseconds(poll_ms);
    cfg.chains[0].indexer.finality_depth = finality_depth;
    // Tests and benchmarks register thousands of accounts from one address on purpose; the
    // new-account limits have tests of their own that set them.
    cfg.new_accounts_per_min = 0;
    cfg.max_concurrent_backfills = 1'000'000;
    return cfg;
  }

  /// The same config as TOML, for a server started as its own process.
  std::string toml(const app::AppConfig& cfg) const {
    const auto& c = cfg.chains[0].settings;
    std::ostringstream t;
    t << "[server]\nlisten = \"" << cfg.server.listen << "\"\nworker_threads = " << cfg.server.worker_threads
      << "\ncache_mb = " << cfg.cache_mb << "\nshutdown_grace_s = " << cfg.shutdown_grace.count()
      << "\nnew_accounts_per_min = " << static_cast<long>(cfg.new_accounts_per_min)
      << "\nmax_concurrent_backfills = " << cfg.max_concurrent_backfills
      << "\nrequest_deadline_ms = " << cfg.request_deadline.count() << "\n\n[store]\nmode = \"" << cfg.store.mode << "\"\npath = \""
      << cfg.store.path << "\"\nurl = \"" << cfg.store.url << "\"\nleader_lease_s = " << cfg.store.leader_lease.count()
      << "\nuntrack_after_days = " << cfg.store.untrack_after.count() / 86400
      << "\n\n[chains.base]\nchain_id = " << c.chain_id << "\nrpc_urls = [";
    for (std::size_t i = 0; i < c.rpc_urls.size(); ++i) t << (i ? ", " : "") << "\"" << c.rpc_urls[i] << "\"";
    t << "]\nverify = \"" << (c.quorum ? "quorum" : "single") << "\"\nquarantine_s = " << c.quarantine.count()
      << "\nmulticall3 = \"" << (c.multicall3 ? hex::encode(view(*c.multicall3)) : "") << "\"\npoll_interval_ms = "
      << cfg.chains[0].indexer.poll_interval.count() << "\nfinality_depth = " << cfg.chains[0].indexer.finality_depth
      << "\nbackfill_commit_blocks = " << cfg.chains[0].indexer.backfill_commit_blocks
      << "\nlogs_max_span = " << c.logs_max_span << "\nrpc_max_batch = " << c.rpc_max_batch
      << "\nmax_in_flight = " << c.max_in_flight << (c.max_rps > 0 ? "\nmax_rps = " + std::to_string(static_cast<long>(c.max_rps)) : "")
      << "\n\n[chains.base.credit_account]\nproxy_factory = \"" << hex::encode(view(params_.proxy_factory))
      << "\"\nsingleton = \"" << hex::encode(view(params_.singleton)) << "\"\nfallback_handler = \""
      << hex::encode(view(params_.fallback_handler)) << "\"\n";
    return t.str();
  }

  /// A stateless config with one chain "base" on this anvil.
  app::AppConfig config(bool use_multicall = true, std::vector<std::string> urls = {}) const {
    app::AppConfig cfg;
    cfg.server.listen = "127.0.0.1:0";
    chain::ChainSettings c;
    c.name = "base";
    c.chain_id = 31337;
    c.rpc_urls = urls.empty() ? std::vector<std::string>{anvil_.url()} : urls;
    if (use_multicall) c.multicall3 = *hex::decode_address(devnet::kMulticall3Address);
    c.credit_account = params_;
    c.rpc_timeout = std::chrono::milliseconds(5000);
    cfg.store.mode = "none";
    cfg.chains.push_back({c, indexer::IndexerOptions{}, {}});
    return cfg;
  }

 private:
  devnet::Anvil anvil_;
  devnet::Artifacts artifacts_;
  devnet::DevChain chain_;
  chain::CreditAccountParams params_;
};

/// A running creditscope server for a config.
class Server {
 public:
  explicit Server(const app::AppConfig& config)
      : service_(config), server_(config.server, service_.router()) {
    service_.start_readiness_checks();
    server_.start();
  }
  ~Server() { server_.stop(); }

  app::Service& service() { return service_; }
  unsigned short port() const { return server_.port(); }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  chain::HttpResponse get(const std::string& target) const {
    return must(chain::http_get(must(chain::parse_url(base() + target), "url")), "GET");
  }

 private:
  app::Service service_;
  api::HttpServer server_;
};

/// A TCP connection to 127.0.0.1:port whose reads give up after recv_timeout; -1 on failure.
inline int connect_loopback(unsigned short port, timeval recv_timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &recv_timeout, sizeof recv_timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Sends raw bytes to 127.0.0.1:port and returns everything read until the server closes or
/// 5 s pass: for requests a well-behaved client library would refuse to send.
inline std::string raw_exchange(unsigned short port, const std::string& request) {
  int fd = connect_loopback(port, timeval{5, 0});
  if (fd < 0) return {};
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

/// Polls done() every 20 ms until it holds or limit passes; returns its last value.
template <class F>
bool eventually(F&& done, std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

/// A temporary directory removed with the object.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/creditscope-e2e-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// `creditscope serve` as a child process (so a test can kill -9 it).
class ServerProcess {
 public:
  ServerProcess(const std::string& config_path, unsigned short port) : port_(port) {
    pid_ = fork();
    if (pid_ == 0) {
      execl(CREDITSCOPE_BINARY, CREDITSCOPE_BINARY, "serve", "--config", config_path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (!raw_exchange(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").empty()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~ServerProcess() { kill9(); }
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }
  /// SIGTERM, then waits: a clean shutdown (the lease is given up).
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  /// SIGSTOP / SIGCONT: a process that stalls (a long GC pause, a frozen VM) and wakes up later.
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }
  chain::HttpResponse get(const std::string& target) const {
    auto r = chain::http_get(must(chain::parse_url("http://127.0.0.1:" + std::to_string(port_) + target), "url"));
    return r ? *r : chain::HttpResponse{};
  }

 private:
  pid_t pid_ = -1;
  unsigned short port_;
};

/// Runs the spec validator (Ajv) on body against a schema of the seed's spec (or of another
/// description, relative to the source tree, such as src/api/openapi.json); returns its output,
/// empty when valid.
inline std::string schema_errors(const std::string& body, const std::string& schema = "CreditBalancesResponse",
                                 const std::string& spec = "spec/credit-balances.openapi.yaml") {
  char path[] = "/tmp/creditscope-body-XXXXXX";
  int fd = mkstemp(path);
  ::close(fd);
  std::ofstream(path) << body;
  std::string cmd = std::string("node ") + CREDITSCOPE_SOURCE_DIR + "/tools/validate-response.mjs " +
                    CREDITSCOPE_SOURCE_DIR + "/" + spec + " " + schema + " " + path +
                    " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  int rc = pclose(p);
  std::remove(path);
  return rc == 0 ? std::string{} : (out.empty() ? "validator failed" : out);
}

}  // namespace creditscope::e2e
