/**
 * Subscription groups: which subscriptions share a key, which events a group wants, and how one
 * encoding of an event reaches every member, framed, in order, past each member's floor. Real
 * connection queues write to sockets that stand in for WebSockets.
 */
import { describe, expect, it } from 'vitest';
import { READ_ALL, type ReadAccess } from '../../src/domain/access/read-access.js';
import type { EventType, StoredEvent } from '../../src/domain/events/event-types.js';
import { performance } from 'node:perf_hooks';
import { ConnectionQueue, type FrameSink } from '../../src/realtime/connection-queue.js';
import {
  FAN_OUT_SHARE,
  FAN_OUT_SLICE_MS,
  groupKey,
  PACED_PASS_MS,
  RecentEncodings,
  SubscriptionGroup,
  TurnBudget,
  type EventEncoder,
  type Member,
} from '../../src/realtime/subscription-group.js';

class Socket implements FrameSink {
  readonly frames: string[] = [];
  write(frame: Buffer): void {
    this.frames.push(frame.toString());
  }
  bufferedBytes(): number {
    return this.frames.reduce((n, f) => n + f.length, 0);
  }
  onDrain(): void {}
}

function event(id: string, rooms: string[] = ['r'], type: EventType = 'CUSTOM'): StoredEvent {
  return {
    id,
    type,
    rooms,
    payload: { kind: 'custom', data: { id } },
    timestamp: '2026-01-01T00:00:00.000Z',
    source: 'group-test',
  } as StoredEvent;
}

function member(name: string, floor: string | null = null, maxBytes = 1 << 20) {
  const socket = new Socket();
  const overflows: number[] = [];
  const queue = new ConnectionQueue(
    socket,
    { messagesDelivered: 0 },
    { maxBytes, onOverflow: (b) => overflows.push(b) },
  );
  const m: Member = { queue, floor, prefix: Buffer.from(`<${name}:`), suffix: Buffer.from('>') };
  return { m, socket, overflows };
}

function groupOf(
  encode: EventEncoder,
  options: {
    rooms?: string[] | null;
    types?: EventType[] | null;
    access?: ReadAccess;
    budget?: TurnBudget;
    passBytes?: number;
  } = {},
) {
  const errors: { obj: object; msg: string }[] = [];
  const group = new SubscriptionGroup(
    'the-key',
    options.rooms ?? null,
    options.types ? new Set(options.types) : null,
    options.access ?? READ_ALL,
    encode,
    { error: (obj, msg) => errors.push({ obj, msg }) },
    options.budget,
    undefined,
    options.passBytes,
  );
  return { group, errors };
}

/** An encoder that counts its calls and encodes an event as its id. */
function counting() {
  const calls: string[] = [];
  const encode = (e: StoredEvent) => {
    calls.push(e.id);
    return Buffer.from(e.id);
  };
  return { calls, encode };
}

const onlyRoom = (room: string): ReadAccess => ({ key: `only:${room}`, canRead: (r) => r === room });

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('groupKey', () => {
  const q = 'subscription { events { id } }';
  it('is one key for the same variables in any key order, at any depth', () => {
    const a = groupKey(q, 'Op', { rooms: ['a', 'b'], filter: { x: 1, y: { p: 1, q: 2 } } }, READ_ALL);
    const b = groupKey(q, 'Op', { filter: { y: { q: 2, p: 1 }, x: 1 }, rooms: ['a', 'b'] }, READ_ALL);
    expect(a).toBe(b);
  });

  it('differs for another document, operation, variable value, list order or read rights', () => {
    const base = groupKey(q, 'Op', { rooms: ['a', 'b'] }, READ_ALL);
    expect(groupKey(`${q} `, 'Op', { rooms: ['a', 'b'] }, READ_ALL)).not.toBe(base);
    expect(groupKey(q, 'Other', { rooms: ['a', 'b'] }, READ_ALL)).not.toBe(base);
    expect(groupKey(q, 'Op', { rooms: ['a', 'c'] }, READ_ALL)).not.toBe(base);
    expect(groupKey(q, 'Op', { rooms: ['b', 'a'] }, READ_ALL)).not.toBe(base);
    expect(groupKey(q, 'Op', { rooms: ['a', 'b'] }, onlyRoom('a'))).not.toBe(base);
    expect(groupKey(q, 'Op', { rooms: null }, READ_ALL)).not.toBe(groupKey(q, 'Op', {}, READ_ALL));
  });

  it('treats no operation name and no variables as null and {}', () => {
    expect(groupKey(q, undefined, undefined, READ_ALL)).toBe(groupKey(q, null, null, READ_ALL));
    expect(groupKey(q, null, {}, READ_ALL)).toBe(groupKey(q, null, null, READ_ALL));
    expect(groupKey(q, null, null, READ_ALL)).not.toBe(groupKey(q, 'null', null, READ_ALL));
  });
});

describe('a subscription group', () => {
  it('wants the types it filters on, and without rooms only what its readers may read', () => {
    const typed = groupOf(counting().encode, { rooms: ['r'], types: ['TASK_CREATED'] }).group;
    expect(typed.wants(event('1-0', ['r'], 'TASK_CREATED'))).toBe(true);
    expect(typed.wants(event('1-0', ['r'], 'CUSTOM'))).toBe(false);
    // With rooms, the room index has already routed the event: any of them will do.
    const roomed = groupOf(counting().encode, { rooms: ['r'], access: onlyRoom('nothing') }).group;
    expect(roomed.wants(event('1-0', ['r']))).toBe(true);
    const everywhere = groupOf(counting().encode, { access: onlyRoom('a') }).group;
    expect(everywhere.wants(event('1-0', ['b', 'a']))).toBe(true);
    expect(everywhere.wants(event('1-0', ['b']))).toBe(false);
  });

  it('encodes a live event once and writes it to every member, framed, except where it is not past the floor', () => {
    const { calls, encode } = counting();
    const { group } = groupOf(encode);
    const one = member('one');
    const two = member('two', '5-0');
    for (const m of [one, two]) group.members.add(m.m);
    expect(group.size).toBe(2);
    group.deliver(event('4-0'));
    group.deliver(event('5-0'));
    group.deliver(event('5-1'));
    expect(calls).toEqual(['4-0', '5-0', '5-1']);
    expect(one.socket.frames).toEqual(['<one:4-0>', '<one:5-0>', '<one:5-1>']);
    expect(two.socket.frames).toEqual(['<two:5-1>']);
  });

  it('writes to one member alone, a replayed event outside its queue bound', () => {
    const { group } = groupOf(counting().encode);
    const small = member('s', null, 5);
    const other = member('o');
    group.members.add(small.m);
    group.members.add(other.m);
    group.deliverTo(small.m, event('1-0'), true);
    expect(small.socket.frames).toEqual(['<s:1-0>']);
    expect(small.overflows).toEqual([]);
    expect(other.socket.frames).toEqual([]);
    group.deliverTo(small.m, event('2-0'), false);
    expect(small.overflows).toEqual([14]);
  });

  it('keeps events in order behind an encoding that waits, then goes back to writing at once', async () => {
    const slow = deferred<Buffer>();
    const calls: string[] = [];
    const { group } = groupOf((e) => {
      calls.push(e.id);
      return e.id === '1-0' ? slow.promise : Buffer.from(e.id);
    });
    const m = member('m');
    group.members.add(m.m);
    group.deliver(event('1-0'));
    group.deliver(event('2-0'));
    group.deliverTo(m.m, event('3-0'), false);
    await settle();
    expect(calls).toEqual(['1-0']);
    expect(m.socket.frames).toEqual([]);
    slow.resolve(Buffer.from('one'));
    await settle();
    expect(m.socket.frames).toEqual(['<m:one>', '<m:2-0>', '<m:3-0>']);
    group.deliver(event('4-0'));
    expect(m.socket.frames.at(-1)).toBe('<m:4-0>');
  });

  it('keeps a later event behind every encoding still waiting, not just the first', async () => {
    const waits = new Map([
      ['1-0', deferred<Buffer>()],
      ['2-0', deferred<Buffer>()],
    ]);
    const { group } = groupOf((e) => waits.get(e.id)?.promise ?? Buffer.from(e.id));
    const m = member('m');
    group.members.add(m.m);
    group.deliver(event('1-0'));
    group.deliver(event('2-0'));
    waits.get('1-0')!.resolve(Buffer.from('one'));
    await settle();
    group.deliver(event('3-0'));
    expect(m.socket.frames).toEqual(['<m:one>']);
    waits.get('2-0')!.resolve(Buffer.from('two'));
    await settle();
    expect(m.socket.frames).toEqual(['<m:one>', '<m:two>', '<m:3-0>']);
  });

  it('logs an event it cannot encode, sends nothing for it, and goes on with the next', async () => {
    const { group, errors } = groupOf((e) => {
      if (e.id === '1-0') throw new Error('sync bug');
      if (e.id === '2-0') return Promise.reject(new Error('async bug'));
      return Buffer.from(e.id);
    });
    const m = member('m');
    group.members.add(m.m);
    group.deliver(event('1-0'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.obj).toMatchObject({ event: '1-0', group: 'the-key', err: { message: 'sync bug' } });
    expect(errors[0]!.msg).toBe('could not encode an event');
    group.deliver(event('2-0'));
    group.deliver(event('3-0'));
    await settle();
    expect(errors).toHaveLength(2);
    expect(errors[1]!.obj).toMatchObject({
      event: '2-0',
      group: 'the-key',
      err: { message: 'async bug' },
    });
    expect(m.socket.frames).toEqual(['<m:3-0>']);
    group.deliver(event('4-0'));
    expect(m.socket.frames).toEqual(['<m:3-0>', '<m:4-0>']);
  });
});

describe('recent encodings', () => {
  it('are shared by members that replay the same events, the newest 256 of them', () => {
    const { calls, encode } = counting();
    const { group } = groupOf(encode);
    const [one, two] = [member('one'), member('two')];
    group.deliver(event('1-0'));
    for (const m of [one, two]) {
      group.deliverTo(m.m, event('1-0'), true);
      group.deliverTo(m.m, event('2-0'), true);
    }
    expect(calls).toEqual(['1-0', '2-0']);
    expect(two.socket.frames).toEqual(['<two:1-0>', '<two:2-0>']);
    // Older than the newest 256: encoded again.
    for (let i = 3; i < 3 + 256; i++) group.deliver(event(`${i}-0`));
    group.deliverTo(one.m, event('2-0'), true);
    group.deliverTo(one.m, event('258-0'), true);
    expect(calls.slice(-2)).toEqual(['258-0', '2-0']);
  });
});

describe('a large fan-out', () => {
  /** A socket whose every write costs the CPU `micros` (a real socket's send does). */
  class BusySocket extends Socket {
    constructor(private readonly micros: number) {
      super();
    }
    override write(frame: Buffer): void {
      const until = performance.now() + this.micros / 1000;
      while (performance.now() < until);
      super.write(frame);
    }
  }

  /**
   * Sockets that note the turn of the event loop each frame was written in (turns counted from the
   * call until `stop`).
   */
  function turnCounter() {
    let turn = 0;
    let turning = true;
    const tick = () => {
      turn++;
      if (turning) setImmediate(tick);
    };
    setImmediate(tick);
    class TurnSocket extends BusySocket {
      readonly turns: number[] = [];
      override write(frame: Buffer): void {
        this.turns.push(turn);
        super.write(frame);
      }
    }
    return { TurnSocket, stop: () => (turning = false) };
  }

  /** `n` members of `group` whose sockets are made by `socket`, framed `<i:` … `>`. */
  function busyMembers<S extends Socket>(group: SubscriptionGroup, n: number, socket: () => S) {
    return Array.from({ length: n }, (_, i) => {
      const made = socket();
      const m: Member = {
        queue: new ConnectionQueue(
          made,
          { messagesDelivered: 0 },
          { maxBytes: 1 << 20, onOverflow: () => {} },
        ),
        floor: null,
        prefix: Buffer.from(`<${i}:`),
        suffix: Buffer.from('>'),
      };
      group.members.add(m);
      return { m, socket: made };
    });
  }

  it('yields to the event loop in slices, keeps each member in order, and skips one that left', async () => {
    const { group } = groupOf(counting().encode);
    // 3000 writes of 10 µs: 30 ms of work, several slices of FAN_OUT_SLICE_MS.
    const members = busyMembers(group, 3000, () => new BusySocket(10));
    const written = () => members.filter((x) => x.socket.frames.length > 0).length;
    const progress: number[] = [];
    setImmediate(() => progress.push(written()));
    group.deliver(event('1-0'));
    expect(group.idle).toBe(false);
    // Delivered while the first is still being written: it waits behind it.
    group.deliver(event('2-0'));
    const leaving = members.at(-1)!;
    group.members.delete(leaving.m);
    while (!group.idle) await settle();
    // Another turn ran in the middle of the first fan-out.
    expect(progress).toHaveLength(1);
    expect(progress[0]).toBeGreaterThan(0);
    expect(progress[0]).toBeLessThan(members.length);
    for (const [i, x] of members.slice(0, -1).entries())
      expect(x.socket.frames).toEqual([`<${i}:1-0>`, `<${i}:2-0>`]);
    expect(leaving.socket.frames).toEqual([]);
  });

  it('writes the events routed during a fan-out in one later pass, each member taking them in one turn', async () => {
    const { group } = groupOf(counting().encode);
    const { TurnSocket, stop } = turnCounter();
    const members = busyMembers(group, 3000, () => new TurnSocket(10));
    group.deliver(event('1-0'));
    expect(group.idle).toBe(false);
    // Routed while the first is being written, a slice at a time: they wait, as one batch.
    group.deliver(event('2-0'));
    const late = member('late');
    group.members.add(late.m);
    group.deliver(event('3-0'));
    group.deliver(event('4-0'));
    while (!group.idle) await settle();
    stop();
    for (const [i, x] of members.entries()) {
      expect(x.socket.frames).toEqual([`<${i}:1-0>`, `<${i}:2-0>`, `<${i}:3-0>`, `<${i}:4-0>`]);
      const [first, ...rest] = x.socket.turns;
      // The batch after the first event: in one turn, after the first.
      expect(new Set(rest).size).toBe(1);
      expect(rest[0]).toBeGreaterThanOrEqual(first!);
    }
    // Several turns went by: the fan-out did yield.
    expect(new Set(members.map((x) => x.socket.turns[0])).size).toBeGreaterThan(1);
    // One that joined in the middle of the batch gets only what was routed after it joined.
    expect(late.socket.frames).toEqual(['<late:3-0>', '<late:4-0>']);
  });

  it("paces a large group's passes to the budget's share; what is routed meanwhile goes in the next pass", async () => {
    const budget = new TurnBudget();
    const { group } = groupOf(counting().encode, { budget });
    const { TurnSocket, stop } = turnCounter();
    // 3000 writes of 10 µs: a pass of 30 ms of work, a large one.
    const members = busyMembers(group, 3000, () => new TurnSocket(10));
    group.deliver(event('1-0'));
    while (!group.idle) await settle();
    // Its pass took its share: the next waits (here for a pace set long, so that nothing depends on
    // how fast this machine is).
    budget.passed(performance.now(), 400 * FAN_OUT_SHARE);
    group.deliver(event('2-0'));
    await settle();
    expect(members.every((x) => x.socket.frames.length === 1)).toBe(true);
    group.deliver(event('3-0'));
    await settle();
    group.deliver(event('4-0'));
    while (!group.idle) await settle();
    stop();
    for (const [i, x] of members.entries()) {
      expect(x.socket.frames).toEqual([`<${i}:1-0>`, `<${i}:2-0>`, `<${i}:3-0>`, `<${i}:4-0>`]);
      // The three routed while it waited: one pass, each member's in one turn.
      expect(new Set(x.socket.turns.slice(1)).size).toBe(1);
    }
    // A small group is not paced: written at once.
    const small = groupOf(counting().encode, { budget }).group;
    const one = member('one');
    small.members.add(one.m);
    budget.passed(performance.now(), 400 * FAN_OUT_SHARE);
    small.deliver(event('5-0'));
    expect(one.socket.frames).toEqual(['<one:5-0>']);
  });

  it('writes a batch a few payload bytes at a time, so that a pass never puts much into a member', async () => {
    // Each payload is 3 bytes ("2-0"): at most 9 bytes a pass, the bound itself included, is 3 events.
    const { group } = groupOf(counting().encode, { passBytes: 9 });
    const { TurnSocket, stop } = turnCounter();
    const members = busyMembers(group, 1000, () => new TurnSocket(10));
    group.deliver(event('1-0'));
    // Routed while the first is being written: one batch of 8, written 3, 3 and 2 at a time.
    for (let i = 2; i <= 9; i++) group.deliver(event(`${i}-0`));
    const late = member('late');
    group.members.add(late.m);
    group.deliver(event('10-0'));
    while (!group.idle) await settle();
    stop();
    for (const [i, x] of members.entries()) {
      expect(x.socket.frames).toEqual(Array.from({ length: 10 }, (_, k) => `<${i}:${k + 1}-0>`));
      const perTurn = new Map<number, number>();
      for (const t of x.socket.turns.slice(1)) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
      expect(Math.max(...perTurn.values())).toBe(3);
      expect(perTurn.size).toBeGreaterThanOrEqual(3);
    }
    // Split or not, a member gets only what was routed after it joined.
    expect(late.socket.frames).toEqual(['<late:10-0>']);
  });

  it('counts only large passes toward the pace', () => {
    const budget = new TurnBudget();
    budget.passed(performance.now(), PACED_PASS_MS - 1);
    expect(budget.paced()).toBe(0);
    // A pass of PACED_PASS_MS exactly is a large one.
    const edge = new TurnBudget();
    edge.passed(performance.now(), PACED_PASS_MS);
    expect(edge.paced()).toBeGreaterThan(0);
    const began = performance.now();
    budget.passed(began, 100);
    // The next large pass may begin once its work ÷ the share has gone by since this one began.
    expect(budget.paced()).toBeGreaterThan(100 / FAN_OUT_SHARE - (performance.now() - began) - 1);
    expect(budget.paced()).toBeLessThanOrEqual(100 / FAN_OUT_SHARE);
    // An earlier, shorter pass does not shorten it.
    budget.passed(began - 50, PACED_PASS_MS);
    expect(budget.paced()).toBeGreaterThan(100);
  });

  it('gives a member that joins while events wait behind it each of them once, in order', async () => {
    const { group } = groupOf(counting().encode);
    for (let i = 0; i < 3000; i++) {
      group.members.add({
        queue: new ConnectionQueue(
          new BusySocket(10),
          { messagesDelivered: 0 },
          { maxBytes: 1 << 20, onOverflow: () => {} },
        ),
        floor: null,
        prefix: Buffer.from(''),
        suffix: Buffer.from(''),
      });
    }
    // Two events routed while the member is not in the group yet: the first is written a slice at
    // a time, the second waits behind it; its own stream had both, and hands them over as it joins.
    group.deliver(event('1-0'));
    group.deliver(event('2-0'));
    const joining = member('j');
    group.members.add(joining.m);
    group.deliverTo(joining.m, event('1-0'), false);
    group.deliverTo(joining.m, event('2-0'), false);
    group.deliver(event('3-0'));
    while (!group.idle) await settle();
    expect(joining.socket.frames).toEqual(['<j:1-0>', '<j:2-0>', '<j:3-0>']);
  });
});

describe('recent encodings on their own', () => {
  it('keep events up to their bytes, the oldest going first, and never one larger than all of them', () => {
    const recent = new RecentEncodings(10, 10);
    const [a, b] = [recent.newGroup(), recent.newGroup()];
    expect(a).not.toBe(b);
    recent.keep(`${a}1`, Buffer.from('1234'));
    recent.keep(`${b}1`, Buffer.from('5678'));
    expect(recent.get(`${a}1`)?.toString()).toBe('1234');
    expect(recent.get(`${b}1`)?.toString()).toBe('5678');
    // One byte past the bound: the oldest goes.
    recent.keep(`${a}2`, Buffer.from('901'));
    expect(recent.get(`${a}1`)).toBeUndefined();
    expect(recent.get(`${b}1`)?.toString()).toBe('5678');
    // Kept once: the same key again changes nothing.
    recent.keep(`${a}2`, Buffer.from('1234567890'));
    expect(recent.get(`${a}2`)?.toString()).toBe('901');
    // Exactly the bound is kept; past it, nothing is.
    recent.keep(`${a}3`, Buffer.from('x'.repeat(11)));
    expect(recent.get(`${a}3`)).toBeUndefined();
    expect(recent.get(`${b}1`)?.toString()).toBe('5678');
    recent.keep(`${a}4`, Buffer.from('y'.repeat(10)));
    expect(recent.get(`${a}4`)?.toString()).toBe('y'.repeat(10));
    expect(recent.get(`${b}1`)).toBeUndefined();
    expect(recent.get(`${a}2`)).toBeUndefined();
  });

  it('keep at most their number of events', () => {
    const recent = new RecentEncodings(2, 1000);
    for (const id of ['1', '2', '3']) recent.keep(id, Buffer.from(id));
    expect(['1', '2', '3'].map((id) => recent.get(id)?.toString())).toEqual([undefined, '2', '3']);
  });
});

describe('a turn’s budget', () => {
  it('is spent once FAN_OUT_SLICE_MS of this turn have gone by, and whole again in the next turn', async () => {
    const budget = new TurnBudget();
    expect(budget.spent()).toBe(false);
    const until = performance.now() + FAN_OUT_SLICE_MS;
    while (performance.now() < until);
    expect(budget.spent()).toBe(true);
    await settle();
    expect(budget.spent()).toBe(false);
  });
});

describe('a drop marker', () => {
  /** Encodes a report of dropped events as `dropped <count> <from> <to> <reason>`, counting the runs. */
  function markerGroup(encode?: EventEncoder) {
    const runs: string[] = [];
    const { group, errors } = groupOf(
      encode ??
        ((root) => {
          const d = root as unknown as {
            kind: string;
            count: number;
            fromId: string;
            toId: string;
            reason: string;
          };
          runs.push(d.reason);
          return Buffer.from(
            `dropped ${d.count} ${JSON.stringify(d.fromId)} ${JSON.stringify(d.toId)} ${d.reason}`,
          );
        }),
    );
    return { group, errors, runs };
  }

  it('frames a gap’s figures from one execution per group and policy', () => {
    const { group, runs } = markerGroup();
    const framing = { prefix: Buffer.from('<'), suffix: Buffer.from('>') };
    const drop = group.dropMarker(framing, 'DROP_OLDEST')!;
    const again = group.dropMarker({ prefix: Buffer.from('['), suffix: Buffer.from(']') }, 'DROP_OLDEST')!;
    const coalesce = group.dropMarker(framing, 'COALESCE')!;
    const gap = { kind: 'dropped', count: 7, fromId: '1-0', toId: '9-3', reason: 'DROP_OLDEST' } as const;
    expect(drop(gap).toString()).toBe('<dropped 7 "1-0" "9-3" DROP_OLDEST>');
    expect(again({ ...gap, count: 12 }).toString()).toBe('[dropped 12 "1-0" "9-3" DROP_OLDEST]');
    expect(coalesce({ ...gap, reason: 'COALESCE' }).toString()).toBe('<dropped 7 "1-0" "9-3" COALESCE>');
    expect(runs).toEqual(['DROP_OLDEST', 'COALESCE']);
  });

  it('is none when the executor awaits, or fails (which is logged)', async () => {
    const framing = { prefix: Buffer.from('<'), suffix: Buffer.from('>') };
    const waiting = markerGroup(() => Promise.reject(new Error('awaits, then fails')));
    expect(waiting.group.dropMarker(framing, 'DROP_OLDEST')).toBeNull();
    await settle();
    expect(waiting.errors).toEqual([]);
    const failing = markerGroup(() => {
      throw new Error('cannot encode');
    });
    expect(failing.group.dropMarker(framing, 'COALESCE')).toBeNull();
    expect(failing.errors).toHaveLength(1);
    expect(failing.errors[0]!.obj).toMatchObject({ err: { message: 'cannot encode' }, group: 'the-key' });
  });
});

describe('positions in a group', () => {
  /** Encodes a position as `at <cursor> <live>`, counting the runs; events as their id. */
  function positionGroup(wait = false) {
    const runs: boolean[] = [];
    const { group } = groupOf((root) => {
      const p = root as unknown as { kind?: string; cursor: string; live: boolean };
      if (p.kind !== 'position') return Buffer.from(root.id);
      runs.push(p.live);
      const made = Buffer.from(`at ${JSON.stringify(p.cursor)} ${p.live}`);
      return wait ? Promise.resolve(made) : made;
    });
    return { group, runs };
  }

  it('are framed from one execution per group and liveness, each with its own cursor', () => {
    const { group, runs } = positionGroup();
    const [one, two] = [member('one'), member('two')];
    group.positionTo(one.m, { kind: 'position', cursor: '1-0', live: false });
    group.positionTo(two.m, { kind: 'position', cursor: '2-0', live: false });
    group.positionTo(one.m, { kind: 'position', cursor: '3-0', live: true });
    group.positionTo(two.m, { kind: 'position', cursor: null, live: true });
    expect(one.socket.frames).toEqual(['<one:at "1-0" false>', '<one:at "3-0" true>']);
    expect(two.socket.frames).toEqual(['<two:at "2-0" false>', '<two:at null true>']);
    expect(runs).toEqual([false, true]);
  });

  it('wait, in order, for an executor that awaits', async () => {
    const { group, runs } = positionGroup(true);
    const m = member('m');
    group.members.add(m.m);
    group.positionTo(m.m, { kind: 'position', cursor: '1-0', live: true });
    group.deliver(event('2-0'));
    group.positionTo(m.m, { kind: 'position', cursor: '2-0', live: true });
    expect(m.socket.frames).toEqual([]);
    while (!group.idle) await settle();
    expect(m.socket.frames).toEqual(['<m:at "1-0" true>', '<m:2-0>', '<m:at "2-0" true>']);
    // The second was asked for before the first's template was made; from now on there is one.
    expect(runs).toEqual([true, true]);
    group.positionTo(m.m, { kind: 'position', cursor: '3-0', live: true });
    expect(m.socket.frames.at(-1)).toBe('<m:at "3-0" true>');
    expect(runs).toEqual([true, true]);
  });
});
