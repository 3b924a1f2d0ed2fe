// The baseline a developer writes in an afternoon with viem: for every request, chunked eth_getLogs
// (in and out), block timestamps, one Multicall3 read of balances and metadata; no cache, no store.
// It answers GET /v2/credit/balances?chain=base&owner=0x... with the same JSON as creditscope (no
// prices are configured in the benchmark, so usd_value is null), which make bench checks byte for byte.
//   node viem-balances.mjs PORT CHAIN_JSON
// CHAIN_JSON: {"rpc": url, "proxy_factory", "singleton", "fallback_handler", "multicall3"} (bench seeder output)
import http from "node:http";
import { readFileSync } from "node:fs";
import {
  createPublicClient,
  http as httpTransport,
  parseAbi,
  parseAbiItem,
  encodeFunctionData,
  encodeAbiParameters,
  keccak256,
  concat,
  getContractAddress,
  getAddress,
  isAddress,
} from "viem";
import { renderBalances } from "./render.mjs";

const [port, chainFile] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(chainFile, "utf8"));
const client = createPublicClient({ transport: httpTransport(cfg.rpc, { batch: { batchSize: 1000 }, retryCount: 3 }) });
const CHUNK = 10_000n;  // a common provider cap; anvil has none, but a script written for mainnet chunks
const transfer = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");
const erc20 = parseAbi([
  "function balanceOf(address) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
]);
const safeAbi = parseAbi([
  "function setup(address[] owners, uint256 threshold, address to, bytes data, address fallbackHandler, address paymentToken, uint256 payment, address paymentReceiver)",
  "function proxyCreationCode() view returns (bytes)",
]);

let initCodeHash;
async function creditAccount(owner) {
  if (!initCodeHash) {
    const code = await client.readContract({ address: cfg.proxy_factory, abi: safeAbi, functionName: "proxyCreationCode" });
    initCodeHash = keccak256(concat([code, encodeAbiParameters([{ type: "address" }], [cfg.singleton])]));
  }
  const initializer = encodeFunctionData({
    abi: safeAbi,
    functionName: "setup",
    args: [[owner], 1n, "0x0000000000000000000000000000000000000000", "0x", cfg.fallback_handler,
      "0x0000000000000000000000000000000000000000", 0n, "0x0000000000000000000000000000000000000000"],
  });
  const salt = keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [keccak256(initializer), 0n]));
  return getContractAddress({ opcode: "CREATE2", from: cfg.proxy_factory, salt, bytecodeHash: initCodeHash });
}

async function logs(account, head) {
  const ranges = [];
  for (let from = 0n; from <= head; from += CHUNK) ranges.push([from, from + CHUNK - 1n < head ? from + CHUNK - 1n : head]);
  const parts = await Promise.all(
    ranges.flatMap(([fromBlock, toBlock]) => [
      client.getLogs({ event: transfer, args: { from: account }, fromBlock, toBlock, strict: true }),
      client.getLogs({ event: transfer, args: { to: account }, fromBlock, toBlock, strict: true }),
    ]),
  );
  const unique = new Map();  // a self-transfer comes back in both lists
  for (const log of parts.flat()) unique.set(`${log.blockNumber}:${log.logIndex}`, log);
  return [...unique.values()].sort((a, b) =>
    a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1);
}

async function timestamps(list) {
  const missing = [...new Set(list.filter((l) => l.blockTimestamp === undefined).map((l) => l.blockNumber))];
  const blocks = await Promise.all(missing.map((blockNumber) => client.getBlock({ blockNumber })));
  const byNumber = new Map(blocks.map((b) => [b.number, b.timestamp]));
  return (l) => Number(l.blockTimestamp !== undefined ? BigInt(l.blockTimestamp) : byNumber.get(l.blockNumber));
}

async function tokenReads(account, tokens, head) {
  const contracts = tokens.flatMap((address) => [
    { address, abi: erc20, functionName: "balanceOf", args: [account] },
    { address, abi: erc20, functionName: "decimals" },
    { address, abi: erc20, functionName: "symbol" },
  ]);
  const results = await client.multicall({ contracts, allowFailure: true, blockNumber: head, multicallAddress: cfg.multicall3, batchSize: 0 });
  const out = new Map();
  tokens.forEach((t, i) => {
    const [bal, dec, sym] = results.slice(3 * i, 3 * i + 3);
    // A symbol that does not decode as a string (bytes32 ones such as MKR's) is "UNKNOWN" here; the
    // benchmark's tokens all return strings.
    const symbol = sym.status === "success" ? sym.result : undefined;
    out.set(t, {
      balance: bal.status === "success" ? bal.result : 0n,
      decimals: dec.status === "success" ? dec.result : 0,
      symbol: typeof symbol === "string" && symbol.trim() !== "" ? symbol : "UNKNOWN",
    });
  });
  return out;
}

async function balances(owner) {
  const account = await creditAccount(owner);
  const head = await client.getBlockNumber();
  const list = await logs(account, head);
  const ts = await timestamps(list);
  const tokens = [...new Set(list.map((l) => getAddress(l.address)))];
  const reads = await tokenReads(account, tokens, head);
  const byToken = new Map(tokens.map((t) => [t, { address: t, ...reads.get(t), transfers: [] }]));
  for (const l of list) {
    byToken.get(getAddress(l.address)).transfers.push({ from: l.args.from, to: l.args.to, amount: l.args.value,
      blockNumber: l.blockNumber, timestamp: ts(l), txHash: l.transactionHash });
  }
  return renderBalances(account, [...byToken.values()]);
}

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const owner = url.searchParams.get("owner");
    if (url.pathname !== "/v2/credit/balances" || !owner || !isAddress(owner, { strict: false })) {
      res.writeHead(422, { "content-type": "application/json" }).end('{"detail":"bad request"}');
      return;
    }
    try {
      const body = await balances(getAddress(owner));
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    } catch (e) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "1" }).end(JSON.stringify({ detail: String(e.shortMessage ?? e) }));
    }
  })
  .listen(Number(port), "127.0.0.1");
