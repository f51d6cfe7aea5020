/**
 * Shared log reads: the same read asked for by many subscribers in one turn reaches the engine once,
 * a read asked for after it was sent is read again (so no answer is older than its question), and
 * every caller gets a page of its own. On the memory engine's real log, counted from outside.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { systemClock, type EventLog } from '../../src/domain/ports.js';
import { SharedReads } from '../../src/realtime/shared-reads.js';

function counted(log: EventLog) {
  const calls: string[] = [];
  const wrapped: EventLog = {
    readAfter: (cursor, limit) => (calls.push(`after ${cursor} ${limit}`), log.readAfter(cursor, limit)),
    readRange: (range) => (calls.push(`range ${JSON.stringify(range)}`), log.readRange(range)),
    lastId: () => (calls.push('last'), log.lastId()),
  };
  return { calls, log: wrapped };
}

async function engineWith(n: number) {
  const engine = createMemoryEngine({ retention: 1000, clock: systemClock });
  const commit = () =>
    engine.store.commit({
      expect: [],
      put: [],
      del: [],
      events: [{ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: null } }],
      timestamp: new Date().toISOString(),
      source: 'shared-reads-test',
    });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await commit())[0]!.id);
  return { engine, commit, ids };
}

describe('shared log reads', () => {
  it('reads once for every caller that asks the same in one turn, each getting its own page', async () => {
    const { engine, ids } = await engineWith(5);
    const { calls, log } = counted(engine.log);
    const reads = new SharedReads(log);
    const pages = await Promise.all(Array.from({ length: 100 }, () => reads.readAfter(ids[0]!, 3)));
    const lasts = await Promise.all([reads.lastId(), reads.lastId()]);
    expect(calls).toEqual([`after ${ids[0]} 3`, 'last']);
    for (const page of pages) expect(page.map((e) => e.id)).toEqual(ids.slice(1, 4));
    // A page consumed by one caller is still whole for the others.
    pages[0]!.shift();
    expect(pages[1]!.map((e) => e.id)).toEqual(ids.slice(1, 4));
    expect(lasts).toEqual([ids[4], ids[4]]);
  });

  it('gives every caller of a shared range read its own page', async () => {
    const { engine, ids } = await engineWith(3);
    const { calls, log } = counted(engine.log);
    const reads = new SharedReads(log);
    const range = { after: null, before: null, limit: 3, newestFirst: true };
    const [first, second] = await Promise.all([reads.readRange(range), reads.readRange(range)]);
    expect(calls).toHaveLength(1);
    first!.shift();
    expect(second!.map((e) => e.id)).toEqual(ids.slice().reverse());
  });

  it('does not share different reads', async () => {
    const { engine, ids } = await engineWith(3);
    const { calls, log } = counted(engine.log);
    const reads = new SharedReads(log);
    await Promise.all([
      reads.readAfter(ids[0]!, 2),
      reads.readAfter(ids[1]!, 2),
      reads.readAfter(ids[0]!, 1),
      reads.readRange({ after: null, before: null, limit: 2, newestFirst: true }),
      reads.readRange({ after: null, before: null, limit: 2, newestFirst: false }),
    ]);
    expect(calls).toHaveLength(5);
  });

  it('reads again for a caller that asks once the read was sent, and sees what was committed since', async () => {
    const { engine, commit, ids } = await engineWith(2);
    const { calls, log } = counted(engine.log);
    const reads = new SharedReads(log);
    const first = reads.lastId();
    // The first read is sent at the end of this turn; this commit and question come after it.
    await new Promise((resolve) => setImmediate(resolve));
    const [newer] = await commit();
    const second = reads.lastId();
    expect(await first).toBe(ids[1]);
    expect(await second).toBe(newer!.id);
    expect(calls).toEqual(['last', 'last']);
  });

  it('gives every caller the error of a failed read, and the next read is tried afresh', async () => {
    const { engine } = await engineWith(1);
    const reads = new SharedReads(engine.log);
    const failed = await Promise.allSettled([
      reads.readAfter('not-a-cursor', 5),
      reads.readAfter('not-a-cursor', 5),
    ]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const codes = failed.map((r) => (r as PromiseRejectedResult).reason.code);
    expect(codes[0]).toBe(codes[1]);
    await expect(reads.readAfter('not-a-cursor', 5)).rejects.toBeTruthy();
  });
});
