// The floor: the fewest JSON-RPC calls any correct answer for one account needs, issued directly and
// timed. Pin the head (eth_blockNumber); both Transfer filters over [0, head] in one batch (eth_getLogs
// from and to); block headers only if the node leaves blockTimestamp out of its logs; one Multicall3
// aggregate3 for every token's balanceOf, decimals and symbol at the head. No rendering.
//   node floor.mjs RPC_URL MULTICALL3 ACCOUNT [RUNS]
// Prints {"calls":N,"http_requests":N,"runs_ms":[...],"median_ms":x,"transfers":N,"tokens":N}.
import { encodeFunctionData, decodeFunctionResult, parseAbi, pad } from "viem";

const [rpc, multicall3, account, runsArg] = process.argv.slice(2);
const TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
const abi = parseAbi([
  "struct Call3 { address target; bool allowFailure; bytes callData; }",
  "struct Result { bool success; bytes returnData; }",
  "function aggregate3(Call3[] calls) payable returns (Result[] returnData)",
  "function balanceOf(address) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
]);

let calls = 0;
let httpRequests = 0;
let id = 0;
async function post(body) {
  calls += Array.isArray(body) ? body.length : 1;
  httpRequests++;
  const res = await fetch(rpc, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await res.json();
  for (const r of Array.isArray(json) ? json : [json]) if (r.error) throw new Error(JSON.stringify(r.error));
  return json;
}
const req = (method, params) => ({ jsonrpc: "2.0", id: ++id, method, params });

async function once() {
  const head = (await post(req("eth_blockNumber", []))).result;
  const topic = pad(account.toLowerCase(), { size: 32 });
  const [outgoing, incoming] = await post([
    req("eth_getLogs", [{ fromBlock: "0x0", toBlock: head, topics: [TRANSFER, topic] }]),
    req("eth_getLogs", [{ fromBlock: "0x0", toBlock: head, topics: [TRANSFER, null, topic] }]),
  ]);
  const logs = [...outgoing.result, ...incoming.result].filter((l) => l.topics.length === 3);
  const noTimestamp = [...new Set(logs.filter((l) => l.blockTimestamp === undefined).map((l) => l.blockNumber))];
  if (noTimestamp.length) await post(noTimestamp.map((b) => req("eth_getBlockByNumber", [b, false])));
  const tokens = [...new Set(logs.map((l) => l.address))];
  const data = encodeFunctionData({
    abi,
    functionName: "aggregate3",
    args: [tokens.flatMap((target) => [
      { target, allowFailure: true, callData: encodeFunctionData({ abi, functionName: "balanceOf", args: [account] }) },
      { target, allowFailure: true, callData: encodeFunctionData({ abi, functionName: "decimals" }) },
      { target, allowFailure: true, callData: encodeFunctionData({ abi, functionName: "symbol" }) },
    ])],
  });
  const reads = await post(req("eth_call", [{ to: multicall3, data }, head]));
  const results = decodeFunctionResult({ abi, functionName: "aggregate3", data: reads.result });
  if (results.length !== tokens.length * 3) throw new Error("multicall answered the wrong number of results");
  return { transfers: logs.length, tokens: tokens.length };
}

const runs = Number(runsArg ?? 5);
const times = [];
let shape;
for (let i = 0; i < runs; i++) {
  calls = 0;
  httpRequests = 0;
  const t0 = performance.now();
  shape = await once();
  times.push(performance.now() - t0);
}
const sorted = [...times].sort((a, b) => a - b);
console.log(JSON.stringify({ calls, http_requests: httpRequests, runs_ms: times.map((t) => +t.toFixed(3)),
  first_ms: +times[0].toFixed(3), median_ms: +sorted[Math.floor(sorted.length / 2)].toFixed(3), ...shape }));
