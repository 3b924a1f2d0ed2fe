// Ponder indexing one credit account's ERC-20 Transfers, for make bench. Ponder's filters are fixed at
// start, so each run is configured for one account (BENCH_ACCOUNT); the owner -> account derivation
// happens in the benchmark driver. Two contract entries (in and out) with no address, i.e. every
// token: ponder@0.16.10 keeps only the last entry of a filter list on one event.
import { createConfig } from "ponder";
import { parseAbi } from "viem";

const account = process.env.BENCH_ACCOUNT as `0x${string}`;
const abi = parseAbi(["event Transfer(address indexed from, address indexed to, uint256 value)"]);

export default createConfig({
  database: { kind: "pglite", directory: process.env.BENCH_PGLITE_DIR ?? ".ponder/pglite" },
  chains: {
    anvil: { id: 31337, rpc: process.env.BENCH_RPC_URL!, disableCache: false },
  },
  contracts: {
    TransferIn: { chain: "anvil", abi, filter: { event: "Transfer", args: { to: account } }, startBlock: 0 },
    TransferOut: { chain: "anvil", abi, filter: { event: "Transfer", args: { from: account } }, startBlock: 0 },
  },
});
