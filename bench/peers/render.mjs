// The creditscope answer's JSON for one account, as the peers (viem script, Ponder route) render it,
// so that make bench can compare bodies byte for byte. No prices are configured in the benchmark:
// usd_value is null and total_usd_value is "0.00" only when nothing is held.
import { getAddress } from "viem";

export function formatUnits(raw, decimals) {
  let digits = raw.toString();
  if (decimals === 0) return digits;
  if (digits.length <= decimals) digits = "0".repeat(decimals - digits.length + 1) + digits;
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals, digits.length - decimals + 6).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

const iso = (seconds) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

// tokens: [{address, symbol, decimals, balance: bigint, transfers: [{from, to, amount: bigint,
// blockNumber, timestamp, txHash}] in (block, log index) order}]
export function renderBalances(account, tokens) {
  account = getAddress(account);
  const symbolCount = new Map();
  for (const t of tokens) symbolCount.set(t.symbol, (symbolCount.get(t.symbol) ?? 0) + 1);
  const entries = tokens.map((t) => {
    const address = getAddress(t.address);
    const key = symbolCount.get(t.symbol) > 1 ? `${t.symbol} (${address})` : t.symbol;
    const transfers = t.transfers.map((x) => {
      const to = getAddress(x.to);
      return {
        from_address: getAddress(x.from),
        to_address: to,
        amount: x.amount.toString(),
        amount_formatted: formatUnits(x.amount, t.decimals),
        block_number: Number(x.blockNumber),
        block_timestamp: iso(x.timestamp),
        transaction_hash: x.txHash,
        direction: to === account ? "in" : "out",
      };
    });
    return [key, {
      token_address: address,
      token_symbol: t.symbol,
      token_decimals: t.decimals,
      balance: t.balance.toString(),
      balance_formatted: formatUnits(t.balance, t.decimals),
      usd_value: null,
      transfers,
    }];
  });
  entries.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  const holdsAnything = tokens.some((t) => t.balance !== 0n);
  // Written by hand: an object would move integer-like keys (a symbol "1") to the front.
  const body = entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",");
  return `{"credit_account_address":${JSON.stringify(account)},"balances":{${body}},` +
    `"total_usd_value":${holdsAnything ? "null" : '"0.00"'}}`;
}
