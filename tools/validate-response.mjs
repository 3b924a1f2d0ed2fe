// Validates a JSON document against a schema of the published OpenAPI 3.1 spec with Ajv
// (JSON Schema 2020-12, as OpenAPI 3.1 uses), formats included.
// Usage: node tools/validate-response.mjs SPEC.yaml SCHEMA_NAME BODY.json   (exit 0 = valid)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');

const [specPath, schemaName, bodyPath] = process.argv.slice(2);
const spec = yaml.load(readFileSync(specPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'spec', components: spec.components });
const validate = ajv.compile({ $ref: `spec#/components/schemas/${schemaName}` });
const body = JSON.parse(readFileSync(bodyPath, 'utf8'));
if (!validate(body)) {
  console.error(JSON.stringify(validate.errors, null, 1));
  process.exit(1);
}
console.log('valid');
