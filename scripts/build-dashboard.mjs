/* global URL, console, process */
/**
 * Builds the dashboard into dashboard/dist at install (the root `prepare` script), so `npm start`
 * only serves files. A production install without dev dependencies has no Vite: it skips, and
 * /dashboard then says how to build.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const config = fileURLToPath(new URL('../dashboard/vite.config.ts', import.meta.url));
if (!existsSync(config)) {
  console.log('dashboard: no dashboard/ here, nothing to build.');
  process.exit(0);
}
let vite;
try {
  vite = await import('vite');
} catch {
  console.log('dashboard: Vite is not installed (production install), so the build is skipped.');
  process.exit(0);
}
const started = Date.now();
await vite.build({ configFile: config, logLevel: 'warn' });
console.log(`dashboard: built into dashboard/dist in ${Date.now() - started} ms.`);
