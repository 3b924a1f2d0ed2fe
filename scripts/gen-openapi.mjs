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
// Issue 13: the opt-in extras of the balances route and the routes beside it.
const [chainParam, ownerParam] = op.parameters;
const q = (name, schema, description) => ({ name, in: 'query', required: false, schema, description });
const blockParam = q('block', { type: 'string', pattern: '^([0-9]+|latest|safe|finalized)$', default: 'latest', title: 'Block' },
  "Answer as of this block: a number, or 'latest', 'safe', 'finalized' (the node's tags; without them head minus finality_depth). Transfers up to it, balanceOf and Chainlink prices at it (the HTTP price source gives null), X-Block-Number = it. 422 above the head or below start_block; 503 when the node cannot serve that state.");
op.parameters = [
  chainParam, ownerParam, blockParam,
  q('transfers_limit', { type: 'integer', minimum: 0, maximum: 100000, title: 'Transfers Limit' },
    'Keep the last N transfers of each token (ascending) and add transfers_total.'),
  q('reconcile', { type: 'boolean', default: false, title: 'Reconcile' },
    'Add reconciliation: expected_balance (sum in - sum out), difference (balance - expected), reconciled.'),
  q('spam', { type: 'string', enum: ['flag', 'exclude', 'off'], default: 'off', title: 'Spam' },
    'flag: add spam {flagged, reasons} (symbol_impersonation, no_balance_of, zero_value_only); exclude: drop flagged tokens from balances and the total.'),
  q('native', { type: 'boolean', default: false, title: 'Native' },
    "Add native: the chain's coin (eth_getBalance at the answer's block), null on chains without one."),
];
const cacheHeaders = {
  'X-Block-Number': { description: 'The block the answer describes', schema: { type: 'integer' } },
  ETag: { description: 'Strong validator of the body; changes exactly when the body does', schema: { type: 'string' } },
  'Cache-Control': { description: "no-cache, or 'public, max-age=31536000, immutable' at or below finalized", schema: { type: 'string' } },
  Vary: { schema: { type: 'string', enum: ['Accept-Encoding'] } },
};
op.responses['200'].headers = cacheHeaders;
op.responses['304'] = { description: 'Not Modified: If-None-Match matched the ETag', headers: cacheHeaders };
for (const name of ['If-None-Match', 'Accept-Encoding']) op.parameters.push({ name, in: 'header', required: false, schema: { type: 'string' } });
const tokenObject = spec.components.schemas.TokenBalance ?? null;
spec.components.schemas.CreditTransferRow = {
  type: 'object',
  title: 'CreditTransferRow',
  description: "A transfer as in the balances answer, plus log_index, token_address and token_symbol.",
  properties: {
    from_address: { type: 'string' }, to_address: { type: 'string' }, amount: { type: 'string' },
    amount_formatted: { type: 'string' }, block_number: { type: 'integer' }, block_timestamp: { type: 'string' },
    transaction_hash: { type: 'string' }, direction: { type: 'string', enum: ['in', 'out'] },
    log_index: { type: 'integer' }, token_address: { type: 'string' }, token_symbol: { type: 'string' },
  },
};
spec.paths['/v2/credit/transfers'] = {
  get: {
    tags: ['Credit'],
    summary: 'Every transfer of a credit account, paged by a position cursor, or all of them as CSV',
    operationId: 'v2_credit_transfers',
    parameters: [
      chainParam, ownerParam,
      q('token', { type: 'string', title: 'Token' }, 'Only this token.'),
      q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100, title: 'Limit' }, 'Transfers per page.'),
      q('cursor', { type: 'string', title: 'Cursor' }, "next_cursor of the previous page (a position: rows arriving later neither shift nor repeat)."),
      blockParam,
      q('format', { type: 'string', enum: ['json', 'csv'], default: 'json', title: 'Format' },
        'csv (or Accept: text/csv): every row, RFC 4180, streamed.'),
    ],
    responses: {
      '200': {
        description: 'Ascending (block_number, log_index)',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                credit_account_address: { type: 'string' },
                transfers: { type: 'array', items: { $ref: '#/components/schemas/CreditTransferRow' } },
                next_cursor: { anyOf: [{ type: 'string' }, { type: 'null' }] },
              },
              required: ['credit_account_address', 'transfers', 'next_cursor'],
            },
          },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      '401': op.responses['401'], '422': op.responses['422'], '503': op.responses['503'],
    },
  },
};
spec.paths['/v2/credit/balances/all'] = {
  get: {
    tags: ['Credit'],
    summary: 'The balances answer of every configured chain at once',
    operationId: 'v2_credit_balances_all',
    parameters: [ownerParam, ...op.parameters.slice(2).filter((p) => p.in === 'query')],
    responses: {
      '200': {
        description: 'Chains that answered under chains, the others under errors',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                owner: { type: 'string' },
                chains: { type: 'object', additionalProperties: { $ref: '#/components/schemas/CreditBalancesResponse' } },
                errors: {
                  type: 'object',
                  additionalProperties: { type: 'object', properties: { status: { type: 'integer' }, detail: {} } },
                },
                total_usd_value: { anyOf: [{ type: 'string' }, { type: 'null' }] },
              },
              required: ['owner', 'chains', 'errors', 'total_usd_value'],
            },
          },
        },
      },
      '401': op.responses['401'], '422': op.responses['422'],
      '503': { ...detail, description: 'Every chain failed' },
    },
  },
};
spec.paths['/v2/credit/balances/stream'] = {
  get: {
    tags: ['Credit'],
    summary: 'Server-sent events: the balances body each time it changes',
    operationId: 'v2_credit_balances_stream',
    parameters: [...op.parameters.filter((p) => p.in === 'query'),
      { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } }],
    responses: {
      '200': {
        description: "event: balances, id: <block>, data: <the body GET returns>; ': ping' every 15 s",
        content: { 'text/event-stream': { schema: { type: 'string' } } },
      },
      '401': op.responses['401'], '422': op.responses['422'],
      '503': { ...detail, description: 'server.max_streams streams are open, or the chain failed' },
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
spec.paths['/'] = plain('The explorer page: one account for a person (also at /explorer)', 'text/html');
spec.paths['/explorer'] = plain('The explorer page', 'text/html');
spec.paths['/docs'] = plain('Interactive API docs: Swagger UI over /openapi.json, embedded in the binary', 'text/html');
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
