/**
 * The optimistic transaction runner on the memory engine's real store. A racing writer is another
 * commit to the same store, made between a transaction's read and its commit; a store that fails is
 * a thin wrapper that delegates to the real one and throws where the test says.
 */
import { describe, expect, it } from 'vitest';
import { DomainError, IdempotencyKeyTaken, invalidTransition, unavailable } from '../../src/domain/errors.js';
import type { Agent } from '../../src/domain/model.js';
import type { Commit, Store } from '../../src/domain/ports.js';
import {
  IDEMPOTENCY_KEY,
  requestHash,
  TransactionRunner,
  type IdempotencyContext,
  type Tx,
} from '../../src/domain/transaction.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { errorOf, ManualClock } from './fleet.js';

const at = '2026-01-01T00:00:00.000Z';
let n = 0;
function agentDoc(overrides: Partial<Agent> = {}): Agent {
  n++;
  return {
    id: `01TX000000000000000000${String(n).padStart(4, '0')}`,
    name: `agent-${n}`,
    type: 't',
    status: 'ACTIVE',
    capabilities: [],
    metadata: null,
    activeTaskCount: 0,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/** The real store, with `commit` going through `commit` (which may call the real one). */
function withCommit(real: Store, commit: (commit: Commit) => ReturnType<Store['commit']>): Store {
  return {
    get: (kind, id) => real.get(kind, id),
    list: (kind, query) => real.list(kind, query),
    listDue: (kind, upTo, limit) => real.listDue(kind, upTo, limit),
    count: (kind, where) => real.count(kind, where),
    setVersions: (keys) => real.setVersions(keys),
    time: () => real.time(),
    idempotency: (key) => real.idempotency(key),
    commit,
  };
}

function setup(options: { maxAttempts?: number; store?: (real: Store) => Store } = {}) {
  const clock = new ManualClock();
  const engine = createMemoryEngine({ retention: 1000, clock });
  const store = options.store ? options.store(engine.store) : engine.store;
  const runner = new TransactionRunner({
    store,
    clock,
    source: 'tx-test',
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
  /** Stores `doc` as a new record outside any transaction, as another request would. */
  const seed = async (doc: Agent) => {
    await runner.run(async (tx) => tx.create('agent', doc));
    return doc;
  };
  /** Another writer's change to `doc`, committed straight away. */
  const rename = (id: string, name: string) =>
    runner.run(async (tx) => {
      const current = (await tx.get('agent', id))!;
      tx.put('agent', { ...current, name });
    });
  return { engine, runner, seed, rename, clock };
}

describe('a transaction', () => {
  it('commits what it staged with the versions it read: 1 for a new record, then one more per change', async () => {
    const { engine, runner, seed } = setup();
    const a = await seed(agentDoc());
    expect(await engine.store.get('agent', a.id)).toEqual({ doc: a, version: 1 });
    for (const version of [2, 3, 4]) {
      const { value, events } = await runner.run(async (tx) => {
        const current = (await tx.get('agent', a.id))!;
        tx.put('agent', { ...current, activeTaskCount: current.activeTaskCount + 1 });
        tx.emit({ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: version } });
        return current.activeTaskCount;
      });
      expect(value).toBe(version - 2);
      expect(events).toMatchObject([
        { type: 'CUSTOM', source: 'tx-test', timestamp: at, payload: { data: version } },
      ]);
      expect(await engine.store.get('agent', a.id)).toEqual({
        doc: { ...a, activeTaskCount: version - 1 },
        version,
      });
    }
  });

  it('sees its own staged writes and deletes on a second read', async () => {
    const { runner, seed } = setup();
    const a = await seed(agentDoc());
    const b = await seed(agentDoc());
    const { value } = await runner.run(async (tx) => {
      tx.put('agent', { ...(await tx.get('agent', a.id))!, name: 'staged' });
      await tx.get('agent', b.id);
      tx.delete('agent', b.id);
      const listed = await tx.list('agent', { limit: 10 });
      return {
        a: (await tx.get('agent', a.id))?.name,
        b: await tx.get('agent', b.id),
        guarded: tx.guard('agent', listed[0]!).name,
      };
    });
    expect(value).toEqual({ a: 'staged', b: null, guarded: 'staged' });
  });

  it('deletes a record it read', async () => {
    const { engine, runner, seed } = setup();
    const a = await seed(agentDoc());
    await runner.run(async (tx) => {
      await tx.get('agent', a.id);
      tx.delete('agent', a.id);
    });
    expect(await engine.store.get('agent', a.id)).toBeNull();
    expect(await engine.store.count('agent')).toBe(0);
  });

  it('writes nothing and publishes nothing when it staged nothing', async () => {
    const { engine, runner, seed } = setup();
    const a = await seed(agentDoc());
    const last = await engine.log.lastId();
    const { value, events } = await runner.run(async (tx) => (await tx.get('agent', a.id))?.name);
    expect(value).toBe(a.name);
    expect(events).toEqual([]);
    expect(await engine.log.lastId()).toBe(last);
  });

  it('commits events alone, without any record', async () => {
    const { engine, runner } = setup();
    const { events } = await runner.run(async (tx) => {
      tx.emit({ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: 1 } });
    });
    expect(events).toHaveLength(1);
    expect(await engine.log.lastId()).toBe(events[0]!.id);
  });

  it.each(['put', 'delete'] as const)(
    'refuses to %s a record it did not read, and writes nothing',
    async (op) => {
      const { engine, runner, seed } = setup();
      const a = await seed(agentDoc());
      const last = await engine.log.lastId();
      const error = await runner
        .run(async (tx) => {
          tx.emit({ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: null } });
          if (op === 'put') tx.put('agent', { ...a, name: 'blind' });
          else tx.delete('agent', a.id);
        })
        .catch((e: unknown) => e);
      // A programming error, not a client's: it is masked, not a DomainError.
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(DomainError);
      expect((error as Error).message).toContain(`agent:${a.id}`);
      expect(await engine.store.get('agent', a.id)).toEqual({ doc: a, version: 1 });
      expect(await engine.log.lastId()).toBe(last);
    },
  );

  it('accepts a put of a record it only listed and guarded', async () => {
    const { engine, runner, seed } = setup();
    const a = await seed(agentDoc());
    await runner.run(async (tx) => {
      const [record] = await tx.list('agent', { limit: 1 });
      tx.put('agent', { ...tx.guard('agent', record!), name: 'listed' });
    });
    expect(await engine.store.get('agent', a.id)).toEqual({ doc: { ...a, name: 'listed' }, version: 2 });
  });
});

describe('a version conflict', () => {
  it('runs the function again on fresh data when another writer changed what it read', async () => {
    const { engine, runner, seed, rename } = setup();
    const a = await seed(agentDoc());
    const seen: string[] = [];
    const { value } = await runner.run(async (tx) => {
      const current = (await tx.get('agent', a.id))!;
      seen.push(current.name);
      if (seen.length === 1) await rename(a.id, 'theirs');
      tx.put('agent', { ...current, name: `${current.name}+mine` });
      return current.name;
    });
    expect(seen).toEqual([a.name, 'theirs']);
    expect(value).toBe('theirs');
    expect(await engine.store.get('agent', a.id)).toEqual({ doc: { ...a, name: 'theirs+mine' }, version: 3 });
  });

  it('guards the version of the first read: a later read of a newer version does not hide the change', async () => {
    const { engine, runner, seed, rename } = setup();
    const a = await seed(agentDoc());
    const b = await seed(agentDoc());
    let attempts = 0;
    await runner.run(async (tx) => {
      attempts++;
      const first = (await tx.get('agent', a.id))!;
      if (attempts === 1) await rename(a.id, 'theirs');
      // Read again: the decision above was taken on the first version, so that one must still hold.
      await tx.get('agent', a.id);
      const other = (await tx.get('agent', b.id))!;
      tx.put('agent', { ...other, name: `saw ${first.name}` });
    });
    expect(attempts).toBe(2);
    expect((await engine.store.get('agent', b.id))?.doc.name).toBe('saw theirs');
  });

  it('guards the version a record was listed at, even when it is read again later', async () => {
    const { engine, runner, seed, rename } = setup();
    const a = await seed(agentDoc());
    let attempts = 0;
    await runner.run(async (tx) => {
      attempts++;
      const [listed] = await tx.list('agent', { limit: 1 });
      const first = tx.guard('agent', listed!);
      if (attempts === 1) await rename(a.id, 'theirs');
      const again = await tx.list('agent', { limit: 1 });
      tx.guard('agent', again[0]!);
      tx.put('agent', { ...(await tx.get('agent', a.id))!, metadata: { saw: first.name } });
    });
    expect(attempts).toBe(2);
    expect((await engine.store.get('agent', a.id))?.doc).toMatchObject({
      name: 'theirs',
      metadata: { saw: 'theirs' },
    });
  });

  it('guards a read record that it does not write', async () => {
    const { engine, runner, seed, rename } = setup();
    const a = await seed(agentDoc());
    const b = await seed(agentDoc());
    let attempts = 0;
    await runner.run(async (tx) => {
      attempts++;
      const decidedOn = (await tx.get('agent', a.id))!;
      if (attempts === 1) await rename(a.id, 'theirs');
      tx.put('agent', { ...(await tx.get('agent', b.id))!, name: `after ${decidedOn.name}` });
    });
    expect(attempts).toBe(2);
    expect((await engine.store.get('agent', b.id))?.doc.name).toBe('after theirs');
  });

  it('refuses to create a record whose id another writer created first', async () => {
    const { engine, runner, seed } = setup({ maxAttempts: 2 });
    const a = await seed(agentDoc({ name: 'first' }));
    let attempts = 0;
    const error = await errorOf(
      runner.run(async (tx) => {
        attempts++;
        tx.create('agent', { ...a, name: 'second' });
      }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(attempts).toBe(2);
    expect(await engine.store.get('agent', a.id)).toEqual({ doc: a, version: 1 });
  });

  it('lets exactly one of two racing creations of one id win', async () => {
    const { engine, runner } = setup({ maxAttempts: 1 });
    const doc = agentDoc();
    const results = await Promise.allSettled(
      ['one', 'two'].map((name) =>
        runner.run(async (tx) => {
          // Both look first, both see nothing, both create.
          expect(await tx.list('agent', { limit: 1 })).toEqual([]);
          tx.create('agent', { ...doc, name });
          return name;
        }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(await engine.store.get('agent', doc.id)).toEqual({
      doc: { ...doc, name: (won[0] as PromiseFulfilledResult<{ value: string }>).value.value },
      version: 1,
    });
  });

  it('expects the version it read when it creates over a record it read earlier', async () => {
    const { engine, runner, seed } = setup({ maxAttempts: 1 });
    const a = await seed(agentDoc());
    // Read at version 1, then staged as a creation: the commit must check version 1, not 0.
    await runner.run(async (tx) => {
      await tx.get('agent', a.id);
      tx.create('agent', { ...a, name: 'recreated' });
    });
    expect((await engine.store.get('agent', a.id))?.doc.name).toBe('recreated');
  });
});

describe('contention', () => {
  /** A transaction that another writer beats on every attempt. */
  const alwaysBeaten = (ctx: ReturnType<typeof setup>, id: string, attempts: { n: number }) =>
    ctx.runner.run(async (tx: Tx) => {
      attempts.n++;
      const current = (await tx.get('agent', id))!;
      await ctx.rename(id, `theirs-${attempts.n}`);
      tx.put('agent', { ...current, name: 'mine' });
    });

  it('becomes CONFLICT CONTENTION after 12 attempts by default, with nothing of it written', async () => {
    const ctx = setup();
    const a = await ctx.seed(agentDoc());
    const attempts = { n: 0 };
    const error = await errorOf(alwaysBeaten(ctx, a.id, attempts));
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toEqual({ reason: 'CONTENTION' });
    expect(attempts.n).toBe(12);
    expect(await ctx.engine.store.get('agent', a.id)).toEqual({
      doc: { ...a, name: 'theirs-12' },
      version: 13,
    });
  });

  it('stops after the configured number of attempts', async () => {
    const ctx = setup({ maxAttempts: 3 });
    const a = await ctx.seed(agentDoc());
    const attempts = { n: 0 };
    expect((await errorOf(alwaysBeaten(ctx, a.id, attempts))).details).toEqual({ reason: 'CONTENTION' });
    expect(attempts.n).toBe(3);
  });

  it('succeeds on the last attempt allowed', async () => {
    const ctx = setup({ maxAttempts: 3 });
    const a = await ctx.seed(agentDoc());
    let attempts = 0;
    await ctx.runner.run(async (tx) => {
      attempts++;
      const current = (await tx.get('agent', a.id))!;
      if (attempts < 3) await ctx.rename(a.id, `theirs-${attempts}`);
      tx.put('agent', { ...current, name: 'mine' });
    });
    expect(attempts).toBe(3);
    expect((await ctx.engine.store.get('agent', a.id))?.doc.name).toBe('mine');
  });
});

describe('a failing store', () => {
  /** The real store, whose commit throws `error` instead of committing. */
  const failing =
    (error: Error, seen: { commits: number }) =>
    (real: Store): Store =>
      withCommit(real, async () => {
        seen.commits++;
        throw error;
      });

  it.each([
    ['an UNAVAILABLE from the engine', unavailable('Redis is not answering.')],
    ['an unexpected error', new Error('socket closed')],
  ])('passes %s through unchanged, without retrying', async (_, thrown) => {
    const seen = { commits: 0 };
    const { runner } = setup({ store: failing(thrown, seen) });
    let attempts = 0;
    const error = await runner
      .run(async (tx) => {
        attempts++;
        tx.emit({ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: null } });
      })
      .catch((e: unknown) => e);
    expect(error).toBe(thrown);
    expect(attempts).toBe(1);
    expect(seen.commits).toBe(1);
  });

  it('does not commit when the function throws', async () => {
    const seen = { commits: 0 };
    const { runner } = setup({ store: failing(new Error('never reached'), seen) });
    const refused = new DomainError('BAD_USER_INPUT', 'no');
    await expect(
      runner.run(async (tx) => {
        tx.emit({ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: null } });
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(seen.commits).toBe(0);
  });
});

describe('a set read', () => {
  it('guards the version of the first listing: listing again after a change does not hide it', async () => {
    const { engine, runner, seed } = setup();
    await seed(agentDoc());
    let attempts = 0;
    const { value } = await runner.run(async (tx) => {
      attempts++;
      const first = await tx.list('agent', { where: { status: 'ACTIVE' }, limit: 10 });
      if (attempts === 1) await seed(agentDoc());
      await tx.count('agent', { status: 'ACTIVE' });
      tx.emit({ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: first.length } });
      return first.length;
    });
    expect(attempts).toBe(2);
    expect(value).toBe(2);
    expect(await engine.store.count('agent', { status: 'ACTIVE' })).toBe(2);
  });
});

describe('a refusal', () => {
  it('is re-checked against what it read: refused on a stale read, the function runs again', async () => {
    const { engine, runner, seed, rename } = setup();
    const a = await seed(agentDoc({ name: 'busy' }));
    let attempts = 0;
    const { value } = await runner.run(async (tx) => {
      attempts++;
      const current = (await tx.get('agent', a.id))!;
      if (attempts === 1) await rename(a.id, 'free');
      if (current.name === 'busy') throw invalidTransition('It is busy.');
      tx.put('agent', { ...current, metadata: { taken: true } });
      return current.name;
    });
    expect(attempts).toBe(2);
    expect(value).toBe('free');
    expect((await engine.store.get('agent', a.id))?.doc.metadata).toEqual({ taken: true });
  });

  it('that read nothing is answered at once', async () => {
    const seen = { commits: 0 };
    const { runner, engine } = setup({
      store: (real) => withCommit(real, (c) => (seen.commits++, real.commit(c))),
    });
    const refused = invalidTransition('No.');
    await expect(runner.run(async () => Promise.reject(refused))).rejects.toBe(refused);
    expect(seen.commits).toBe(0);
    expect(await engine.log.lastId()).toBeNull();
  });
});

describe('an idempotency key', () => {
  const QUERY = 'mutation { createAgent }';
  const request = (key: string, scope = 'ada', variables: unknown = { n: 1 }): IdempotencyContext => ({
    key,
    scope,
    requestHash: requestHash(QUERY, null, variables),
  });
  /** A change that creates one agent and says so, as a keyed request would. */
  const createOne = (tx: Tx) => {
    const doc = agentDoc();
    tx.create('agent', doc);
    tx.emit({ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: doc.id } });
    return Promise.resolve(doc.id);
  };

  it('applies the change once: sent again, it answers the first outcome with its event ids', async () => {
    const { engine, runner } = setup();
    const first = await runner.withIdempotency(request('k1')).run(createOne);
    const again = await runner.withIdempotency(request('k1')).run(createOne);
    expect(again).toEqual(first);
    expect(again.events[0]?.id).toBe(await engine.log.lastId());
    expect(await engine.store.count('agent')).toBe(1);
    expect(
      await engine.log.readRange({ after: null, before: null, limit: 10, newestFirst: false }),
    ).toHaveLength(1);
  });

  it("keys the n-th change of one request by n, in the caller's scope", async () => {
    const { engine, runner } = setup();
    const once = runner.withIdempotency(request('k2'));
    const a = await once.run(createOne);
    const b = await once.run(createOne);
    expect(a.value).not.toBe(b.value);
    expect(await engine.store.idempotency('ada:1:k2')).not.toBeNull();
    expect(await engine.store.idempotency('ada:2:k2')).not.toBeNull();
    // The retried request runs the same steps and gets each step's own outcome back.
    const retry = runner.withIdempotency(request('k2'));
    expect((await retry.run(createOne)).value).toBe(a.value);
    expect((await retry.run(createOne)).value).toBe(b.value);
    expect(await engine.store.count('agent')).toBe(2);
  });

  it('is kept apart per caller: the same key from another scope is another change', async () => {
    const { engine, runner } = setup();
    const mine = await runner.withIdempotency(request('k3', 'ada')).run(createOne);
    const theirs = await runner.withIdempotency(request('k3', 'bob')).run(createOne);
    expect(theirs.value).not.toBe(mine.value);
    expect(await engine.store.count('agent')).toBe(2);
  });

  it('sent with another request is refused, and nothing is written', async () => {
    const { engine, runner } = setup();
    await runner.withIdempotency(request('k4', 'ada', { n: 1 })).run(createOne);
    const last = await engine.log.lastId();
    const error = await errorOf(runner.withIdempotency(request('k4', 'ada', { n: 2 })).run(createOne));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details).toEqual({ reason: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await engine.store.count('agent')).toBe(1);
    expect(await engine.log.lastId()).toBe(last);
  });

  it('does not keep a refusal: the same request sent again runs again', async () => {
    const { engine, runner } = setup();
    let refuse = true;
    const fn = async (tx: Tx) => {
      if (refuse) throw invalidTransition('Not now.');
      return createOne(tx);
    };
    await expect(runner.withIdempotency(request('k5')).run(fn)).rejects.toThrow('Not now.');
    refuse = false;
    await runner.withIdempotency(request('k5')).run(fn);
    expect(await engine.store.count('agent')).toBe(1);
  });

  it('does not keep a change that wrote nothing: sent again later, it reads afresh', async () => {
    const { runner, seed, rename } = setup();
    const a = await seed(agentDoc({ name: 'before' }));
    const read = async (tx: Tx) => (await tx.get('agent', a.id))?.name;
    expect((await runner.withIdempotency(request('k6')).run(read)).value).toBe('before');
    await rename(a.id, 'after');
    expect((await runner.withIdempotency(request('k6')).run(read)).value).toBe('after');
  });

  it('answers with the stored outcome before running again, even where running again would be refused', async () => {
    const { runner } = setup();
    const id = agentDoc().id;
    const createOnce = async (tx: Tx) => {
      if (await tx.get('agent', id)) throw invalidTransition('It exists already.');
      tx.create('agent', agentDoc({ id }));
      return 'created';
    };
    const first = await runner.withIdempotency(request('k8')).run(createOnce);
    expect(await runner.withIdempotency(request('k8')).run(createOnce)).toEqual(first);
    // Without the key, the same change is refused now.
    await expect(runner.run(createOnce)).rejects.toThrow('It exists already.');
  });

  it('sent twice at once commits once: the later commit answers with the first outcome', async () => {
    const taken = { n: 0 };
    const { engine, runner } = setup({
      store: (real) =>
        withCommit(real, (c) =>
          real.commit(c).catch((error: unknown) => {
            if (error instanceof IdempotencyKeyTaken) taken.n++;
            throw error;
          }),
        ),
    });
    const [a, b] = await Promise.all([
      runner.withIdempotency(request('k7')).run(createOne),
      runner.withIdempotency(request('k7')).run(createOne),
    ]);
    expect(taken.n).toBe(1);
    expect(b).toEqual(a);
    expect(await engine.store.count('agent')).toBe(1);
  });

  it('is 1–255 visible ASCII characters', () => {
    for (const key of ['k', '!', '~', 'a'.repeat(255), 'order-42:retry_1'])
      expect(IDEMPOTENCY_KEY.test(key), key).toBe(true);
    for (const key of ['', ' ', ' k', 'k ', 'a b', 'a'.repeat(256), 'ключ', 'k\n', '\tk'])
      expect(IDEMPOTENCY_KEY.test(key), JSON.stringify(key)).toBe(false);
  });

  it('is bound to a digest of the document, the operation name and the variables', () => {
    const base = requestHash('q', 'Op', { a: 1 });
    expect(requestHash('q', 'Op', { a: 1 })).toBe(base);
    expect(
      new Set([
        base,
        requestHash('q2', 'Op', { a: 1 }),
        requestHash('q', 'Other', { a: 1 }),
        requestHash('q', null, { a: 1 }),
        requestHash('q', 'Op', { a: 2 }),
        requestHash('q', 'Op', null),
      ]).size,
    ).toBe(6);
    expect(requestHash('q', undefined, undefined)).toBe(requestHash('q', null, null));
    expect(base).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
