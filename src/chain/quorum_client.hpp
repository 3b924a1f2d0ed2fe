#pragma once
// verify = "quorum": reads that have one right answer (log ranges and reads at a fixed block) are
// asked of two URLs and compared, so one node that lies quietly (answers [] for logs it has, or a
// wrong word for a balance) cannot put a wrong answer in the index. eRPC's consensus policy is
// the model; unlike it, only the calls that can be compared are sent twice, so head polls and
// "latest" reads cost what they cost without quorum.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chain/rpc_client.hpp"

namespace creditscope::chain {

/// Whether a call has one right answer that two nodes must agree on: eth_getLogs over a block
/// hash or a numbered range, eth_call / eth_getBalance / eth_getCode / eth_getStorageAt at a
/// numbered block or a block hash. Calls at a tag ("latest", "safe", ...) may differ between
/// nodes that are both right.
bool needs_quorum(const RpcRequest& request);

/// What two answers to request are compared by: for logs, each log's transaction hash, log
/// index, address, topics and data (in a fixed order, hex lower-cased, quantities normalised);
/// for reads, the result bytes.
std::string quorum_key(const RpcRequest& request, const json::value& result);

/// An RpcClient over one client per URL. A call that needs_quorum() is asked of two URLs (the
/// batch of one, the calls that need it of the other); when they differ, a third URL decides, and
/// the URL outvoted is skipped for `quarantine` and counted in
/// creditscope_rpc_disagreements_total{chain,url}. With no majority (or no second URL that
/// answers) the batch fails as a whole (Errc::kUpstream), so nothing unverified is stored.
/// A read that reverts (an execution failure) votes like a result, so a node cannot fake a revert
/// either; any other JSON-RPC error from either URL is returned as that call's error, not voted
/// on. Thread-safe.
class QuorumRpcClient final : public RpcClient {
 public:
  /// urls: at least two; names: for metrics and logs (credentials removed), one per client.
  QuorumRpcClient(std::string chain, std::vector<std::shared_ptr<RpcClient>> urls, std::vector<std::string> names,
                  std::chrono::steady_clock::duration quarantine);

  Result<std::vector<Result<json::value>>> batch(const std::vector<RpcRequest>& requests) override;
  std::size_t parallelism() const override;
  std::size_t max_batch() const override;

 private:
  // URLs not in quarantine, in config order: the first two answer, like "single" prefers the
  // first URL (a fixed order also makes a lying first URL show at once rather than by chance).
  std::vector<std::size_t> candidates();
  void quarantine(std::size_t url, const RpcRequest& request);

  const std::string chain_;                           // constant after construction
  const std::vector<std::shared_ptr<RpcClient>> urls_;  // constant after construction
  const std::vector<std::string> names_;               // constant after construction
  const std::chrono::steady_clock::duration quarantine_;
  std::mutex mutex_;
  std::vector<std::chrono::steady_clock::time_point> quarantined_until_;  // guarded by mutex_
};

}  // namespace creditscope::chain
