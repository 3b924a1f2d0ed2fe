// Drives Debian's chromium through npm playwright-core against a running server: /docs renders
// the balances operation from the server's own /openapi.json, and "Try it out" gets a 200 whose
// body names the expected credit account.
// Usage: node tests/browser/docs.mjs BASE_URL OWNER CREDIT_ACCOUNT [SCREENSHOT.png]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { chromium } = createRequire(join(root, 'tools', 'package.json'))('playwright-core');
const [base, owner, account, screenshot] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  const failures = [];
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()}`));
  await page.goto(`${base}/docs`);
  const op = page.locator('#operations-Credit-v2_credit_balances');
  await op.locator('.opblock-summary').click({ timeout: 15000 });
  await op.getByRole('button', { name: 'Try it out' }).click();
  await op.locator('tr[data-param-name="chain"] select').selectOption('base');
  await op.locator('tr[data-param-name="owner"] input').fill(owner);
  await op.getByRole('button', { name: 'Execute' }).click();
  const status = op.locator('.live-responses-table tbody .response-col_status').first();
  await status.waitFor({ timeout: 15000 });
  const code = (await status.textContent()).trim();
  const body = (await op.locator('.live-responses-table tbody .response-col_description pre').first().textContent()).trim();
  if (code !== '200') throw new Error(`Try it out answered ${code}: ${body}`);
  const answer = JSON.parse(body);
  if (answer.credit_account_address !== account)
    throw new Error(`Try it out showed account ${answer.credit_account_address}, expected ${account}`);
  if (failures.length) throw new Error(failures.join('\n'));
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`docs ok: Try it out answered 200 for ${account}`);
} finally {
  await browser.close();
}
