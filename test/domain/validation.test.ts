/** How bad input is refused: which patches count as a change, and how problems are named. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LIMITS, nestsDeeperThan, parseInput } from '../../src/domain/validation.js';
import { errorOf, expectRefused, fleet } from './fleet.js';

describe('an agent update', () => {
  it('takes `metadata: null` alone as a change: it clears the metadata', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't', metadata: { keep: false } });
    const updated = await f.colony.agents.update(agent.id, { metadata: null });
    expect(updated).toMatchObject({ metadata: null, name: 'a', type: 't' });
    expect(await f.colony.agents.get(agent.id)).toMatchObject({ metadata: null });
  });

  it.each([
    ['only nulls', { name: null, type: null, capabilities: null }],
    ['nulls and an absent metadata', { name: null, capabilities: null, metadata: undefined }],
  ])('refuses a patch of %s: it would change nothing', async (_, patch) => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't' });
    const error = await expectRefused(f, () => f.colony.agents.update(agent.id, patch), 'BAD_USER_INPUT');
    expect(error.message).toBe('give at least one field to change');
  });

  it.each([
    ['name', { name: 'b' }],
    ['type', { type: 'u' }],
    ['capabilities', { capabilities: [] }],
  ])('takes a patch of %s alone, with the other fields null', async (_, patch) => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't', capabilities: ['x'] });
    const nulls = { name: null, type: null, capabilities: null };
    const updated = await f.colony.agents.update(agent.id, { ...nulls, ...patch });
    expect(updated).toEqual({ ...agent, ...patch });
  });
});

describe('a refusal', () => {
  it('prefixes a nested problem with its path, in the message and in extensions.problems', async () => {
    const f = fleet();
    const error = await expectRefused(
      f,
      () => f.colony.agents.create({ name: 'a', type: 't', capabilities: ['ok', ' '] }),
      'BAD_USER_INPUT',
    );
    expect(error.message).toBe('capabilities.1: a capability must not be empty');
    expect(error.details).toEqual({
      problems: [{ path: ['capabilities', '1'], message: 'a capability must not be empty' }],
    });
  });

  it('does not repeat a field that the message already names, and lists every problem', async () => {
    const f = fleet();
    const error = await expectRefused(
      f,
      () => f.colony.tasks.create({ title: ' ', priority: 11, requiredCapabilities: [''] }),
      'BAD_USER_INPUT',
    );
    expect(error.message).toBe(
      'title must not be empty; priority must be between 0 and 10; requiredCapabilities.0: a capability must not be empty',
    );
    expect(error.details['problems']).toEqual([
      { path: ['title'], message: 'title must not be empty' },
      { path: ['priority'], message: 'priority must be between 0 and 10' },
      { path: ['requiredCapabilities', '0'], message: 'a capability must not be empty' },
    ]);
  });

  it('names a top-level value without a path', async () => {
    const error = await errorOf(Promise.resolve().then(() => parseInput(z.string().min(1, 'empty'), '')));
    expect(error.message).toBe('empty');
    expect(error.details).toEqual({ problems: [{ path: [], message: 'empty' }] });
  });

  it('prefixes a field whose message does not start with its name', async () => {
    const schema = z.object({ outer: z.object({ inner: z.number({ message: 'a number, please' }) }) });
    const error = await errorOf(Promise.resolve().then(() => parseInput(schema, { outer: { inner: 'x' } })));
    expect(error.message).toBe('outer.inner: a number, please');
  });
});

/** `levels` arrays inside one another around `leaf`: `nested(2)` is `[[0]]`. */
function nested(levels: number, leaf: unknown = 0): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('JSON depth', () => {
  it('counts each object or array as one level, and scalars as none', () => {
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1] }, 1)).toBe(true);
    expect(nestsDeeperThan({ a: [1] }, 2)).toBe(false);
    expect(nestsDeeperThan(nested(5), 4)).toBe(true);
    expect(nestsDeeperThan(nested(5), 5)).toBe(false);
  });

  it('finds the deepest branch wherever it is', () => {
    const wide = { a: 1, b: [2, 3], c: { d: nested(3) }, e: 'x' };
    expect(nestsDeeperThan(wide, 4)).toBe(true);
    expect(nestsDeeperThan(wide, 5)).toBe(false);
    expect(nestsDeeperThan([nested(1), nested(6), nested(2)], 6)).toBe(true);
  });

  it('answers for a value nested a hundred thousand deep without overflowing', () => {
    expect(nestsDeeperThan(nested(100_000), LIMITS.jsonDepth)).toBe(true);
  });

  it(`takes ${LIMITS.jsonDepth} levels in any JSON input and refuses ${LIMITS.jsonDepth + 1}, writing nothing`, async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({
      name: 'a',
      type: 't',
      metadata: nested(LIMITS.jsonDepth) as never,
    });
    expect(agent.metadata).toEqual(nested(LIMITS.jsonDepth));
    const error = await expectRefused(
      f,
      () => f.colony.agents.create({ name: 'b', type: 't', metadata: nested(LIMITS.jsonDepth + 1) as never }),
      'BAD_USER_INPUT',
    );
    expect(error.message).toBe(`metadata must nest at most ${LIMITS.jsonDepth} levels deep`);
    await expectRefused(
      f,
      () => f.colony.tasks.create({ title: 't', input: nested(100_000) as never }),
      'BAD_USER_INPUT',
    );
  });

  it('checks the size of a value only once its depth is fine, and names one problem', async () => {
    const f = fleet();
    const big = { blob: 'x'.repeat(LIMITS.metadataBytes) };
    const error = await expectRefused(
      f,
      () => f.colony.agents.create({ name: 'a', type: 't', metadata: big }),
      'BAD_USER_INPUT',
    );
    expect(error.message).toBe('metadata must be at most 16 KiB as JSON');
    const deepAndBig = nested(LIMITS.jsonDepth + 1, 'x'.repeat(LIMITS.metadataBytes));
    const both = await expectRefused(
      f,
      () => f.colony.agents.create({ name: 'a', type: 't', metadata: deepAndBig as never }),
      'BAD_USER_INPUT',
    );
    expect(both.details['problems']).toHaveLength(1);
  });
});
