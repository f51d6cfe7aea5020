/**
 * What positions read of the log's end (log-tip.ts), on the memory engine's real log with its reads
 * counted from outside: the newest event a reader may read, looked for within a bound and never past
 * the id it is asked about, and a heartbeat's reading shared by the streams of the same rights for a
 * moment.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { READ_ALL, type ReadAccess } from '../../src/domain/access/read-access.js';
import { systemClock, type EventLog } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { LogTip, newestReadable, START_SCAN } from '../../src/realtime/log-tip.js';

const onlyRoom = (room: string): ReadAccess => ({ key: `only:${room}`, canRead: (r) => r === room });

/** A log whose reads are counted, and that fails them while `failing` is set. */
function counted(log: EventLog) {
  const calls = { range: 0, last: 0, failing: false };
  const wrapped: EventLog = {
    readAfter: (cursor, limit) => log.readAfter(cursor, limit),
    readRange: (range) => {
      calls.range++;
      return calls.failing ? Promise.reject(new Error('the log is down')) : log.readRange(range);
    },
    lastId: () => {
      calls.last++;
      return log.lastId();
    },
  };
  return { calls, log: wrapped };
}

/** A memory engine whose log holds one event per room given, oldest first; their ids. */
async function logOf(rooms: string[]) {
  const engine = createMemoryEngine({ retention: 5000, clock: systemClock });
  const ids: string[] = [];
  for (let at = 0; at < rooms.length; at += 200) {
    const committed = await engine.store.commit({
      expect: [],
      put: [],
      del: [],
      events: rooms
        .slice(at, at + 200)
        .map((room) => ({ type: 'CUSTOM', rooms: [room], payload: { kind: 'custom', data: null } })),
      timestamp: new Date().toISOString(),
      source: 'log-tip-test',
    });
    ids.push(...committed.map((e) => e.id));
  }
  return { engine, ids, ...counted(engine.log) };
}

/** `n` events in room `other`, after `first` (rooms, oldest first). */
const then = (first: string[], n: number, other = 'b') => [...first, ...Array<string>(n).fill(other)];

describe('the newest event a reader may read', () => {
  it('is the newest id, or the one asked about, for a reader of every room, without reading pages', async () => {
    const { ids, log, calls } = await logOf(['a', 'b', 'c']);
    expect(await newestReadable(log, READ_ALL, undefined, 10)).toBe(ids[2]);
    expect(await newestReadable(log, READ_ALL, ids[0], 10)).toBe(ids[0]);
    expect(await newestReadable(log, READ_ALL, null, 10)).toBeNull();
    expect(calls).toMatchObject({ range: 0, last: 1 });
  });

  it('is the newest in a room the reader may read, the bound itself included', async () => {
    const { ids, log } = await logOf(['a', 'b', 'a', 'b', 'b']);
    expect(await newestReadable(log, onlyRoom('a'), undefined, 10)).toBe(ids[2]);
    expect(await newestReadable(log, onlyRoom('a'), ids[2], 10)).toBe(ids[2]);
    expect(await newestReadable(log, onlyRoom('a'), ids[1], 10)).toBe(ids[0]);
    expect(await newestReadable(log, onlyRoom('b'), ids[2], 10)).toBe(ids[1]);
    expect(await newestReadable(log, onlyRoom('c'), undefined, 10)).toBeNull();
  });

  it('is an event of several rooms when the reader may read only one of them', async () => {
    const { engine, log } = await logOf(['b']);
    const [shared] = await engine.store.commit({
      expect: [],
      put: [],
      del: [],
      events: [{ type: 'CUSTOM', rooms: ['b', 'a'], payload: { kind: 'custom', data: null } }],
      timestamp: new Date().toISOString(),
      source: 'log-tip-test',
    });
    expect(await newestReadable(log, onlyRoom('a'), undefined, 10)).toBe(shared!.id);
  });

  it('is none before the log held anything, without a read', async () => {
    const { log, calls } = await logOf(['a']);
    expect(await newestReadable(log, onlyRoom('a'), null, 10)).toBeNull();
    expect(calls.range).toBe(0);
  });

  it('is looked for across pages up to the bound exactly, and not one event further', async () => {
    // 600 unreadable events after the readable one: two pages of the log (500, then 100).
    const { ids, log, calls } = await logOf(then(['a'], 600));
    expect(await newestReadable(log, onlyRoom('a'), undefined, 601)).toBe(ids[0]);
    expect(calls.range).toBe(2);
    calls.range = 0;
    expect(await newestReadable(log, onlyRoom('a'), undefined, 600)).toBeNull();
    expect(calls.range).toBe(2);
    // A short page is the log's start: nothing older to read.
    calls.range = 0;
    expect(await newestReadable(log, onlyRoom('c'), undefined, 5000)).toBeNull();
    expect(calls.range).toBe(2);
  });

  it('is looked for among the START_SCAN newest for a stream’s first cursor', async () => {
    const { ids, log } = await logOf(then(['a', 'a'], START_SCAN - 1));
    const tip = new LogTip(log);
    const start = ids.at(-1)!;
    expect(await tip.startCursor(onlyRoom('a'), start)).toBe(ids[1]);
    // One more unreadable event, and the newest readable one is out of reach.
    const more = await logOf(then(['a'], START_SCAN));
    expect(await new LogTip(more.log).startCursor(onlyRoom('a'), more.ids.at(-1)!)).toBeNull();
  });
});

describe('a heartbeat’s reading of the log’s end', () => {
  afterEach(() => vi.useRealTimers());

  it('is shared by the streams of the same rights for a moment, and read again after it', async () => {
    const { ids, engine, log, calls } = await logOf(['a', 'b']);
    const tip = new LogTip(log);
    expect(await Promise.all([tip.tip(onlyRoom('a')), tip.tip(onlyRoom('a'))])).toEqual([ids[0], ids[0]]);
    expect(calls.range).toBe(1);
    // Other rights read for themselves.
    expect(await tip.tip(onlyRoom('b'))).toBe(ids[1]);
    expect(calls.range).toBe(2);
    const [newer] = await engine.store.commit({
      expect: [],
      put: [],
      del: [],
      events: [{ type: 'CUSTOM', rooms: ['a'], payload: { kind: 'custom', data: null } }],
      timestamp: new Date().toISOString(),
      source: 'log-tip-test',
    });
    expect(await tip.tip(onlyRoom('a'))).toBe(ids[0]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await tip.tip(onlyRoom('a'))).toBe(newer!.id);
    expect(calls.range).toBe(3);
  });

  it('is kept for less than 100 ms exactly', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { log, calls } = await logOf(['a']);
    const tip = new LogTip(log);
    const start = Date.now();
    await tip.tip(onlyRoom('a'));
    vi.setSystemTime(start + 99);
    await tip.tip(onlyRoom('a'));
    expect(calls.range).toBe(1);
    vi.setSystemTime(start + 100);
    await tip.tip(onlyRoom('a'));
    expect(calls.range).toBe(2);
  });

  it('is not kept when it failed: the next heartbeat reads again', async () => {
    const { ids, log, calls } = await logOf(['a']);
    const tip = new LogTip(log);
    calls.failing = true;
    await expect(tip.tip(onlyRoom('a'))).rejects.toThrow('the log is down');
    calls.failing = false;
    expect(await tip.tip(onlyRoom('a'))).toBe(ids[0]);
    expect(calls.range).toBe(2);
  });

  it('keeps the readings of at most a thousand rights', async () => {
    // The clock stands still: a thousand readings take longer than their 100 ms on a busy machine.
    vi.useFakeTimers({ toFake: ['Date'] });
    const { log, calls } = await logOf(['a']);
    const tip = new LogTip(log);
    const rights = Array.from({ length: 1001 }, (_, i) => onlyRoom(`room${i}`));
    for (const access of rights.slice(0, 1000)) await tip.tip(access);
    await tip.tip(rights[0]!);
    expect(calls.range).toBe(1000);
    // One more, and they are all forgotten.
    await tip.tip(rights[1000]!);
    await tip.tip(rights[0]!);
    expect(calls.range).toBe(1002);
  });

  it('asks the log for its newest id each time', async () => {
    const { ids, log, calls } = await logOf(['a', 'b']);
    const tip = new LogTip(log);
    expect(await tip.lastIdSoon()).toBe(ids[1]);
    expect(await tip.lastIdSoon()).toBe(ids[1]);
    expect(calls.last).toBe(2);
  });
});
