#pragma once
// A stored account as the API shows it: the snapshot built from one store read.

#include <memory>

#include "core/account.hpp"
#include "store/store.hpp"

namespace creditscope::indexer {

/// One holding per token with any transfer, in token address order, each with its transfers in
/// (block_num, log_index) order, its stored balance (0 when none is stored) and its metadata (the
/// unknown-symbol placeholder with 0 decimals when none is stored). snapshot_block = record.head.
std::shared_ptr<const AccountSnapshot> build_snapshot(const store::AccountRecord& record);

}  // namespace creditscope::indexer
