import { ponder } from "ponder:registry";
import { token, transfer } from "ponder:schema";
import { parseAbi } from "viem";

const erc20 = parseAbi(["function decimals() view returns (uint8)", "function symbol() view returns (string)"]);

async function record(event: any, context: any, sign: 1n | -1n) {
  const { from, to, value } = event.args;
  await context.db
    .insert(transfer)
    .values({
      id: `${event.block.number}:${event.log.logIndex}`,
      token: event.log.address,
      from,
      to,
      amount: value,
      blockNumber: event.block.number,
      logIndex: event.log.logIndex,
      timestamp: event.block.timestamp,
      txHash: event.transaction.hash,
    })
    .onConflictDoNothing();
  const existing = await context.db.find(token, { address: event.log.address });
  if (existing) {
    await context.db.update(token, { address: event.log.address }).set((row: any) => ({ balance: row.balance + sign * value }));
    return;
  }
  // Metadata never changes: read once, at the latest block, cached by Ponder.
  const read = async (functionName: "decimals" | "symbol") => {
    try {
      return await context.client.readContract({ abi: erc20, address: event.log.address, functionName, cache: "immutable" });
    } catch {
      return undefined;
    }
  };
  const [decimals, symbol] = await Promise.all([read("decimals"), read("symbol")]);
  await context.db.insert(token).values({
    address: event.log.address,
    symbol: typeof symbol === "string" && symbol.trim() !== "" ? symbol : "UNKNOWN",
    decimals: decimals ?? 0,
    balance: sign * value,
  });
}

ponder.on("TransferIn:Transfer", ({ event, context }) => record(event, context, 1n));
ponder.on("TransferOut:Transfer", ({ event, context }) => record(event, context, -1n));
