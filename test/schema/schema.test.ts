import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema as fromSdl, findBreakingChanges, printSchema, validateSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/schema/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const committed = readFileSync(`${root}schema.graphql`, 'utf8');
// The public contract lives in the repository, so that a clone passes on its own; where the steering
// copy sits beside the clone (../shared), the two must be identical.
const contractPath = `${root}test/contract/contract.graphql`;
const sharedContractPath = `${root}../shared/contract.graphql`;

describe('the schema', () => {
  it('is valid', () => {
    expect(validateSchema(buildSchema())).toEqual([]);
  });

  it('matches the committed schema.graphql (run `npm run schema:print` when this fails)', () => {
    expect(committed).toBe(`${printSchema(buildSchema())}\n`);
  });

  it('keeps every name and shape of the public contract', () => {
    const contract = fromSdl(readFileSync(contractPath, 'utf8'));
    const breaking = findBreakingChanges(contract, fromSdl(committed)).map((c) => c.description);
    expect(breaking).toEqual([]);
  });

  it.runIf(existsSync(sharedContractPath))('keeps its copy of the contract identical to ../shared', () => {
    expect(readFileSync(contractPath, 'utf8')).toBe(readFileSync(sharedContractPath, 'utf8'));
  });
});

describe("GraphiQL's starting document", () => {
  it('is valid against the schema, so the tour runs as written', async () => {
    const { parse, validate } = await import('graphql');
    const { DEFAULT_QUERY } = await import('../../src/transport/yoga.js');
    expect(validate(buildSchema(), parse(DEFAULT_QUERY)).map((e) => e.message)).toEqual([]);
  });
});
