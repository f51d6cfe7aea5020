/**
 * What every engine must do, whatever it is built on. Each engine's test file calls
 * `describeEngineContract` with a factory; the factory gets a retention and returns a fresh,
 * empty engine (and may return a second engine on the same backing store, as a second instance).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IdempotencyKeyTaken, VersionConflict } from '../../src/domain/errors.js';
import { compareEventIds, type EventDraft, type StoredEvent } from '../../src/domain/events/event-types.js';
import type { Agent, Task } from '../../src/domain/model.js';
import { systemClock, type Clock, type Commit, type Engine, type Where } from '../../src/domain/ports.js';

export interface EngineFactory {
  /** A fresh engine with nothing stored, on this clock. */
  create(options: { retention: number; clock: Clock }): Promise<Engine>;
  /** Another engine on the same storage (a second instance), where the engine has such a thing. */
  peer?(engine: Engine): Promise<Engine>;
}

const now = '2026-01-01T00:00:00.000Z';
let seq = 0;
export function agentDoc(overrides: Partial<Agent> = {}): Agent {
  seq++;
  return {
    id: `01J0000000000000000000${String(seq).padStart(4, '0')}`,
    name: `agent-${seq}`,
    type: 't',
    status: 'ACTIVE',
    capabilities: [],
    metadata: null,
    activeTaskCount: 0,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** A PENDING task nobody holds, with a fresh id. */
export function taskDoc(overrides: Partial<Task> = {}): Task {
  seq++;
  return {
    id: `01J0000000000000000000${String(seq).padStart(4, '0')}`,
    title: `task-${seq}`,
    priority: 5,
    status: 'PENDING',
    requiredCapabilities: [],
    assigneeId: null,
    input: null,
    progress: null,
    progressMessage: null,
    result: null,
    error: null,
    reason: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

const custom = (room: string, n: number): EventDraft => ({
  type: 'CUSTOM',
  rooms: [room],
  payload: { kind: 'custom', data: { n } },
});

function commitOf(partial: Partial<Commit>): Commit {
  return { expect: [], put: [], del: [], events: [], timestamp: now, source: 'contract', ...partial };
}

/** Collects what the bus hands to the sink; `waitFor(n)` resolves once n events arrived. */
function sinkOf(engine: Engine) {
  const got: StoredEvent[] = [];
  let wake: (() => void) | null = null;
  engine.bus.setSink((e) => {
    got.push(e);
    wake?.();
  });
  return {
    got,
    async waitFor(n: number): Promise<StoredEvent[]> {
      const deadline = Date.now() + 10_000;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${got.length} of ${n} events arrived`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return got.slice(0, n);
    },
  };
}

export function describeEngineContract(name: string, factory: EngineFactory): void {
  describe(`${name} engine contract`, () => {
    const open: Engine[] = [];
    const make = async (retention = 1000, clock: Clock = systemClock) => {
      const engine = await factory.create({ retention, clock });
      open.push(engine);
      return engine;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((e) => e.close()));
    });

    describe('store', () => {
      it('creates at version 1, reads back, and refuses a stale or duplicate write', async () => {
        const e = await make();
        const a = agentDoc();
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'agent', id: a.id, version: 0 }],
            put: [{ kind: 'agent', id: a.id, doc: a, version: 1 }],
          }),
        );
        expect(await e.store.get('agent', a.id)).toEqual({ doc: a, version: 1 });
        await expect(
          e.store.commit(
            commitOf({
              expect: [{ kind: 'agent', id: a.id, version: 0 }],
              put: [{ kind: 'agent', id: a.id, doc: a, version: 1 }],
            }),
          ),
        ).rejects.toBeInstanceOf(VersionConflict);
        const renamed = { ...a, name: 'renamed' };
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'agent', id: a.id, version: 1 }],
            put: [{ kind: 'agent', id: a.id, doc: renamed, version: 2 }],
          }),
        );
        await expect(
          e.store.commit(
            commitOf({
              expect: [{ kind: 'agent', id: a.id, version: 1 }],
              put: [{ kind: 'agent', id: a.id, doc: a, version: 2 }],
            }),
          ),
        ).rejects.toBeInstanceOf(VersionConflict);
        expect(await e.store.get('agent', a.id)).toEqual({ doc: renamed, version: 2 });
        expect(await e.store.get('agent', 'missing')).toBeNull();
      });

      it('writes nothing and publishes nothing when any expectation fails', async () => {
        const e = await make();
        const sink = sinkOf(e);
        await e.bus.watch('*');
        const a = agentDoc();
        const b = agentDoc();
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'agent', id: a.id, version: 0 }],
            put: [{ kind: 'agent', id: a.id, doc: a, version: 1 }],
          }),
        );
        const last = await e.log.lastId();
        await expect(
          e.store.commit(
            commitOf({
              expect: [
                { kind: 'agent', id: b.id, version: 0 },
                { kind: 'agent', id: a.id, version: 7 },
              ],
              put: [{ kind: 'agent', id: b.id, doc: b, version: 1 }],
              events: [custom('r', 1)],
            }),
          ),
        ).rejects.toBeInstanceOf(VersionConflict);
        expect(await e.store.get('agent', b.id)).toBeNull();
        expect(await e.log.lastId()).toBe(last);
        await e.store.commit(commitOf({ events: [custom('r', 2)] }));
        expect((await sink.waitFor(1)).map((x) => x.payload)).toEqual([{ kind: 'custom', data: { n: 2 } }]);
      });

      it('lists in id order with after/limit, filters and counts by indexed fields, and follows updates', async () => {
        const e = await make();
        const docs = [
          agentDoc({ type: 'x' }),
          agentDoc({ type: 'y' }),
          agentDoc({ type: 'x', status: 'PAUSED' }),
          agentDoc({ type: 'x' }),
        ];
        await e.store.commit(
          commitOf({
            expect: docs.map((d) => ({ kind: 'agent' as const, id: d.id, version: 0 })),
            put: docs.map((d) => ({ kind: 'agent' as const, id: d.id, doc: d, version: 1 })),
          }),
        );
        const ids = (records: { doc: Agent }[]) => records.map((r) => r.doc.id);
        expect(ids(await e.store.list('agent', { limit: 10 }))).toEqual(docs.map((d) => d.id));
        expect(ids(await e.store.list('agent', { limit: 2, after: docs[0]!.id }))).toEqual([
          docs[1]!.id,
          docs[2]!.id,
        ]);
        expect(ids(await e.store.list('agent', { where: { type: 'x' }, limit: 10 }))).toEqual([
          docs[0]!.id,
          docs[2]!.id,
          docs[3]!.id,
        ]);
        expect(
          ids(await e.store.list('agent', { where: { type: 'x', status: 'ACTIVE' }, limit: 10 })),
        ).toEqual([docs[0]!.id, docs[3]!.id]);
        expect(await e.store.count('agent', { status: 'ACTIVE' })).toBe(3);
        expect(await e.store.count('agent')).toBe(4);
        const moved = { ...docs[0]!, status: 'OFFLINE' as const };
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'agent', id: moved.id, version: 1 }],
            put: [{ kind: 'agent', id: moved.id, doc: moved, version: 2 }],
          }),
        );
        expect(await e.store.count('agent', { status: 'ACTIVE' })).toBe(2);
        expect(ids(await e.store.list('agent', { where: { status: 'OFFLINE' }, limit: 10 }))).toEqual([
          moved.id,
        ]);
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'agent', id: moved.id, version: 2 }],
            del: [{ kind: 'agent', id: moved.id }],
          }),
        );
        expect(await e.store.get('agent', moved.id)).toBeNull();
        expect(await e.store.count('agent', { status: 'OFFLINE' })).toBe(0);
        expect(await e.store.count('agent')).toBe(3);
      });

      it('finds every match of a filter spread thinly over many records, in order, up to the limit', async () => {
        const e = await make();
        // Two in every 20 agents are rare, and every other agent is ACTIVE: 6 rare ACTIVE among 130.
        const docs = Array.from({ length: 130 }, (_, i) =>
          agentDoc({ type: i % 20 >= 18 ? 'rare' : 'common', status: i % 2 ? 'PAUSED' : 'ACTIVE' }),
        );
        await e.store.commit(
          commitOf({
            expect: docs.map((d) => ({ kind: 'agent' as const, id: d.id, version: 0 })),
            put: docs.map((d) => ({ kind: 'agent' as const, id: d.id, doc: d, version: 1 })),
          }),
        );
        const ids = (records: { doc: Agent }[]) => records.map((r) => r.doc.id);
        const rare = [18, 38, 58, 78, 98, 118].map((i) => docs[i]!.id);
        const where = { status: 'ACTIVE', type: 'rare' } as const;
        expect(ids(await e.store.list('agent', { where, limit: 2 }))).toEqual(rare.slice(0, 2));
        expect(ids(await e.store.list('agent', { where, limit: 10 }))).toEqual(rare);
        expect(ids(await e.store.list('agent', { where, limit: 10, after: rare[0] }))).toEqual(rare.slice(1));
        expect(await e.store.count('agent', where)).toBe(6);
        expect(await e.store.count('agent', { type: 'rare' })).toBe(12);
        expect(await e.store.count('agent', { status: 'PAUSED' })).toBe(65);
        const active = docs.filter((_, i) => i % 2 === 0).map((d) => d.id);
        expect(ids(await e.store.list('agent', { where: { status: 'ACTIVE' }, limit: 60 }))).toEqual(
          active.slice(0, 60),
        );
        expect(ids(await e.store.list('agent', { where: { status: 'ACTIVE' }, limit: 100 }))).toEqual(active);
      });

      it('refuses a filter on a field that is not indexed, and never matches a field that is null', async () => {
        const e = await make();
        const where = { name: 'x' } as unknown as Where<'agent'>;
        await expect(e.store.list('agent', { where, limit: 10 })).rejects.toThrow('not an indexed field');
        await expect(e.store.count('agent', where)).rejects.toThrow('not an indexed field');
        const task = taskDoc({ title: 'unassigned' });
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'task', id: task.id, version: 0 }],
            put: [{ kind: 'task', id: task.id, doc: task, version: 1 }],
          }),
        );
        expect(await e.store.count('task', { assigneeId: 'null' })).toBe(0);
        expect(await e.store.list('task', { where: { assigneeId: 'null' }, limit: 10 })).toEqual([]);
        expect(await e.store.count('task', { status: 'PENDING' })).toBe(1);
      });

      it('lets exactly one of many racing commits with the same expectation win', async () => {
        const e = await make();
        const a = agentDoc();
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'agent', id: a.id, version: 0 }],
            put: [{ kind: 'agent', id: a.id, doc: a, version: 1 }],
          }),
        );
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            e.store.commit(
              commitOf({
                expect: [{ kind: 'agent', id: a.id, version: 1 }],
                put: [{ kind: 'agent', id: a.id, doc: { ...a, name: `w${i}` }, version: 2 }],
                events: [custom('race', i)],
              }),
            ),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(
          results
            .filter((r) => r.status === 'rejected')
            .every((r) => (r as PromiseRejectedResult).reason instanceof VersionConflict),
        ).toBe(true);
      });

      // A read must pair a record with the version it was written at: a record read with a newer
      // version would let a decision on stale data pass the version check, and an update be lost.
      const racingIncrements = async (engines: Engine[]) => {
        const a = agentDoc({ activeTaskCount: 0 });
        await engines[0]!.store.commit(
          commitOf({
            expect: [{ kind: 'agent', id: a.id, version: 0 }],
            put: [{ kind: 'agent', id: a.id, doc: a, version: 1 }],
          }),
        );
        const increment = async (engine: Engine) => {
          for (;;) {
            const [read] = await engine.store.list('agent', { limit: 1 });
            const current = (await engine.store.get('agent', a.id))!;
            // Both reads must agree with each other whenever their versions do.
            if (read!.version === current.version) expect(read!.doc).toEqual(current.doc);
            const next = { ...current.doc, activeTaskCount: current.doc.activeTaskCount + 1 };
            try {
              return await engine.store.commit(
                commitOf({
                  expect: [{ kind: 'agent', id: a.id, version: current.version }],
                  put: [{ kind: 'agent', id: a.id, doc: next, version: current.version + 1 }],
                  events: [custom('counter', next.activeTaskCount)],
                }),
              );
            } catch (error) {
              if (!(error instanceof VersionConflict)) throw error;
            }
          }
        };
        const workers = 16;
        await Promise.all(Array.from({ length: workers }, (_, i) => increment(engines[i % engines.length]!)));
        const final = await engines[0]!.store.get('agent', a.id);
        expect(final?.doc.activeTaskCount).toBe(workers);
        expect(final?.version).toBe(workers + 1);
      };

      it('loses no update when read-modify-write loops race', async () => {
        await racingIncrements([await make()]);
      });

      const peerOf = factory.peer;
      if (peerOf)
        it('loses no update when two instances race read-modify-write loops', async () => {
          const a = await make();
          const b = await peerOf(a);
          open.push(b);
          await racingIncrements([a, b]);
        });
    });

    describe('set versions', () => {
      const put = (doc: Agent, version: number) =>
        commitOf({
          expect: [{ kind: 'agent', id: doc.id, version: version - 1 }],
          put: [{ kind: 'agent', id: doc.id, doc, version }],
        });
      const keys = ['agent:*', 'agent:status:ACTIVE', 'agent:status:PAUSED', 'agent:type:t'];

      it('raises a set when a record joins or leaves it, not when a member changes', async () => {
        const e = await make();
        expect(await e.store.setVersions(keys)).toEqual([0, 0, 0, 0]);
        const a = agentDoc();
        await e.store.commit(put(a, 1));
        expect(await e.store.setVersions(keys)).toEqual([1, 1, 0, 1]);
        await e.store.commit(put({ ...a, name: 'renamed', activeTaskCount: 3 }, 2));
        expect(await e.store.setVersions(keys)).toEqual([1, 1, 0, 1]);
        await e.store.commit(put({ ...a, status: 'PAUSED' }, 3));
        expect(await e.store.setVersions(keys)).toEqual([1, 2, 1, 1]);
        await e.store.commit(
          commitOf({ expect: [{ kind: 'agent', id: a.id, version: 3 }], del: [{ kind: 'agent', id: a.id }] }),
        );
        expect(await e.store.setVersions(keys)).toEqual([2, 2, 2, 2]);
      });

      it('refuses a commit whose set changed since it was read, writing and publishing nothing', async () => {
        const e = await make();
        const sink = sinkOf(e);
        await e.bus.watch('*');
        const [read] = await e.store.setVersions(['agent:status:ACTIVE']);
        await e.store.commit(put(agentDoc(), 1));
        const last = await e.log.lastId();
        const b = agentDoc();
        await expect(
          e.store.commit({
            ...put(b, 1),
            sets: [{ key: 'agent:status:ACTIVE', version: read ?? 0 }],
            events: [custom('r', 1)],
          }),
        ).rejects.toBeInstanceOf(VersionConflict);
        expect(await e.store.get('agent', b.id)).toBeNull();
        expect(await e.log.lastId()).toBe(last);
        await e.store.commit({ ...put(b, 1), sets: [{ key: 'agent:status:ACTIVE', version: 1 }] });
        expect(await e.store.get('agent', b.id)).not.toBeNull();
        await e.store.commit(commitOf({ events: [custom('r', 2)] }));
        expect((await sink.waitFor(1)).map((ev) => ev.payload)).toEqual([custom('r', 2).payload]);
      });
    });

    describe('idempotency keys', () => {
      it('stores the key with the change, refuses it a second time, and forgets it after its time', async () => {
        const e = await make();
        const a = agentDoc();
        const idempotency = { key: 'anonymous:1:k', requestHash: 'h', outcome: '{"value":1}', ttlMs: 300 };
        expect(await e.store.idempotency(idempotency.key)).toBeNull();
        const events = await e.store.commit({
          ...commitOf({
            expect: [{ kind: 'agent', id: a.id, version: 0 }],
            put: [{ kind: 'agent', id: a.id, doc: a, version: 1 }],
            events: [custom('r', 1), custom('r', 2)],
          }),
          idempotency,
        });
        expect(await e.store.idempotency(idempotency.key)).toEqual({
          requestHash: 'h',
          outcome: '{"value":1}',
          eventIds: events.map((ev) => ev.id),
        });
        const b = agentDoc();
        const last = await e.log.lastId();
        await expect(
          e.store.commit({
            ...commitOf({
              expect: [{ kind: 'agent', id: b.id, version: 0 }],
              put: [{ kind: 'agent', id: b.id, doc: b, version: 1 }],
              events: [custom('r', 3)],
            }),
            idempotency,
          }),
        ).rejects.toBeInstanceOf(IdempotencyKeyTaken);
        expect(await e.store.get('agent', b.id)).toBeNull();
        expect(await e.log.lastId()).toBe(last);
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(await e.store.idempotency(idempotency.key)).toBeNull();
      });
    });

    describe('event log', () => {
      it('gives increasing ids and replays exactly what came after a cursor', async () => {
        const e = await make();
        const stored: StoredEvent[] = [];
        for (let i = 0; i < 5; i++)
          stored.push(
            ...(await e.store.commit(commitOf({ events: [custom('log', i), custom('log', i + 100)] }))),
          );
        for (let i = 1; i < stored.length; i++)
          expect(compareEventIds(stored[i - 1]!.id, stored[i]!.id)).toBeLessThan(0);
        expect(stored[0]).toMatchObject({
          type: 'CUSTOM',
          rooms: ['log'],
          timestamp: now,
          source: 'contract',
        });
        expect((await e.log.readAfter(stored[3]!.id, 100)).map((x) => x.id)).toEqual(
          stored.slice(4).map((x) => x.id),
        );
        expect((await e.log.readAfter(stored[3]!.id, 2)).map((x) => x.id)).toEqual(
          stored.slice(4, 6).map((x) => x.id),
        );
        expect(await e.log.readAfter(stored.at(-1)!.id, 10)).toEqual([]);
        expect(await e.log.lastId()).toBe(stored.at(-1)!.id);
        expect(await e.log.readAfter(stored[0]!.id, 1)).toEqual([stored[1]]);
      });

      it('refuses a malformed cursor, and one that is not retained', async () => {
        const e = await make(5);
        const first = (await e.store.commit(commitOf({ events: [custom('r', 0)] })))[0]!;
        await expect(e.log.readAfter('nonsense', 10)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
        await expect(e.log.readAfter('99999999999999-0', 10)).rejects.toMatchObject({
          code: 'CURSOR_EXPIRED',
        });
        for (let i = 1; i <= 20; i++) await e.store.commit(commitOf({ events: [custom('r', i)] }));
        await expect(e.log.readAfter(first.id, 10)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
        const last = await e.log.lastId();
        expect(await e.log.readAfter(last!, 10)).toEqual([]);
      });

      it('reads a range either way, with exclusive bounds that need not be retained', async () => {
        const e = await make(6);
        const ids: string[] = [];
        for (let i = 0; i < 8; i++)
          ids.push((await e.store.commit(commitOf({ events: [custom('r', i)] })))[0]!.id);
        const kept = ids.slice(2);
        const read = async (
          after: string | null,
          before: string | null,
          limit: number,
          newestFirst = false,
        ) => (await e.log.readRange({ after, before, limit, newestFirst })).map((x) => x.id);
        expect(await read(null, null, 100)).toEqual(kept);
        expect(await read(null, null, 2)).toEqual(kept.slice(0, 2));
        expect(await read(null, null, 2, true)).toEqual([kept[5], kept[4]]);
        // A trimmed bound is a bound like any other.
        expect(await read(ids[0]!, null, 3)).toEqual(kept.slice(0, 3));
        expect(await read(kept[1]!, kept[4]!, 100)).toEqual([kept[2], kept[3]]);
        expect(await read(kept[1]!, kept[4]!, 1, true)).toEqual([kept[3]]);
        expect(await read(kept[1]!, kept[4]!, 100, true)).toEqual([kept[3], kept[2]]);
        expect(await read(kept[3]!, kept[3]!, 100)).toEqual([]);
        expect(await read(kept[5]!, null, 100)).toEqual([]);
        expect(await read(null, kept[0]!, 100, true)).toEqual([]);
      });

      it('still replays from the newest event retention dropped: nothing after it is missing', async () => {
        const e = await make(3);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++)
          ids.push((await e.store.commit(commitOf({ events: [custom('r', i)] })))[0]!.id);
        expect((await e.log.readAfter(ids[1]!, 10)).map((x) => x.id)).toEqual(ids.slice(2));
        await expect(e.log.readAfter(ids[0]!, 10)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
      });
    });

    describe('bus', () => {
      it('delivers watched rooms, once per event, in order, and nothing else', async () => {
        const e = await make();
        const sink = sinkOf(e);
        await e.bus.watch('a');
        await e.bus.watch('b');
        await e.store.commit(commitOf({ events: [custom('a', 1), custom('c', 2)] }));
        await e.store.commit(
          commitOf({ events: [{ ...custom('a', 3), rooms: ['a', 'b'] }, custom('b', 4)] }),
        );
        const got = await sink.waitFor(3);
        expect(got.map((x) => (x.payload as unknown as { data: { n: number } }).data.n)).toEqual([1, 3, 4]);
        await e.bus.unwatch('a');
        await e.store.commit(commitOf({ events: [custom('a', 5), custom('b', 6)] }));
        expect((await sink.waitFor(4)).at(-1)!.payload).toEqual({ kind: 'custom', data: { n: 6 } });
        expect(sink.got).toHaveLength(4);
      });

      it('does not count interest: one unwatch ends a room watched twice', async () => {
        const e = await make();
        const sink = sinkOf(e);
        await e.bus.watch('twice');
        await e.bus.watch('twice');
        await e.bus.watch('other');
        await e.bus.unwatch('twice');
        // Unwatching a room not watched changes nothing.
        await e.bus.unwatch('never');
        await e.store.commit(commitOf({ events: [custom('twice', 1), custom('other', 2)] }));
        expect((await sink.waitFor(1)).map((x) => x.rooms[0])).toEqual(['other']);
        await e.bus.watch('twice');
        await e.store.commit(commitOf({ events: [custom('twice', 3)] }));
        expect((await sink.waitFor(2)).map((x) => x.rooms[0])).toEqual(['other', 'twice']);
      });

      it("delivers every room to '*'", async () => {
        const e = await make();
        const sink = sinkOf(e);
        await e.bus.watch('*');
        await e.bus.watch('x');
        await e.store.commit(commitOf({ events: [custom('x', 1), custom('y', 2)] }));
        expect((await sink.waitFor(2)).map((x) => x.rooms[0])).toEqual(['x', 'y']);
        await e.store.commit(commitOf({ events: [custom('z', 3)] }));
        await sink.waitFor(3);
        expect(sink.got).toHaveLength(3);
      });

      // Only engines with shared storage have a second instance to reach.
      const peer = factory.peer;
      if (peer)
        it('reaches another instance on the same storage', async () => {
          const a = await make();
          const b = await peer(a);
          open.push(b);
          const sink = sinkOf(b);
          await b.bus.watch('shared');
          const [stored] = await a.store.commit(commitOf({ events: [custom('shared', 1)] }));
          expect((await sink.waitFor(1))[0]).toEqual(stored);
        });
    });

    describe('clock conditions', () => {
      const agentPut = (a: Agent) =>
        commitOf({
          expect: [{ kind: 'agent', id: a.id, version: 0 }],
          put: [{ kind: 'agent', id: a.id, doc: a, version: 1 }],
          events: [custom('r', 1)],
        });

      it('commits while the engine clock meets the conditions, and refuses with nothing written otherwise', async () => {
        const e = await make();
        const now = await e.store.time();
        expect(Math.abs(now - (await e.store.time()))).toBeLessThan(5_000);
        const ok = agentDoc();
        await e.store.commit({ ...agentPut(ok), clock: { notBefore: now, before: now + 60_000 } });
        expect((await e.store.get('agent', ok.id))?.version).toBe(1);
        const last = await e.log.lastId();
        for (const clock of [
          { before: now },
          { notBefore: now + 60_000 },
          { notBefore: now - 1, before: now },
        ]) {
          const refused = agentDoc();
          await expect(e.store.commit({ ...agentPut(refused), clock })).rejects.toBeInstanceOf(
            VersionConflict,
          );
          expect(await e.store.get('agent', refused.id)).toBeNull();
          expect(await e.store.setVersions(['agent:*'])).toEqual([1]);
        }
        expect(await e.log.lastId()).toBe(last);
      });

      it('answers the same time on every instance of one store', async () => {
        const e = await make();
        if (!factory.peer) return;
        const peer = await factory.peer(e);
        open.push(peer);
        const [a, b] = await Promise.all([e.store.time(), peer.store.time()]);
        expect(Math.abs(a - b)).toBeLessThan(1_000);
      });

      it('stores and indexes a lease like any record', async () => {
        const e = await make();
        const lease = {
          id: agentDoc().id,
          state: 'HELD' as const,
          ttlMs: 1000,
          expiresAt: now,
          lastSeenAt: now,
          holders: [{ instanceId: 'i', connectionId: 'c', since: now, renewedAt: now }],
        };
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'lease', id: lease.id, version: 0 }],
            put: [{ kind: 'lease', id: lease.id, doc: lease, version: 1 }],
          }),
        );
        expect(await e.store.list('lease', { where: { state: 'HELD' }, limit: 10 })).toEqual([
          { doc: lease, version: 1 },
        ]);
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'lease', id: lease.id, version: 1 }],
            put: [{ kind: 'lease', id: lease.id, doc: { ...lease, state: 'EXPIRED' }, version: 2 }],
          }),
        );
        expect(await e.store.count('lease', { state: 'HELD' })).toBe(0);
        expect(await e.store.setVersions(['lease:state:HELD', 'lease:state:EXPIRED'])).toEqual([2, 1]);
      });
    });

    describe('ordered index', () => {
      const at = (ms: number) => new Date(Date.parse(now) + ms).toISOString();
      const leaseDoc = (ms: number, state: 'HELD' | 'EXPIRED' = 'HELD') => ({
        id: agentDoc().id,
        state,
        ttlMs: 1000,
        expiresAt: at(ms),
        lastSeenAt: now,
        holders: [],
      });

      it('lists the leases due by a bound, earliest first, and follows every change to them', async () => {
        const e = await make();
        const late = leaseDoc(3000);
        const early = leaseDoc(1000);
        const expired = leaseDoc(0, 'EXPIRED');
        await e.store.commit(
          commitOf({
            expect: [late, early, expired].map((l) => ({ kind: 'lease' as const, id: l.id, version: 0 })),
            put: [late, early, expired].map((l) => ({
              kind: 'lease' as const,
              id: l.id,
              doc: l,
              version: 1,
            })),
          }),
        );
        const ids = async (ms: number, limit = 10) =>
          (await e.store.listDue('lease', Date.parse(at(ms)), limit)).map((r) => r.doc.id);
        expect(await ids(999)).toEqual([]);
        expect(await ids(1000)).toEqual([early.id]);
        expect(await ids(5000)).toEqual([early.id, late.id]);
        expect(await ids(5000, 1)).toEqual([early.id]);
        expect((await e.store.listDue('lease', Date.parse(at(5000)), 10))[0]).toEqual({
          doc: early,
          version: 1,
        });
        // Renewed later, then no longer HELD, then gone: each change moves it in the index.
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'lease', id: early.id, version: 1 }],
            put: [{ kind: 'lease', id: early.id, doc: { ...early, expiresAt: at(4000) }, version: 2 }],
          }),
        );
        expect(await ids(5000)).toEqual([late.id, early.id]);
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'lease', id: early.id, version: 2 }],
            put: [{ kind: 'lease', id: early.id, doc: { ...early, state: 'EXPIRED' }, version: 3 }],
          }),
        );
        await e.store.commit(
          commitOf({
            expect: [{ kind: 'lease', id: late.id, version: 1 }],
            del: [{ kind: 'lease', id: late.id }],
          }),
        );
        expect(await ids(5000)).toEqual([]);
        // A kind without an ordered index has nothing due.
        expect(await e.store.listDue('agent', Date.parse(at(5000)), 10)).toEqual([]);
      });
    });

    describe('presence', () => {
      it('returns the live reports and drops each once its time runs out', async () => {
        let t = Date.parse('2026-01-01T00:00:00.000Z');
        const e = await make(1000, { now: () => new Date(t) });
        const snapshot = {
          activeConnections: 1,
          totalConnections: 1,
          totalDisconnections: 0,
          activeSubscriptions: 2,
          rooms: { r: 2 },
          eventsPublished: 3,
          messagesDelivered: 4,
        };
        const other = { ...snapshot, rooms: {} };
        await e.presence.report('one', snapshot, 60_000);
        await e.presence.report('two', other, 1000);
        t += 999;
        expect(await e.presence.all()).toEqual(expect.arrayContaining([snapshot, other]));
        expect(await e.presence.all()).toHaveLength(2);
        t += 1;
        expect(await e.presence.all()).toEqual([snapshot]);
        // A new report brings a dropped instance back.
        await e.presence.report('two', other, 1000);
        expect(await e.presence.all()).toHaveLength(2);
        t += 60_000;
        expect(await e.presence.all()).toEqual([]);
      });
    });

    it('reports health', async () => {
      const e = await make();
      expect(await e.health()).toMatchObject({ ready: true });
    });
  });
}
