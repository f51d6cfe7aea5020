/**
 * The memory engine beyond the contract every engine meets: what it refuses, how it keeps stored
 * records safe from the code that shares them, how it builds event ids from its clock, and how
 * its bus counts interest.
 */
import { describe, expect, it } from 'vitest';
import { isEventId, type EventDraft, type StoredEvent } from '../../src/domain/events/event-types.js';
import type { Agent, Task } from '../../src/domain/model.js';
import type { Clock, Commit, Engine, Kind, Where } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { agentDoc as contractAgentDoc, taskDoc as contractTaskDoc } from './contract.js';

const at = '2026-01-01T00:00:00.000Z';
const T0 = Date.parse(at);

class Clockwork implements Clock {
  constructor(public ms = T0) {}
  now(): Date {
    return new Date(this.ms);
  }
}

function agentDoc(id: string, overrides: Partial<Agent> = {}): Agent {
  return contractAgentDoc({ id, name: id, createdAt: at, updatedAt: at, ...overrides });
}

function taskDoc(id: string, overrides: Partial<Task> = {}): Task {
  return contractTaskDoc({ id, title: id, createdAt: at, updatedAt: at, ...overrides });
}

const custom = (rooms: string[], n: number): EventDraft => ({
  type: 'CUSTOM',
  rooms,
  payload: { kind: 'custom', data: { n } },
});

function commitOf(partial: Partial<Commit>): Commit {
  return { expect: [], put: [], del: [], events: [], timestamp: at, source: 'details', ...partial };
}

/** Puts new records of one kind, each at version 1. */
async function insert(engine: Engine, kind: Kind, docs: { id: string }[]) {
  await engine.store.commit(
    commitOf({
      expect: docs.map((d) => ({ kind, id: d.id, version: 0 })),
      put: docs.map((d) => ({ kind, id: d.id, doc: d as Agent, version: 1 })),
    }),
  );
}

function engineWithSink(clock: Clock = new Clockwork(), retention = 1000) {
  const engine = createMemoryEngine({ retention, clock });
  const got: StoredEvent[] = [];
  engine.bus.setSink((e) => got.push(e));
  const say = async (...drafts: EventDraft[]) => engine.store.commit(commitOf({ events: drafts }));
  const seen = () => got.splice(0).map((e) => (e.payload as unknown as { data: { n: number } }).data.n);
  return { engine, say, seen };
}

describe('queries', () => {
  it('refuses to list or count by a field that is not indexed (the Redis engine could not serve it)', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await insert(engine, 'agent', [agentDoc('a1', { name: 'x' })]);
    const where = { name: 'x' } as unknown as Where<'agent'>;
    await expect(engine.store.list('agent', { where, limit: 10 })).rejects.toThrow(
      'name is not an indexed field',
    );
    await expect(engine.store.count('agent', where)).rejects.toThrow('name is not an indexed field');
    // A field indexed for another kind is not indexed here either.
    const elsewhere = { assigneeId: 'a1' } as unknown as Where<'agent'>;
    await expect(engine.store.count('agent', elsewhere)).rejects.toThrow('not an indexed field');
  });

  it('never matches a null field, not even by the string "null"', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await insert(engine, 'task', [taskDoc('t1'), taskDoc('t2', { assigneeId: 'a1', status: 'ASSIGNED' })]);
    expect(await engine.store.count('task', { assigneeId: 'null' })).toBe(0);
    expect(await engine.store.list('task', { where: { assigneeId: 'null' }, limit: 10 })).toEqual([]);
    expect(await engine.store.count('task', { assigneeId: 'a1' })).toBe(1);
  });

  it('never matches a field a record lacks, not even by the string "undefined"', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    const { assigneeId: _dropped, ...lacking } = taskDoc('t1');
    await insert(engine, 'task', [lacking as Task]);
    expect(await engine.store.count('task', { assigneeId: 'undefined' })).toBe(0);
    expect(await engine.store.count('task', { status: 'PENDING' })).toBe(1);
  });

  it('treats an undefined filter value as no filter', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await insert(engine, 'task', [taskDoc('t1'), taskDoc('t2', { status: 'CANCELLED' })]);
    expect(await engine.store.count('task', { status: undefined })).toBe(2);
    expect(await engine.store.count('task', { status: undefined, assigneeId: undefined })).toBe(2);
    expect(await engine.store.count('task', { status: 'CANCELLED', assigneeId: undefined })).toBe(1);
    expect((await engine.store.list('task', { where: { status: undefined }, limit: 10 })).length).toBe(2);
  });

  it('keeps ids sorted whatever order records arrive and leave in, and pages after any id', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    const ids = ['05', '01', '09', '03', '07', '02', '08'];
    for (const id of ids) await insert(engine, 'agent', [agentDoc(id)]);
    const listed = async (query: { after?: string; limit?: number } = {}) =>
      (await engine.store.list('agent', { limit: 100, ...query })).map((r) => r.doc.id);
    expect(await listed()).toEqual(['01', '02', '03', '05', '07', '08', '09']);
    expect(await listed({ after: '03' })).toEqual(['05', '07', '08', '09']);
    // An `after` that is not itself stored: the records that sort after it.
    expect(await listed({ after: '04' })).toEqual(['05', '07', '08', '09']);
    expect(await listed({ after: '00' })).toEqual(['01', '02', '03', '05', '07', '08', '09']);
    expect(await listed({ after: '09' })).toEqual([]);
    expect(await listed({ after: '02', limit: 2 })).toEqual(['03', '05']);
    expect(await listed({ limit: 0 })).toEqual([]);
    for (const id of ['01', '05', '09']) {
      await engine.store.commit(
        commitOf({ expect: [{ kind: 'agent', id, version: 1 }], del: [{ kind: 'agent', id }] }),
      );
    }
    expect(await listed()).toEqual(['02', '03', '07', '08']);
    // Writing a record again does not list it twice.
    await engine.store.commit(
      commitOf({
        expect: [{ kind: 'agent', id: '03', version: 1 }],
        put: [{ kind: 'agent', id: '03', doc: agentDoc('03', { name: 'again' }), version: 2 }],
      }),
    );
    expect(await listed()).toEqual(['02', '03', '07', '08']);
    await insert(engine, 'agent', [agentDoc('05')]);
    expect(await listed()).toEqual(['02', '03', '05', '07', '08']);
    expect(await engine.store.count('agent')).toBe(5);
  });

  it('stops a filtered list at the limit of matches, not of records looked at', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await insert(engine, 'agent', [
      agentDoc('1', { type: 'x' }),
      agentDoc('2', { type: 'y' }),
      agentDoc('3', { type: 'y' }),
      agentDoc('4', { type: 'x' }),
      agentDoc('5', { type: 'x' }),
    ]);
    const xs = await engine.store.list('agent', { where: { type: 'x' }, limit: 2 });
    expect(xs.map((r) => r.doc.id)).toEqual(['1', '4']);
  });
});

describe('commits', () => {
  it('name the record or the set whose version moved in the conflict they refuse with', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await insert(engine, 'agent', [agentDoc('a1')]);
    const stale = engine.store.commit(commitOf({ expect: [{ kind: 'agent', id: 'a1', version: 0 }] }));
    await expect(stale).rejects.toMatchObject({ name: 'VersionConflict', key: 'agent:a1' });
    const moved = engine.store.commit(commitOf({ sets: [{ key: 'agent:status:ACTIVE', version: 0 }] }));
    await expect(moved).rejects.toMatchObject({ name: 'VersionConflict', key: 'agent:status:ACTIVE' });
  });

  it('raise the version of a set a record leaves, and not of one it stays in', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await insert(engine, 'task', [taskDoc('t1', { status: 'ASSIGNED', assigneeId: 'a1' })]);
    const keys = ['task:*', 'task:status:ASSIGNED', 'task:assigneeId:a1', 'task:status:RUNNING'];
    expect(await engine.store.setVersions(keys)).toEqual([1, 1, 1, 0]);
    await engine.store.commit(
      commitOf({
        expect: [{ kind: 'task', id: 't1', version: 1 }],
        put: [
          { kind: 'task', id: 't1', doc: taskDoc('t1', { status: 'RUNNING', assigneeId: 'a1' }), version: 2 },
        ],
      }),
    );
    // It left ASSIGNED and joined RUNNING; it is still a task, and still a1's.
    expect(await engine.store.setVersions(keys)).toEqual([1, 2, 1, 1]);
  });

  it('keep an idempotency key for exactly its time to live', async () => {
    const clock = new Clockwork();
    const engine = createMemoryEngine({ retention: 10, clock });
    const idempotency = { key: 'k1', requestHash: 'h', outcome: '{"ok":true}', ttlMs: 1000 };
    await engine.store.commit(commitOf({ idempotency }));
    clock.ms = T0 + 999;
    expect(await engine.store.idempotency('k1')).toMatchObject({ requestHash: 'h', eventIds: [] });
    clock.ms = T0 + 1000;
    expect(await engine.store.idempotency('k1')).toBeNull();
  });
});

describe('stored records and events', () => {
  it('are frozen all the way down, and are copies of what was committed', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    const doc = agentDoc('a1', { capabilities: ['x'], metadata: { deep: { list: [{ n: 1 }] } } });
    const draft: EventDraft = {
      type: 'CUSTOM',
      rooms: ['r'],
      payload: { kind: 'custom', data: { deep: { list: [{ n: 1 }] } } },
    };
    const [event] = await engine.store.commit(
      commitOf({
        expect: [{ kind: 'agent', id: 'a1', version: 0 }],
        put: [{ kind: 'agent', id: 'a1', doc, version: 1 }],
        events: [draft],
      }),
    );
    // The committer's objects stay its own: changing them later changes nothing stored.
    (doc.metadata as { deep: { list: { n: number }[] } }).deep.list[0]!.n = 2;
    doc.capabilities.push('y');
    (draft.payload as unknown as { data: { deep: { list: { n: number }[] } } }).data.deep.list[0]!.n = 2;

    const stored = (await engine.store.get('agent', 'a1'))!;
    expect(stored.doc.capabilities).toEqual(['x']);
    const storedDeep = (stored.doc.metadata as { deep: { list: { n: number }[] } }).deep;
    expect(storedDeep.list[0]!.n).toBe(1);
    for (const part of [
      stored,
      stored.doc,
      stored.doc.capabilities,
      storedDeep,
      storedDeep.list,
      storedDeep.list[0],
    ])
      expect(Object.isFrozen(part)).toBe(true);

    const eventDeep = (event!.payload as unknown as { data: { deep: { list: { n: number }[] } } }).data.deep;
    expect(eventDeep.list[0]!.n).toBe(1);
    for (const part of [event, event!.rooms, event!.payload, eventDeep, eventDeep.list, eventDeep.list[0]])
      expect(Object.isFrozen(part)).toBe(true);
  });

  it('cannot be changed in place by whoever reads them', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await insert(engine, 'agent', [agentDoc('a1', { metadata: { n: 1 } })]);
    const read = (await engine.store.get('agent', 'a1'))!;
    expect(() => {
      (read.doc.metadata as { n: number }).n = 2;
    }).toThrow(TypeError);
    expect((await engine.store.get('agent', 'a1'))!.doc.metadata).toEqual({ n: 1 });
  });
});

describe('event ids', () => {
  it("are the clock's milliseconds and a sequence within that millisecond", async () => {
    const clock = new Clockwork();
    const { say } = engineWithSink(clock);
    const first = await say(custom(['r'], 1), custom(['r'], 2));
    const second = await say(custom(['r'], 3));
    clock.ms += 5;
    const third = await say(custom(['r'], 4), custom(['r'], 5));
    expect([...first, ...second, ...third].map((e) => e.id)).toEqual([
      `${T0}-0`,
      `${T0}-1`,
      `${T0}-2`,
      `${T0 + 5}-0`,
      `${T0 + 5}-1`,
    ]);
  });

  it('start at sequence 0 even at the epoch', async () => {
    const { say } = engineWithSink(new Clockwork(0));
    expect((await say(custom(['r'], 1), custom(['r'], 2))).map((e) => e.id)).toEqual(['0-0', '0-1']);
  });

  it('keep increasing when the clock steps back', async () => {
    const clock = new Clockwork();
    const { say } = engineWithSink(clock);
    await say(custom(['r'], 1));
    clock.ms -= 1000;
    const [back] = await say(custom(['r'], 2));
    expect(back!.id).toBe(`${T0}-1`);
    clock.ms += 2000;
    const [forward] = await say(custom(['r'], 3));
    expect(forward!.id).toBe(`${T0 + 1000}-0`);
  });

  it.each(['1-0', '0-0', '123456789012345-123456789012345'])('accepts %s', (id) => {
    expect(isEventId(id)).toBe(true);
  });

  it.each([
    '',
    '1',
    '1-',
    '-1',
    'x1-0',
    '1-0x',
    ' 1-0',
    '1-0 ',
    '1-0\n',
    '1-0-0',
    '1234567890123456-0',
    '1-1234567890123456',
    '1.5-0',
  ])('refuses %j, in the pattern and as a replay cursor', async (id) => {
    expect(isEventId(id)).toBe(false);
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await engine.store.commit(commitOf({ events: [custom(['r'], 1)] }));
    await expect(engine.log.readAfter(id, 10)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { reason: 'CURSOR_MALFORMED' },
    });
  });
});

describe('the event log', () => {
  it('finds any retained cursor among many and replays from just after it', async () => {
    const clock = new Clockwork();
    const { engine, say } = engineWithSink(clock, 100);
    const ids: string[] = [];
    for (let i = 0; i < 37; i++) {
      if (i % 3 === 0) clock.ms += 1;
      ids.push(...(await say(custom(['r'], i))).map((e) => e.id));
    }
    for (let i = 0; i < ids.length; i++) {
      const after = await engine.log.readAfter(ids[i]!, 1000);
      expect(after.map((e) => e.id)).toEqual(ids.slice(i + 1));
    }
    // Ids between or around the retained ones were never events here.
    for (const id of [`${T0}-0`, `${T0 + 1}-3`, `${T0 + 99}-0`, `${T0 + 1}-99`]) {
      await expect(engine.log.readAfter(id, 10)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
    }
  });

  it('replays from the newest trimmed event through several trims, and no older one', async () => {
    const { engine, say } = engineWithSink(new Clockwork(), 3);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await say(custom(['r'], i)))[0]!.id);
    // Trimmed: 0. Then two more in one commit trims 1 and 2 at once.
    ids.push(...(await say(custom(['r'], 4), custom(['r'], 5))).map((e) => e.id));
    expect((await engine.log.readAfter(ids[2]!, 10)).map((e) => e.id)).toEqual(ids.slice(3));
    for (const old of ids.slice(0, 2))
      await expect(engine.log.readAfter(old, 10)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
    expect(await engine.log.lastId()).toBe(ids[5]);
  });

  it('has no last id and refuses any cursor before the first event', async () => {
    const engine = createMemoryEngine({ retention: 3, clock: new Clockwork() });
    expect(await engine.log.lastId()).toBeNull();
    await expect(engine.log.readAfter(`${T0}-0`, 10)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
  });
});

describe('the bus', () => {
  it('delivers an event when any one of its rooms is watched', async () => {
    const { engine, say, seen } = engineWithSink();
    await engine.bus.watch('b');
    await say(custom(['a', 'b'], 1), custom(['b', 'c'], 2), custom(['a', 'c'], 3));
    expect(seen()).toEqual([1, 2]);
  });

  it('does not count watches (the room index does): one unwatch ends a room watched twice', async () => {
    const { engine, say, seen } = engineWithSink();
    await engine.bus.watch('r');
    await engine.bus.watch('r');
    await say(custom(['r'], 1));
    expect(seen()).toEqual([1]);
    await engine.bus.unwatch('r');
    await say(custom(['r'], 2));
    expect(seen()).toEqual([]);
    // An unwatch too many leaves no debt: the next watch counts in full.
    await engine.bus.unwatch('r');
    await engine.bus.watch('r');
    await say(custom(['r'], 3));
    expect(seen()).toEqual([3]);
  });

  it("treats '*' the same way", async () => {
    const { engine, say, seen } = engineWithSink();
    await engine.bus.watch('*');
    await engine.bus.watch('*');
    await say(custom(['x'], 1));
    await engine.bus.unwatch('*');
    await say(custom(['x'], 2));
    expect(seen()).toEqual([1]);
  });

  it('publishes nothing before a sink is set, and to the newest sink after', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    await engine.bus.watch('*');
    await engine.store.commit(commitOf({ events: [custom(['r'], 1)] }));
    const first: StoredEvent[] = [];
    const second: StoredEvent[] = [];
    engine.bus.setSink((e) => first.push(e));
    engine.bus.setSink((e) => second.push(e));
    await engine.store.commit(commitOf({ events: [custom(['r'], 2)] }));
    expect(first).toEqual([]);
    expect(second).toHaveLength(1);
  });
});

describe('the engine', () => {
  it('is named memory, always ready, and closes', async () => {
    const engine = createMemoryEngine({ retention: 10, clock: new Clockwork() });
    expect(engine.name).toBe('memory');
    expect(await engine.health()).toEqual({ ready: true, checks: { memory: { ok: true } } });
    await engine.close();
    await engine.close();
  });
});

describe('clock conditions on the memory engine', () => {
  it('takes its own clock as the engine clock, a deadline reached at exactly its ms', async () => {
    const clock = new Clockwork();
    const e = createMemoryEngine({ retention: 10, clock });
    expect(await e.store.time()).toBe(T0);
    const put = (id: string, conditions: Commit['clock']) =>
      e.store.commit(
        commitOf({
          expect: [{ kind: 'agent', id, version: 0 }],
          put: [{ kind: 'agent', id, doc: agentDoc(id), version: 1 }],
          clock: conditions,
        }),
      );
    await expect(put('a', { before: T0 })).rejects.toThrow(/clock/);
    await expect(put('b', { notBefore: T0 + 1 })).rejects.toThrow(/clock/);
    await put('c', { notBefore: T0, before: T0 + 1 });
    clock.ms += 1;
    await put('d', { notBefore: T0 + 1 });
    expect((await e.store.list('agent', { limit: 10 })).map((r) => r.doc.id)).toEqual(['c', 'd']);
  });
});
