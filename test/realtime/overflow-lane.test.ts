/**
 * One subscription's lane (overflow.ts) on its own: what it drops past its share, what COALESCE
 * replaces, and how each gap is framed, before the next event and only once.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { entityKey, Lane, type DropReason, type OverflowPolicy } from '../../src/realtime/overflow.js';

const SUFFIX = Buffer.from('}');
const frameOf = (id: string, bytes = 10) =>
  Buffer.from(`{"id":"x","type":"next","payload":{"data":{"id":"${id}","pad":"${'p'.repeat(bytes)}"}}}`);

function lane(policy: Exclude<OverflowPolicy, 'DISCONNECT'>, marker = false) {
  const drops: [OverflowPolicy, DropReason, number][] = [];
  const made = new Lane(
    policy,
    SUFFIX.length,
    marker ? (d) => Buffer.from(`MARK ${d.count} ${d.fromId}..${d.toId} ${d.reason}`) : null,
    (...drop) => drops.push(drop),
  );
  return { lane: made, drops };
}

function drain(l: Lane): string[] {
  const out: string[] = [];
  for (let held = l.shift(); held; held = l.shift())
    for (const frame of l.framesFor(held.frame, held.counted)) out.push(frame.toString());
  return out;
}

describe('a DROP_OLDEST lane', () => {
  it('keeps the newest within its share and reports the oldest it dropped, once, before the next event', () => {
    const { lane: l, drops } = lane('DROP_OLDEST', true);
    const size = frameOf('1-0').length;
    for (let i = 1; i <= 10; i++) {
      l.hold(frameOf(`${i}-0`), true, `${i}-0`, null);
      l.trim(size * 3 + 2);
    }
    expect(l.bytes).toBeLessThanOrEqual(size * 3 + 2);
    const out = drain(l);
    expect(out[0]).toBe('MARK 7 1-0..7-0 DROP_OLDEST');
    expect(out.slice(1).map((f) => JSON.parse(f).payload.data.id)).toEqual(['8-0', '9-0', '10-0']);
    expect(drops.reduce((n, d) => n + d[2], 0)).toBe(7);
    expect(drops.every(([policy, reason]) => policy === 'DROP_OLDEST' && reason === 'overflow')).toBe(true);
  });

  it('drops a position without reporting it, and puts an `events` gap into the next result', () => {
    const { lane: l } = lane('DROP_OLDEST');
    const size = frameOf('1-0').length;
    l.hold(Buffer.from('position'), false, null, null);
    l.hold(frameOf('1-0'), true, '1-0', null);
    l.hold(frameOf('2-0'), true, '2-0', null);
    l.trim(size);
    const [only, ...rest] = drain(l);
    expect(rest).toEqual([]);
    const result = JSON.parse(only!);
    expect(result.payload.data.id).toBe('2-0');
    expect(result.payload.extensions.dropped).toEqual({ count: 1, fromId: '1-0', toId: '1-0' });
  });

  it('keeps every state of one entity: only a COALESCE lane replaces them', () => {
    const { lane: l, drops } = lane('DROP_OLDEST');
    l.hold(frameOf('1-0'), true, '1-0', 'TASK_PROGRESS:a');
    l.hold(frameOf('2-0'), true, '2-0', 'TASK_PROGRESS:a');
    expect(drain(l).map((f) => JSON.parse(f).payload.data.id)).toEqual(['1-0', '2-0']);
    expect(drops).toEqual([]);
  });

  it('on `events`, writes a position as it is and keeps the gap for the next result', () => {
    const { lane: l } = lane('DROP_OLDEST');
    const size = frameOf('1-0').length;
    l.hold(frameOf('1-0'), true, '1-0', null);
    l.hold(frameOf('2-0'), true, '2-0', null);
    l.trim(size);
    l.hold(Buffer.from('{"position":1}'), false, null, null);
    l.hold(frameOf('3-0'), true, '3-0', null);
    const [event2, position, event3, ...rest] = drain(l);
    expect(rest).toEqual([]);
    expect(JSON.parse(event2!).payload.extensions.dropped).toEqual({ count: 1, fromId: '1-0', toId: '1-0' });
    expect(position).toBe('{"position":1}');
    expect(JSON.parse(event3!).payload.extensions).toBeUndefined();
  });

  it('on `events`, holds a gap past a position to the next event', () => {
    const { lane: l } = lane('DROP_OLDEST');
    l.addGap({ count: 2, fromId: '1-0', toId: '2-0' });
    l.hold(Buffer.from('{"position":2}'), false, null, null);
    l.hold(frameOf('3-0'), true, '3-0', null);
    const [position, event3, ...rest] = drain(l);
    expect(rest).toEqual([]);
    expect(position).toBe('{"position":2}');
    expect(JSON.parse(event3!).payload.extensions.dropped).toEqual({ count: 2, fromId: '1-0', toId: '2-0' });
  });
});

describe('a lane that drops on and on', () => {
  it('still writes what it holds, in order, however many frames went through it', () => {
    const { lane: l, drops } = lane('COALESCE', true);
    // Older events of no entity, then hundreds of states of one entity.
    for (const id of ['a', 'b', 'c']) l.hold(frameOf(id), true, id, null);
    const entity = (from: number, to: number) => {
      for (let i = from; i <= to; i++) l.hold(frameOf(`${i}-0`), true, `${i}-0`, 'TASK_PROGRESS:t');
    };
    entity(1, 200);
    // Two written while the entity's states go on arriving behind them.
    const written = [l.shift(), l.shift()].map((held) => JSON.parse(held!.frame.toString()).payload.data.id);
    expect(written).toEqual(['a', 'b']);
    entity(201, 400);
    const out = drain(l);
    expect(out[0]).toBe('MARK 399 1-0..399-0 COALESCE');
    expect(out.slice(1).map((f) => JSON.parse(f).payload.data.id)).toEqual(['c', '400-0']);
    expect(drops.reduce((n, d) => n + d[2], 0)).toBe(399);
    expect(l.empty).toBe(true);
    expect(l.bytes).toBe(0);
    expect(l.shift()).toBeNull();
  });
});

describe('a COALESCE lane', () => {
  it('keeps only the newest of each entity, and other events as they are', () => {
    const { lane: l, drops } = lane('COALESCE', true);
    let n = 0;
    const id = () => `${++n}-0`;
    for (let i = 0; i < 5; i++) {
      for (const task of ['a', 'b']) {
        const eid = id();
        l.hold(frameOf(eid), true, eid, `TASK_PROGRESS:${task}`);
      }
      const other = id();
      l.hold(frameOf(other), true, other, null);
    }
    const out = drain(l);
    expect(out[0]).toMatch(/^MARK 8 1-0\.\.11-0 COALESCE$/);
    // The five events of no entity, then the last of a and of b, in id order.
    expect(out.slice(1).map((f) => JSON.parse(f).payload.data.id)).toEqual([
      '3-0',
      '6-0',
      '9-0',
      '12-0',
      '13-0',
      '14-0',
      '15-0',
    ]);
    expect(drops.every(([, reason]) => reason === 'coalesced')).toBe(true);
  });
});

describe('entityKey', () => {
  const event = (type: string, payload: object, source: string | null = 'i1') =>
    ({ id: '1-0', type, rooms: [], timestamp: '', source, payload }) as unknown as StoredEvent;
  it('names the entity of the state-like types only', () => {
    expect(entityKey(event('TASK_PROGRESS', { kind: 'task', task: { id: 't1' } }))).toBe('TASK_PROGRESS:t1');
    expect(entityKey(event('AGENT_UPDATED', { kind: 'agent', agent: { id: 'a1' } }))).toBe(
      'AGENT_UPDATED:a1',
    );
    expect(entityKey(event('METRICS_UPDATED', { kind: 'metrics' }))).toBe('METRICS_UPDATED:i1');
    expect(entityKey(event('HEALTH_CHANGED', { kind: 'health' }, 'i2'))).toBe('HEALTH_CHANGED:i2');
    // An instance's figures published without a source: one entity for all of them.
    expect(entityKey(event('METRICS_UPDATED', { kind: 'metrics' }, null))).toBe('METRICS_UPDATED:');
    expect(entityKey(event('TASK_COMPLETED', { kind: 'task', task: { id: 't1' } }))).toBeNull();
    expect(entityKey(event('CUSTOM', { kind: 'custom' }))).toBeNull();
  });
});

describe('a lane behind', () => {
  it('is behind from its first drop, and joins a gap reported from before it with its own into one report', () => {
    const { lane: l, drops } = lane('DROP_OLDEST', true);
    const size = frameOf('1-0').length;
    expect(l.behind).toBe(false);
    l.addGap({ count: 4, fromId: '1-0', toId: '4-0' });
    expect(l.behind).toBe(true);
    for (let i = 5; i <= 9; i++) {
      l.hold(frameOf(`${i}-0`), true, `${i}-0`, null);
      l.trim(size * 2);
    }
    const out = drain(l);
    expect(out[0]).toBe('MARK 7 1-0..7-0 DROP_OLDEST');
    expect(out.slice(1).map((f) => JSON.parse(f).payload.data.id)).toEqual(['8-0', '9-0']);
    // The lane counts its own drops; the reported gap was counted by whoever dropped it.
    expect(drops.reduce((n, d) => n + d[2], 0)).toBe(3);
  });
});

describe('what a lane holds on to', () => {
  // A collection on demand, to see which frames are still reachable.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  it.each(['DROP_OLDEST', 'COALESCE'] as const)(
    'under %s, no frame it dropped or wrote, however many went through it',
    async (policy) => {
      const { lane: l } = lane(policy);
      const size = frameOf('1-0', 1000).length;
      const refs: WeakRef<Buffer>[] = [];
      // 5 000 frames through a share of 3, as behind a paused socket; under COALESCE all of one
      // entity behind one older event that is never replaced (the worst case for what lingers).
      l.hold(frameOf('0-0', 1000), true, '0-0', null);
      const through = (i: number) => {
        const frame = frameOf(`${i}-0`, 1000);
        refs.push(new WeakRef(frame));
        l.hold(frame, true, `${i}-0`, policy === 'COALESCE' ? 'TASK_PROGRESS:t' : null);
        l.trim(size * 3);
        // Now and then one is written.
        if (i % 1000 === 500) l.shift();
      };
      for (let i = 1; i <= 5000; i++) through(i);
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      const alive = refs.filter((ref) => ref.deref() !== undefined).length;
      expect(l.frames).toBeGreaterThan(0);
      expect(l.frames).toBeLessThanOrEqual(3);
      expect(alive).toBeLessThanOrEqual(l.frames);
    },
  );
});
