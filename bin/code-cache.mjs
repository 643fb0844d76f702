// Build step: the CLI as one CommonJS file plus a V8 code cache for it, so that
// bin/airlock skips parsing and compiling 2 MB of JavaScript on every start
// (measured: module load ~180-250 ms down to ~80-90 ms on the bench machine).
// ESM has no code-cache hook in Node 20 (module.enableCompileCache is Node 22),
// hence the CommonJS twin of dist/airlock.mjs, run through vm.Script.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const file = join(dist, 'airlock.cjs');
await build({
  entryPoints: [join(dist, 'cli', 'main.js')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  outfile: file,
  // version.ts and the schema loader locate files next to themselves.
  define: { 'import.meta.url': '__airlock_url' },
  banner: { js: "const __airlock_url = require('node:url').pathToFileURL(__filename).href;" },
});
const source = readFileSync(file, 'utf8');
const script = new vm.Script(Module.wrap(source), { filename: file });
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dist);
// The cache is only used for the exact source it was made from: V8 itself checks
// little more than the source length.
const hash = createHash('sha256').update(source).digest();
writeFileSync(`${file}.cache`, Buffer.concat([hash, script.createCachedData()]));
