/* global URL, console, process */
/**
 * Builds @colony/client (client/) into client/dist: JavaScript for Node and bundlers, with .d.ts
 * declarations, at install (the root `prepare` script, before the dashboard). A production install
 * without dev dependencies has no TypeScript: it skips (the server does not use the client).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('../client/tsconfig.json', import.meta.url));
if (!existsSync(project)) {
  console.log('client: no client/ here, nothing to build.');
  process.exit(0);
}
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.log('client: TypeScript is not installed (production install), so the build is skipped.');
  process.exit(0);
}
const started = Date.now();
execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
console.log(`client: built into client/dist in ${Date.now() - started} ms.`);
