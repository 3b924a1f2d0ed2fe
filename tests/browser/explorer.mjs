// Drives Debian's chromium through npm playwright-core against running servers: the explorer page
// at / shows every token's balance and USD value exactly as GET /v2/credit/balances returns them,
// a token's chart has axes and a readout that agree with the API's transfers and balance,
// a transfer mined while the page is open shows after a refresh, a bad address shows the 422's
// message, the URL carries the chain and owner (the back button restores the account), and a
// cold account on an indexing server shows a progress bar until its answer is there.
// With a server that needs an API key: the page says so, and works once the key is typed (and
// still after a reload: the key is kept in sessionStorage).
// Usage: node tests/browser/explorer.mjs BASE COLD_BASE OWNER ANVIL_URL FUNDER TOKEN ACCOUNT SCREENSHOT_DIR KEYED_BASE KEY
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { chromium } = createRequire(join(root, 'tools', 'package.json'))('playwright-core');
const [base, coldBase, owner, anvil, funder, token, account, shots, keyedBase, key] = process.argv.slice(2);

const api = async (b, query, apiKey) => {
  const res = await fetch(`${b}/v2/credit/balances?${query}`, { headers: apiKey ? { 'x-api-key': apiKey } : {} });
  return { status: res.status, body: await res.json() };
};
const check = (cond, what) => { if (!cond) throw new Error(what); };
const word = (v) => v.toString(16).padStart(64, '0');

// Every row of the table against the API's answer.
async function compare(page, answer) {
  await page.locator('#tokens tbody tr.token').first().waitFor({ timeout: 15000 });
  const rows = await page.locator('#tokens tbody tr.token').evaluateAll((trs) => trs.map((tr) => ({
    token: tr.dataset.token, balance: tr.querySelector('.balance').textContent, usd: tr.querySelector('.usd').textContent,
  })));
  const want = Object.values(answer.balances);
  check(rows.length === want.length, `the page shows ${rows.length} tokens, the API ${want.length}`);
  for (const t of want) {
    const row = rows.find((r) => r.token === t.token_address);
    check(row, `no row for ${t.token_address}`);
    check(row.balance === t.balance_formatted, `${t.token_symbol}: page balance ${row.balance}, API ${t.balance_formatted}`);
    const usd = t.usd_value == null ? '—' : `$${t.usd_value}`;
    check(row.usd === usd, `${t.token_symbol}: page USD ${row.usd}, API ${usd}`);
  }
  check((await page.locator('#account').textContent()) === answer.credit_account_address, 'wrong credit account shown');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // An account: chosen in the form, the URL follows.
  await page.goto(`${base}/`);
  await page.locator('#chain option[value="base"]').waitFor({ state: 'attached' });
  await page.selectOption('#chain', 'base');
  await page.fill('#owner', owner);
  await page.click('#show');
  const query = `chain=base&owner=${owner}`;
  await compare(page, (await api(base, query)).body);
  check(page.url().includes(`chain=base`) && page.url().includes(`owner=${owner}`), `the URL does not name the account: ${page.url()}`);
  await page.locator(`#tokens tbody tr.token[data-token="${token}"]`).click();
  await page.locator('tr.detail table.transfers tbody tr').first().waitFor();
  // The chart's axes and readout against the API's transfers and balance, summed here.
  {
    const t = Object.values((await api(base, query)).body.balances).find((b) => b.token_address === token);
    const scale = 10n ** BigInt(t.token_decimals);
    const fmt = (v) => {
      const frac = (v % scale).toString().padStart(t.token_decimals, '0').slice(0, 6).replace(/0+$/, '');
      return `${v / scale}${frac ? `.${frac}` : ''}`;
    };
    let sum = 0n, high = 0n;
    for (const x of t.transfers) { sum += x.direction === 'in' ? BigInt(x.amount) : -BigInt(x.amount); if (sum > high) high = sum; }
    check(sum >= 0n && BigInt(t.balance) === sum, `the transfers sum to ${sum}, the balance is ${t.balance}`);
    const shown = async (sel) => (await page.locator(`tr.detail .chart ${sel}`).textContent()).trim();
    check(await shown('.y .high') === fmt(high), `chart top ${await shown('.y .high')}, highest balance ${fmt(high)}`);
    check(await shown('.y .low') === '0', `chart floor ${await shown('.y .low')}`);
    const n = t.transfers.length;
    const last = `after transfer ${n} of ${n}`;
    check((await shown('.readout')).startsWith(last) && (await shown('.readout')).endsWith(`: ${t.balance_formatted} ${t.token_symbol}`),
      `readout "${await shown('.readout')}", balance ${t.balance_formatted}`);
    check(await shown('.x .last') === t.transfers[n - 1].block_timestamp.replace('T', ' ').replace('Z', ''), 'x axis end');
    const svg = page.locator('tr.detail .chart svg');
    const box = await svg.boundingBox();
    await svg.hover({ position: { x: 4, y: box.height / 2 } });  // inside its border
    check((await shown('.readout')).startsWith(`after transfer 1 of ${n} `), `readout at the left edge: "${await shown('.readout')}"`);
    await svg.hover({ position: { x: box.width - 4, y: box.height / 2 } });
    check((await shown('.readout')).startsWith(last), `readout at the right edge: "${await shown('.readout')}"`);
  }
  if (shots) await page.screenshot({ path: join(shots, 'explorer-account.png') });

  // A transfer mined while the page is open shows after a refresh.
  const before = (await api(base, query)).body;
  const tx = await fetch(anvil, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'eth_sendTransaction',
    params: [{ from: funder, to: token, data: `0xa9059cbb${word(account.slice(2))}${word(4242)}` }] }) });
  const sent = await tx.json();
  check(!sent.error, `the transfer was not sent: ${JSON.stringify(sent)}`);
  let receipt = {};
  for (let i = 0; i < 100 && !receipt.result; ++i) {  // anvil mines it a moment later
    await new Promise((r) => setTimeout(r, 50));
    receipt = await (await fetch(anvil, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({
      jsonrpc: '2.0', id: 2, method: 'eth_getTransactionReceipt', params: [sent.result] }) })).json();
  }
  check(receipt.result && receipt.result.status === '0x1', `the transfer failed: ${JSON.stringify(receipt)}`);
  const after = (await api(base, query)).body;
  check(JSON.stringify(after) !== JSON.stringify(before), 'the API did not change after the transfer');
  await page.reload();
  await compare(page, after);

  // A bad address: the 422's message.
  const bad = await api(base, 'chain=base&owner=0x1234');
  check(bad.status === 422, `the API answered ${bad.status} for a bad address`);
  await page.fill('#owner', '0x1234');
  await page.click('#show');
  await page.locator('#message').waitFor({ state: 'visible' });
  const shown = await page.locator('#message').textContent();
  check(shown === bad.body.detail[0].msg, `the page said "${shown}", the 422 says "${bad.body.detail[0].msg}"`);
  if (shots) await page.screenshot({ path: join(shots, 'explorer-error.png') });
  await page.goBack();
  await compare(page, after);  // the back button brings the account back

  // A cold account on an indexing server: a progress bar, then the answer.
  const cold = await browser.newPage({ viewport: { width: 1200, height: 400 } });
  cold.on('pageerror', (e) => errors.push(e.message));
  await cold.goto(`${coldBase}/?${query}`);
  await cold.locator('#progress').waitFor({ state: 'visible', timeout: 15000 });
  if (shots) await cold.screenshot({ path: join(shots, 'explorer-backfill.png') });
  await cold.locator('#tokens tbody tr.token').first().waitFor({ timeout: 30000 });  // the page asked again
  const warm = await api(coldBase, query);
  check(warm.status === 200, `the indexing server answered ${warm.status} after the page had its answer`);
  await compare(cold, warm.body);
  check(await cold.locator('#progress').isHidden(), 'the progress bar stayed');

  // API keys on: a plain sentence first, the answer once the key is typed, and after a reload.
  const keyed = await browser.newPage();
  keyed.on('pageerror', (e) => errors.push(e.message));
  await keyed.goto(`${keyedBase}/?${query}`);
  await keyed.locator('#message').waitFor({ state: 'visible' });
  const asked = await keyed.locator('#message').textContent();
  check(asked.includes('API key'), `without a key the page said "${asked}"`);
  await keyed.fill('#apikey', key);
  await keyed.click('#show');
  const withKey = await api(keyedBase, query, key);
  check(withKey.status === 200, `the keyed server answered ${withKey.status} with the key`);
  await compare(keyed, withKey.body);
  await keyed.reload();
  await compare(keyed, withKey.body);

  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  console.log('explorer ok');
} finally {
  await browser.close();
}
