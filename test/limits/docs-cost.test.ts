/**
 * The worked examples of docs/limits.md cost what the page says: each ```graphql block that starts
 * with `# cost: N` is priced at validation (variables unknown) and must come to N, and an example
 * that says what it spends with given variables is priced with them. A change to the model that the
 * page does not follow fails here.
 */
import { readFileSync } from 'node:fs';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { buildSchema } from '../../src/schema/index.js';
import { requestCost } from '../../src/schema/cost-limit.js';
import { COST_MODEL } from '../../src/transport/limits.js';

const page = readFileSync(new URL('../../docs/limits.md', import.meta.url), 'utf8');
const schema = buildSchema();
const examples = [...page.matchAll(/```graphql\n# cost: (\d+)\n([\s\S]*?)```([\s\S]*?)(?=```|$)/g)].map(
  (m) => ({
    cost: Number(m[1]),
    text: m[2] ?? '',
    after: m[3] ?? '',
  }),
);

describe('docs/limits.md', () => {
  it('has two worked examples', () => {
    expect(examples).toHaveLength(2);
  });

  it.each(examples.map((e, i) => [i + 1, e] as const))('example %i costs what it says', (_, example) => {
    const document = parse(example.text);
    expect(validate(schema, document)).toEqual([]);
    expect(requestCost(schema, document, undefined, COST_MODEL, null)).toBe(example.cost);
    // "Sent with { "n": 10 } it spends 690": priced with those variables.
    const sent = /Sent with `(\{.*?\})` it spends (\d+)/.exec(example.after);
    if (sent) {
      const variables = JSON.parse(sent[1] ?? '{}') as Record<string, unknown>;
      expect(requestCost(schema, document, undefined, COST_MODEL, variables)).toBe(Number(sent[2]));
    }
  });

  it('lists every setting of the limits with its default', () => {
    const env = parseConfig({}, 'x');
    expect(env.limits).toBeDefined();
    const settings = [
      ...readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8').matchAll(
        /^\s+((?:GRAPHQL|WS|MUTATION|RESPONSE|EXPENSIVE|COST|SSE|TOKEN|SUBSCRIBER)_[A-Z_]+):/gm,
      ),
    ].map((m) => m[1]);
    expect(settings.length).toBeGreaterThan(15);
    for (const setting of settings) expect(page, setting).toContain(`| \`${setting}\``);
  });
});
