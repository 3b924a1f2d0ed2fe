#include "devnet/anvil.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "chain/rpc_client.hpp"


namespace creditscope::devnet {

#ifndef CREDITSCOPE_SOURCE_DIR
#define CREDITSCOPE_SOURCE_DIR "."
#endif

unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

Anvil::Anvil(pid_t pid, unsigned short port)
    : pid_(pid), port_(port), url_("http://127.0.0.1:" + std::to_string(port)) {}

Anvil::Anvil(Anvil&& other) noexcept : pid_(other.pid_), port_(other.port_), url_(std::move(other.url_)) {
  other.pid_ = -1;
}

Anvil::~Anvil() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

Result<Anvil> Anvil::start(const AnvilOptions& options) {
  std::string binary = options.binary;
  if (binary.empty()) {
    // The npm package's bin is a node wrapper that spawns the platform binary; start that binary
    // directly so stopping this process stops the node.
    const char* env = std::getenv("ANVIL");
    binary = env ? env : std::string(CREDITSCOPE_SOURCE_DIR) + "/tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
  }
  unsigned short port = options.port ? options.port : free_port();
  std::vector<std::string> args = {binary, "--port", std::to_string(port), "--host", "127.0.0.1",
                                   "--chain-id", std::to_string(options.chain_id), "--silent"};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // fork + exec rather than posix_spawn: the child must die with us even when we are killed
  // (a crashed test must not leave anvils behind), which needs PR_SET_PDEATHSIG in the child.
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return make_error(Errc::kInternal, "cannot fork to start anvil");
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: kill(-pid) reaches anything it starts
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  Anvil anvil(pid, port);
  if (::waitpid(pid, nullptr, WNOHANG) == pid) {
    anvil.pid_ = -1;
    return make_error(Errc::kInternal, "cannot start anvil at " + binary + " (run `make deps`)");
  }
  chain::HttpRpcClient rpc({"devnet", {anvil.url()}, std::chrono::milliseconds(1000), 1});
  for (int i = 0; i < 300; ++i) {
    if (rpc.call("eth_chainId", {})) return anvil;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      anvil.pid_ = -1;
      return make_error(Errc::kInternal, "anvil exited during start-up (port " + std::to_string(port) + " taken?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error(Errc::kTimeout, "anvil did not answer within 30 s");
}

}  // namespace creditscope::devnet
