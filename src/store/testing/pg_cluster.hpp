#pragma once
// A throw-away PostgreSQL 15 cluster for tests: initdb into a temporary folder, a free loopback
// port, a Unix socket in the same folder; stopped and removed by the destructor. Under root (as in
// CI) the server runs as the `postgres` user, which initdb requires.
//
// Durability is off (fsync, synchronous_commit): fast, and stop() then loses the last commits the
// way a database restored from a backup or failed over to a lagging standby does, which the
// outage test relies on being survivable.
//
// PgCluster::shared() starts one per test process on first use; create_database() gives each test
// its own empty database, so tests stay independent without a cluster each.

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace creditscope::store::testing {

class PgCluster {
 public:
  PgCluster() {
    bin_ = find_bin();
    char tmpl[] = "/tmp/cs-pg-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = free_port();
    as_postgres_ = ::geteuid() == 0;
    if (as_postgres_) sh("chown postgres " + dir_);
    const std::string data = dir_ + "/data";
    sh(prefix() + bin_ + "/initdb -D " + data + " -U postgres -A trust --no-sync -E UTF8 >" + dir_ + "/initdb.log 2>&1");
    start();
    started_ = true;
  }
  ~PgCluster() {
    if (started_) std::system((prefix() + bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1").c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  static PgCluster& shared() {
    static PgCluster cluster;
    return cluster;
  }

  int port() const { return port_; }
  /// Stops the server at once (a crash, as far as clients can tell) / starts it again, same port.
  void stop() { sh(prefix() + bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null"); }
  void start() {
    sh(prefix() + bin_ + "/pg_ctl -D " + dir_ + "/data -w -t 60 -l " + dir_ + "/server.log -o \"-p " + std::to_string(port_) +
       " -k " + dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
       " -c max_connections=200\" start >/dev/null");
  }
  /// A URL with a password in it, so tests can check it is never printed (trust auth ignores it).
  std::string url(const std::string& db) const {
    return "postgresql://postgres:s3cret-pw@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  /// A new empty database; returns its URL.
  std::string create_database() {
    static std::atomic<int> n{0};
    const std::string name = "cs_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    psql("CREATE DATABASE " + name);
    return url(name);
  }
  void psql(const std::string& sql, const std::string& db = "postgres") const {
    sh(bin_ + "/psql -q -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres -d " + db + " -v ON_ERROR_STOP=1 -c \"" +
       sql + "\" >/dev/null");
  }

 private:
  static std::string find_bin() {
    for (const char* v : {"17", "16", "15"}) {
      std::string bin = std::string("/usr/lib/postgresql/") + v + "/bin";
      if (std::filesystem::exists(bin + "/initdb")) return bin;
    }
    throw std::runtime_error("PostgreSQL server binaries not found (scripts/install-deps.sh installs postgresql)");
  }
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  std::string prefix() const { return as_postgres_ ? "runuser -u postgres -- " : ""; }
  static void sh(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  }

  std::string bin_, dir_;
  int port_ = 0;
  bool as_postgres_ = false;
  bool started_ = false;
};

}  // namespace creditscope::store::testing
