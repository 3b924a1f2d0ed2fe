import { index, onchainTable } from "ponder";

export const transfer = onchainTable(
  "transfer",
  (t) => ({
    id: t.text().primaryKey(), // block:logIndex, so a self-transfer seen as in and out is stored once
    token: t.hex().notNull(),
    from: t.hex().notNull(),
    to: t.hex().notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ byToken: index().on(table.token) }),
);

export const token = onchainTable("token", (t) => ({
  address: t.hex().primaryKey(),
  symbol: t.text().notNull(),
  decimals: t.integer().notNull(),
  balance: t.bigint().notNull(), // running sum of the account's transfers
}));
