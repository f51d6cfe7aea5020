/**
 * A project of a user's, as far as module resolution goes: a folder whose node_modules has
 * @colony/client (a link to client/, as `npm install <path to colony>/client` makes), and whose
 * other imports (ws, graphql-ws, urql, Apollo) resolve to this repository's node_modules, one level
 * up. Scripts written there run with plain `node`: no tsx, no path mapping.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Consumer {
  dir: string;
  /** Writes a file into the project. */
  write(name: string, text: string): string;
  /** Runs `node <file>` there; resolves with stdout, rejects with stderr on a non-zero exit. */
  node(file: string, env?: Record<string, string>, timeoutMs?: number): Promise<string>;
  dispose(): void;
}

export function createConsumer(): Consumer {
  const built = join(ROOT, 'client/dist/index.js');
  if (!existsSync(built))
    throw new Error('client/dist is missing: npm install builds it (or npm run client:build)');
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'tmp', 'consumer-'));
  mkdirSync(join(dir, 'node_modules/@colony'), { recursive: true });
  symlinkSync(join(ROOT, 'client'), join(dir, 'node_modules/@colony/client'), 'dir');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    node(file, env = {}, timeoutMs = 30_000) {
      return new Promise((resolve, reject) =>
        execFile(
          process.execPath,
          [file],
          { cwd: dir, env: { ...process.env, ...env }, timeout: timeoutMs },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
