#pragma once
// A local anvil node as a child process: started on a free loopback port, stopped (SIGTERM,
// then SIGKILL) when the object dies.

#include <string>
#include <sys/types.h>
#include <vector>

#include "core/result.hpp"

namespace creditscope::devnet {

struct AnvilOptions {
  std::string binary;          // empty: $ANVIL, else the project's tools/node_modules/.bin/anvil
  unsigned short port = 0;     // 0: a free port
  std::uint64_t chain_id = 31337;
  std::vector<std::string> extra_args;
};

class Anvil {
 public:
  /// Starts anvil and waits until it answers eth_chainId (up to 30 s).
  static Result<Anvil> start(const AnvilOptions& options = {});
  Anvil(Anvil&& other) noexcept;
  Anvil& operator=(Anvil&&) = delete;
  ~Anvil();

  const std::string& url() const { return url_; }
  unsigned short port() const { return port_; }

 private:
  Anvil(pid_t pid, unsigned short port);
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  std::string url_;
};

/// A loopback TCP port that was free a moment ago.
unsigned short free_port();

}  // namespace creditscope::devnet
