// Compiles contracts/*.sol with solc (npm) and bundles them with the Safe v1.4.1 artifacts into
// one JSON file: { "<Name>": { "bytecode": "0x..", "deployedBytecode": "0x.." }, ... }.
// Usage: node scripts/compile-contracts.mjs OUT.json
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'tools', 'package.json'));
const solc = require('solc');

const sources = {};
for (const f of readdirSync(join(root, 'contracts')).filter((f) => f.endsWith('.sol')))
  sources[f] = { content: readFileSync(join(root, 'contracts', f), 'utf8') };
const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const out = {};
for (const file of Object.keys(output.contracts))
  for (const [name, c] of Object.entries(output.contracts[file]))
    out[name] = { bytecode: '0x' + c.evm.bytecode.object, deployedBytecode: '0x' + c.evm.deployedBytecode.object };

const safeDir = join(root, 'tools', 'node_modules', '@safe-global', 'safe-contracts', 'build', 'artifacts', 'contracts');
for (const [name, rel] of [
  ['SafeL2', 'SafeL2.sol/SafeL2.json'],
  ['SafeProxyFactory', 'proxies/SafeProxyFactory.sol/SafeProxyFactory.json'],
  ['CompatibilityFallbackHandler', 'handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json'],
]) {
  const a = JSON.parse(readFileSync(join(safeDir, rel), 'utf8'));
  out[name] = { bytecode: a.bytecode, deployedBytecode: a.deployedBytecode };
}
writeFileSync(process.argv[2], JSON.stringify(out));
