/** The worker in docs/liveness.md is the file the liveness tests run, so the example cannot drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docs/liveness.md', () => {
  it('shows the worker exactly as test/liveness/worker.ts runs it', () => {
    const doc = read('docs/liveness.md');
    const block =
      /<!-- worker: test\/liveness\/worker\.ts -->\n<!-- prettier-ignore -->\n```ts\n([\s\S]*?)```/.exec(
        doc,
      )?.[1];
    expect(block).toBe(read('test/liveness/worker.ts'));
  });
});
