/**
 * The documentation runs: every code block of README.md and docs/*.md that the line
 * `<!-- runnable -->` precedes is run, as written, against a real Colony started here (`<!-- runnable:
 * auth -->`: one with JWT_SECRET set, and the snippet sees the same JWT_SECRET). The one change is
 * the address: `localhost:4000` becomes this server's. `sh` blocks run with bash (an
 * answer carrying "errors" fails them); `js` blocks run with plain node, and `ts` blocks with
 * tsx, as files of a user's project where @colony/client is the built package (support/consumer.ts).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { createConsumer, ROOT, type Consumer } from '../support/consumer.js';
import { SECRET } from '../support/tokens.js';

export interface Snippet {
  file: string;
  line: number;
  lang: string;
  code: string;
  /** Run against a server with JWT_SECRET set, the snippet seeing the same JWT_SECRET. */
  auth: boolean;
}

/** `<!-- runnable -->`, or `<!-- runnable: auth -->` for a block that needs authentication on. */
const MARKER = /^<!-- runnable(?:: (auth))? -->$/;

/** The runnable blocks of one Markdown text: a marker line, blank lines, then a fenced block. */
export function runnableBlocks(file: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]!.trim());
    if (!marker) continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    const open = /^```(\w+)\s*$/.exec(lines[j] ?? '');
    if (!open) throw new Error(`${file}:${i + 1}: ${MARKER} is not followed by a fenced code block`);
    const end = lines.findIndex((l, k) => k > j && l.startsWith('```'));
    if (end < 0) throw new Error(`${file}:${j + 1}: the code block never closes`);
    found.push({
      file,
      line: j + 1,
      lang: open[1]!,
      code: lines.slice(j + 1, end).join('\n'),
      auth: Boolean(marker[1]),
    });
    i = end;
  }
  return found;
}

const documents = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const snippets = documents.flatMap((file) => runnableBlocks(file, readFileSync(join(ROOT, file), 'utf8')));

function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeout = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      command,
      args,
      { cwd, timeout, env: { ...process.env, NO_COLOR: '1', ...env } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

let t: TestApp;
let secured: TestApp;
let consumer: Consumer;
beforeAll(async () => {
  t = await startApp();
  secured = await startApp({ JWT_SECRET: SECRET });
  consumer = createConsumer();
});
afterAll(async () => {
  consumer?.dispose();
  await secured?.stop();
  await t?.stop();
});

describe('the documentation', () => {
  it('marks its examples runnable: the README, the API and every client', () => {
    const count = (file: string) => snippets.filter((s) => s.file === file).length;
    expect(count('README.md')).toBeGreaterThanOrEqual(2);
    expect(count('docs/clients.md')).toBeGreaterThanOrEqual(5);
    expect(count('docs/api.md')).toBeGreaterThanOrEqual(1);
    expect(snippets.filter((s) => s.auth).length).toBeGreaterThanOrEqual(2);
    for (const s of snippets) expect(['sh', 'js', 'ts'], `${s.file}:${s.line}`).toContain(s.lang);
  });

  it.each(snippets.map((s) => [`${s.file}:${s.line} (${s.lang})`, s] as const))(
    'runs %s',
    async (_, snippet) => {
      const server = snippet.auth ? secured : t;
      const env: Record<string, string> = snippet.auth ? { JWT_SECRET: SECRET } : {};
      const code = snippet.code.replaceAll('localhost:4000', new URL(server.url).host);
      const name = `snippet-${snippet.file.replace(/\W/g, '-')}-${snippet.line}`;
      if (snippet.lang === 'sh') {
        const file = consumer.write(`${name}.sh`, `set -euo pipefail\n${code}\n`);
        const output = await run('bash', [file], ROOT, env);
        expect(output, 'an answer with errors').not.toContain('"errors"');
        expect(output.trim(), 'the commands printed nothing').not.toBe('');
      } else {
        const file = consumer.write(`${name}.${snippet.lang === 'ts' ? 'ts' : 'mjs'}`, code);
        const args = snippet.lang === 'ts' ? ['--import', 'tsx', file] : [file];
        const output = await run(process.execPath, args, consumer.dir, env);
        expect(output.trim(), 'the program printed nothing').not.toBe('');
      }
    },
  );
});
