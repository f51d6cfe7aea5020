/**
 * The room check and event filter every read shares (room-check.ts), and the room/type index that
 * routes live events to their targets and holds the bus's interest (room-index.ts), on the memory
 * engine's bus. A target here is a recorder standing where a subscription group or a stream stands.
 */
import { describe, expect, it } from 'vitest';
import { READ_ALL, type ReadAccess } from '../../src/domain/access/read-access.js';
import type { EventType, StoredEvent } from '../../src/domain/events/event-types.js';
import { MemoryEventBus } from '../../src/engines/memory/memory-engine.js';
import { checkRooms, roomsDenied, wanted } from '../../src/realtime/room-check.js';
import { RoomIndex, type RoutedTarget } from '../../src/realtime/room-index.js';
import { errorOf } from '../domain/fleet.js';

const onlyRooms = (...rooms: string[]): ReadAccess => ({
  key: `only:${rooms.join(',')}`,
  canRead: (room) => rooms.includes(room),
});

let seq = 0;
function event(rooms: string[], type: EventType = 'CUSTOM'): StoredEvent {
  return {
    id: `${++seq}-0`,
    type,
    rooms,
    payload: { kind: 'custom', data: {} },
    timestamp: new Date(0).toISOString(),
    source: 'rooms-test',
  } as StoredEvent;
}

const check = (rooms: readonly string[] | null, access: ReadAccess = READ_ALL) =>
  errorOf(Promise.resolve().then(() => checkRooms(rooms, access)));

describe('the room check', () => {
  it('reads every readable room when no room is named', () => {
    expect(checkRooms(null, READ_ALL)).toBeNull();
    expect(checkRooms([], onlyRooms('a'))).toBeNull();
  });

  it('names each room once, in the order first asked', () => {
    expect(checkRooms(['b', 'a', 'b'], READ_ALL)).toEqual(['b', 'a']);
  });

  it('refuses what is not a room name, naming only those', async () => {
    const error = await check(['ok', 'not a room', '']);
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details).toMatchObject({ reason: 'BAD_ROOM' });
    expect(error.message).toContain('"not a room", ""');
    expect(error.message).not.toContain('"ok"');
  });

  it('refuses rooms the caller may not read, naming only those', async () => {
    const error = await check(['a', 'b', 'c'], onlyRooms('b'));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.details).toEqual({ reason: 'ROOM_NOT_GRANTED', rooms: ['a', 'c'] });
    expect(checkRooms(['b'], onlyRooms('b'))).toEqual(['b']);
  });

  it('says which rooms are denied', () => {
    const error = roomsDenied(['x', 'y']);
    expect(error.code).toBe('FORBIDDEN');
    expect(error.details).toEqual({ reason: 'ROOM_NOT_GRANTED', rooms: ['x', 'y'] });
    expect(error.message).toContain('"x", "y"');
  });
});

describe('the event filter', () => {
  it('takes an event in one of the rooms named, whatever else it is in', () => {
    expect(wanted(event(['x', 'a']), ['a', 'b'], null, READ_ALL)).toBe(true);
    expect(wanted(event(['x', 'y']), ['a', 'b'], null, READ_ALL)).toBe(false);
  });

  it('without rooms, takes an event in any room the caller may read', () => {
    expect(wanted(event(['x', 'a']), null, null, onlyRooms('a'))).toBe(true);
    expect(wanted(event(['x', 'y']), null, null, onlyRooms('a'))).toBe(false);
  });

  it('takes only the types asked for', () => {
    const types = new Set<EventType>(['TASK_CREATED']);
    expect(wanted(event(['a'], 'TASK_CREATED'), ['a'], types, READ_ALL)).toBe(true);
    expect(wanted(event(['a'], 'CUSTOM'), ['a'], types, READ_ALL)).toBe(false);
    expect(wanted(event(['a'], 'CUSTOM'), null, types, READ_ALL)).toBe(false);
  });
});

/** Stands where a subscription group stands: its rooms, a filter, and what it was handed. */
class Recorder implements RoutedTarget {
  readonly got: string[] = [];
  readonly types = null;
  constructor(
    readonly rooms: readonly string[] | null,
    readonly size = 1,
    private readonly accepts: (event: StoredEvent) => boolean = () => true,
  ) {}
  wants(event: StoredEvent): boolean {
    return this.accepts(event);
  }
  deliver(event: StoredEvent): void {
    this.got.push(event.id);
  }
}

function setup(bus: Pick<MemoryEventBus, 'watch' | 'unwatch'> = new MemoryEventBus()) {
  const warnings: { obj: object; msg: string }[] = [];
  const index = new RoomIndex<Recorder>(bus, { warn: (obj, msg) => warnings.push({ obj, msg }) });
  return { index, warnings };
}

/** The memory bus, with what it forwards recorded and routed by `index`. */
function wired() {
  const bus = new MemoryEventBus();
  const s = setup(bus);
  const forwarded: string[] = [];
  bus.setSink((e) => {
    forwarded.push(e.id);
    s.index.route(e);
  });
  const publish = (...events: StoredEvent[]) => {
    bus.publish(events);
    return events.map((e) => e.id);
  };
  return { ...s, bus, forwarded, publish };
}

describe('the room index', () => {
  it('asks the bus to watch a room once its first target arrives, and to stop once its last leaves', async () => {
    const s = wired();
    const one = new Recorder(['a']);
    const two = new Recorder(['a', 'b']);
    await s.index.add(one);
    await s.index.add(two);
    const [inA, inB] = s.publish(event(['a']), event(['b']), event(['c']));
    expect(s.forwarded).toEqual([inA, inB]);
    expect(one.got).toEqual([inA]);
    expect(two.got).toEqual([inA, inB]);

    s.index.remove(one);
    const [stillA] = s.publish(event(['a']));
    expect(two.got).toContain(stillA);
    s.index.remove(two);
    await Promise.resolve();
    s.publish(event(['a']), event(['b']));
    expect(s.forwarded).toEqual([inA, inB, stillA]);
  });

  it('removes a target once: removing it again, or one never added, leaves the others watched', async () => {
    const s = wired();
    const kept = new Recorder(['a']);
    const gone = new Recorder(['a']);
    await s.index.add(kept);
    await s.index.add(gone);
    s.index.remove(gone);
    s.index.remove(gone);
    s.index.remove(new Recorder(['a']));
    s.index.remove(new Recorder(['z']));
    await Promise.resolve();
    const [e] = s.publish(event(['a']));
    expect(kept.got).toEqual([e]);
    expect(gone.got).toEqual([]);
  });

  it('hands an event in several rooms to each target once, and one in one room to its targets', async () => {
    const s = wired();
    const ab = new Recorder(['a', 'b']);
    const b = new Recorder(['b']);
    const c = new Recorder(['c']);
    for (const target of [ab, b, c]) await s.index.add(target);
    const [both, onlyB, onlyA] = s.publish(event(['a', 'b']), event(['b']), event(['a']));
    expect(ab.got).toEqual([both, onlyB, onlyA]);
    expect(b.got).toEqual([both, onlyB]);
    expect(c.got).toEqual([]);
    const [second] = s.publish(event(['c', 'b']));
    expect(b.got).toEqual([both, onlyB, second]);
    expect(c.got).toEqual([second]);
  });

  it('hands every event to a target of every room, as its filter says', async () => {
    const s = wired();
    const everything = new Recorder(null, 1, (e) => !e.rooms.includes('secret'));
    const a = new Recorder(['a']);
    await s.index.add(everything);
    await s.index.add(a);
    const [inA, , inX, inAB] = s.publish(event(['a']), event(['secret']), event(['x']), event(['a', 'b']));
    expect(everything.got).toEqual([inA, inX, inAB]);
    expect(a.got).toEqual([inA, inAB]);
    s.index.remove(everything);
    await Promise.resolve();
    const [later] = s.publish(event(['x']), event(['a']));
    expect(s.forwarded).not.toContain(later);
  });

  it('hands an event only to the targets that want it', async () => {
    const s = wired();
    const picky = new Recorder(['a'], 1, () => false);
    const pickyOfTwo = new Recorder(['a', 'b'], 1, () => false);
    await s.index.add(picky);
    await s.index.add(pickyOfTwo);
    s.publish(event(['a']), event(['a', 'b']));
    expect(picky.got).toEqual([]);
    expect(pickyOfTwo.got).toEqual([]);
  });

  it('forgets the targets of an event whose delivery threw', async () => {
    const s = wired();
    const failing = new Recorder(['a']);
    failing.deliver = () => {
      throw new Error('delivery failed');
    };
    const b = new Recorder(['b']);
    await s.index.add(failing);
    await s.index.add(b);
    expect(() => s.index.route(event(['a', 'c']))).toThrow('delivery failed');
    const [next] = s.publish(event(['b', 'c']));
    expect(b.got).toEqual([next]);
  });

  it('counts the subscriptions of each named room, not those of every room', async () => {
    const s = setup();
    expect(s.index.roomCounts()).toEqual({});
    await s.index.add(new Recorder(['a'], 3));
    await s.index.add(new Recorder(['a', 'b'], 2));
    await s.index.add(new Recorder(null, 5));
    expect(s.index.roomCounts()).toEqual({ a: 5, b: 2 });
  });

  it('lists every target once', async () => {
    const s = setup();
    const ab = new Recorder(['a', 'b']);
    const all = new Recorder(null);
    await s.index.add(ab);
    await s.index.add(all);
    expect([...s.index.targets()]).toEqual([ab, all]);
  });

  it('resolves an add once the bus watches its rooms, and rejects it when the bus cannot', async () => {
    const bus = new MemoryEventBus();
    let fail: ((error: Error) => void) | null = null;
    const s = setup({
      watch: (room) =>
        room === 'down' ? new Promise<void>((_, reject) => (fail = reject)) : bus.watch(room),
      unwatch: (room) => bus.unwatch(room),
    });
    await expect(s.index.add(new Recorder(['up']))).resolves.toBeUndefined();
    const adding = s.index.add(new Recorder(['up', 'down']));
    const second = s.index.add(new Recorder(['down']));
    fail!(new Error('bus down'));
    await expect(adding).rejects.toThrow('bus down');
    await expect(second).rejects.toThrow('bus down');
  });

  it('warns when the bus cannot stop watching a room', async () => {
    const bus = new MemoryEventBus();
    const s = setup({
      watch: (room) => bus.watch(room),
      unwatch: () => Promise.reject(new Error('bus down')),
    });
    const target = new Recorder(['a']);
    await s.index.add(target);
    s.index.remove(target);
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]!.obj).toMatchObject({ room: 'a' });
    expect(s.warnings[0]!.msg).toMatch(/stop watching/);
    expect((s.warnings[0]!.obj as { err: Error }).err.message).toBe('bus down');
  });
});
