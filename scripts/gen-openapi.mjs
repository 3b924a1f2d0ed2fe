// Regenerates src/api/openapi.json, the description /openapi.json serves, from the published spec
// (spec/credit-balances.openapi.yaml) plus what this server adds (401/503 answers, health and metrics routes).
// Run: node scripts/gen-openapi.mjs           (needs tools/node_modules: make deps)
//      node scripts/gen-openapi.mjs --check   exit 1 when src/api/openapi.json is not what it would write
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'tools', 'package.json'));
const yaml = require('js-yaml');

const spec = yaml.load(readFileSync(join(root, 'spec', 'credit-balances.openapi.yaml'), 'utf8'));
spec.info.title = 'creditscope';
spec.info.description = 'Self-hosted implementation of GET /v2/credit/balances';
spec.servers = [{ url: 'http://127.0.0.1:8080', description: 'Local creditscope' }];
const detail = {
  description: 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPError' } } },
};
spec.components.schemas.HTTPError = {
  type: 'object',
  properties: { detail: { type: 'string' } },
  required: ['detail'],
  title: 'HTTPError',
};
const op = spec.paths['/v2/credit/balances'].get;
delete op['x-codeSamples'];
op.responses['200'].headers = {
  'X-Block-Number': { description: 'The block the answer describes', schema: { type: 'integer' } },
};
op.responses['401'] = { ...detail, description: 'Invalid or missing API key' };
const statusProperties = {
  credit_account_address: { type: 'string', title: 'Credit Account Address' },
  state: { type: 'string', enum: ['backfilling', 'ready', 'unknown'], title: 'State' },
  from_block: { type: 'integer', minimum: 0, title: 'First block the backfill covers' },
  to_block: { type: 'integer', minimum: 0, title: 'Head the backfill brings the account to' },
  scanned_through: { type: 'integer', minimum: 0, title: 'Every block up to this one is scanned' },
  progress: { type: 'number', minimum: 0, maximum: 1, title: 'Progress' },
  eta_s: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'null' }], title: 'Estimated seconds left' },
};
const statusRequired = Object.keys(statusProperties);
spec.components.schemas.CreditStatusResponse = {
  type: 'object',
  properties: statusProperties,
  required: statusRequired,
  additionalProperties: false,
  title: 'CreditStatusResponse',
  description: "Where the credit account's history backfill stands.",
};
spec.components.schemas.UnavailableError = {
  type: 'object',
  properties: { detail: { type: 'string' }, ...statusProperties },
  required: ['detail'],
  title: 'UnavailableError',
  description: 'A 503. While the account backfills (its first request), the status fields are present too.',
};
op.responses['503'] = {
  description: 'Chain not configured, its RPC nodes failing, or the account still backfilling; see Retry-After',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/UnavailableError' } } },
  headers: { 'Retry-After': { schema: { type: 'integer' } } },
};
spec.paths['/v2/credit/status'] = {
  get: {
    tags: ['Credit'],
    summary: "Where a credit account's history backfill stands",
    operationId: 'v2_credit_status',
    parameters: op.parameters,
    responses: {
      '200': {
        description: 'Successful Response',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/CreditStatusResponse' } } },
      },
      '401': op.responses['401'],
      '422': op.responses['422'],
      '503': { ...detail, description: 'Chain not configured, or its RPC nodes failing; see Retry-After' },
    },
  },
};
const plain = (summary, type) => ({
  get: { summary, security: [], responses: { '200': { description: 'OK', content: { [type]: {} } } } },
});
spec.paths['/healthz'] = plain('Liveness', 'application/json');
spec.paths['/readyz'] = plain('Readiness: every configured chain answered eth_chainId with its id', 'application/json');
spec.paths['/readyz'].get.responses['503'] = { ...detail, description: 'Not ready yet' };
spec.paths['/metrics'] = plain('Prometheus metrics', 'text/plain');
spec.paths['/openapi.json'] = plain('This description', 'application/json');
const target = join(root, 'src', 'api', 'openapi.json');
const text = JSON.stringify(spec, null, 1) + '\n';
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== text) {
    console.error(`${target} is stale: run node scripts/gen-openapi.mjs`);
    process.exit(1);
  }
  console.log(`${target} is current`);
} else {
  writeFileSync(target, text);
}
