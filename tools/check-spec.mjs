// Keeps spec/credit-balances.openapi.yaml honest: every schema compiles as JSON Schema 2020-12 (the
// dialect of OpenAPI 3.1) with every $ref resolved, and every example the spec gives (per property,
// and the response assembled from them) validates against the schema it illustrates. A mutated copy
// with one wrong example must be rejected, so the check cannot pass by checking nothing.
// Usage: node tools/check-spec.mjs SPEC.yaml   (exit 0 = consistent)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');

function problems(spec) {
  const out = [];
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'spec', components: spec.components });
  const compile = (ref) => {
    try {
      return ajv.compile({ $ref: `spec#${ref}` });
    } catch (e) {
      out.push(`${ref}: ${e.message}`);
      return null;
    }
  };
  const expect = (validate, value, where) => {
    if (validate && !validate(value)) out.push(`${where}: ${JSON.stringify(validate.errors)}`);
  };
  const schemas = spec.components?.schemas ?? {};
  if (!Object.keys(schemas).length) out.push('components.schemas is empty');
  for (const [name, schema] of Object.entries(schemas)) {
    compile(`/components/schemas/${name}`);
    for (const [prop, sub] of Object.entries(schema.properties ?? {})) {
      const validate = compile(`/components/schemas/${name}/properties/${prop}`);
      (sub.examples ?? []).forEach((ex, i) => expect(validate, ex, `${name}.${prop}.examples[${i}]`));
      if ('example' in sub) expect(validate, sub.example, `${name}.${prop}.example`);
    }
  }
  // The operation's schemas must resolve too.
  for (const [path, item] of Object.entries(spec.paths ?? {}))
    for (const [method, op] of Object.entries(item))
      for (const [status, resp] of Object.entries(op.responses ?? {})) {
        const ref = resp.content?.['application/json']?.schema?.$ref;
        if (ref && !ref.startsWith('#/components/schemas/')) out.push(`${method} ${path} ${status}: unexpected $ref ${ref}`);
        else if (ref) compile(ref.slice(1));
      }
  // The response the examples describe, assembled, is a valid response.
  const resp = schemas.CreditBalancesResponse?.properties;
  if (!resp) out.push('CreditBalancesResponse has no properties');
  else {
    const assembled = {
      credit_account_address: resp.credit_account_address.examples?.[0],
      balances: resp.balances.example,
      total_usd_value: resp.total_usd_value.example,
    };
    expect(compile('/components/schemas/CreditBalancesResponse'), assembled, 'assembled CreditBalancesResponse example');
  }
  return out;
}

const specPath = process.argv[2];
const text = readFileSync(specPath, 'utf8');
const found = problems(yaml.load(text));
const broken = yaml.load(text);
broken.components.schemas.CreditBalancesResponse.properties.balances.example.USDC.token_decimals = 'six';
if (!problems(broken).length) found.push('self-test: a wrong example was not detected');
if (found.length) {
  console.error(found.join('\n'));
  process.exit(1);
}
console.log(`${specPath}: ${Object.keys(yaml.load(text).components.schemas).length} schemas, examples valid`);
