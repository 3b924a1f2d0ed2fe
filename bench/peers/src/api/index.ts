// The full answer over Ponder's HTTP server: every token row and every transfer, read from its store
// per request and rendered as creditscope renders it.
import { Hono } from "hono";
import { asc } from "ponder";
import { db } from "ponder:api";
import { token, transfer } from "ponder:schema";
// @ts-ignore: plain ESM shared with the viem script
import { renderBalances } from "../../render.mjs";

const app = new Hono();

app.get("/v2/credit/balances", async (c) => {
  const [tokens, transfers] = await Promise.all([
    db.select().from(token),
    db.select().from(transfer).orderBy(asc(transfer.blockNumber), asc(transfer.logIndex)),
  ]);
  const byToken = new Map(tokens.map((t) => [t.address, { ...t, transfers: [] as any[] }]));
  for (const x of transfers) byToken.get(x.token)?.transfers.push(x);
  const body = renderBalances(process.env.BENCH_ACCOUNT, [...byToken.values()]);
  return c.body(body, 200, { "content-type": "application/json" });
});

export default app;
