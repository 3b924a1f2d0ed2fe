// Lifts ponder@0.16.10's JSON-RPC rate limiter for the "unlimited" benchmark run, without touching
// node_modules: a module hook rewrites its constants as dist/esm/rpc/index.js loads. Stock, each
// provider starts at 20 requests/s and earns +5% after 5x its limit in consecutive successes (up to
// 500/s); here it starts and stays at a limit it never reaches. The queue's concurrency (25) stays.
//   node --import ./unlimited-rpc.mjs node_modules/ponder/dist/esm/bin/ponder.js start ...
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function load(url, context, next) {
  const result = await next(url, context);
  if (!url.endsWith("/ponder/dist/esm/rpc/index.js")) return result;
  const source = String(result.source);
  const lifted = source
    .replace("const INITIAL_MAX_RPS = 20;", "const INITIAL_MAX_RPS = 1e9;")
    .replace("const MAX_RPS = 500;", "const MAX_RPS = 1e9;");
  if (lifted === source) throw new Error("unlimited-rpc: ponder's rate limiter constants were not found");
  return { ...result, source: lifted };
}`),
);
