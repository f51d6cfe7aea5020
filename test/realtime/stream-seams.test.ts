/**
 * The seams of one subscription (subscription.ts) that only a race or a repeated delivery reaches:
 * a live event the bus delivers again after the replay sent it, the transport waiting for a grouped
 * stream's end while its replay finishes, and a heartbeat that reads the log's end while an event
 * goes out or the stream ends. On the hub and the memory engine, with the log's end read through a
 * hook that lets a test act in the middle of that read; sockets stand in for `ws` ones.
 */
import { eventCommitter } from '../support/events.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { READ_ALL } from '../../src/domain/access/read-access.js';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { systemClock, type EventLog } from '../../src/domain/ports.js';
import { createMemoryEngine, MemoryEventBus } from '../../src/engines/memory/memory-engine.js';
import type { FrameSink } from '../../src/realtime/connection-queue.js';
import type { EventStreamRequest } from '../../src/realtime/realtime-api.js';
import { RealtimeHub } from '../../src/realtime/realtime-hub.js';

const logger = pino({ level: 'silent' });
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A socket whose peer reads everything at once. */
class Socket implements FrameSink {
  readonly frames: string[] = [];
  write(frame: Buffer): void {
    this.frames.push(frame.toString());
  }
  bufferedBytes(): number {
    return 0;
  }
  onDrain(callback: () => void): void {
    setImmediate(callback);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean) {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

function setup() {
  const engine = createMemoryEngine({ retention: 1000, clock: systemClock });
  let afterLastId: ((id: string | null) => Promise<void>) | null = null;
  const log: EventLog = {
    readAfter: (cursor, limit) => engine.log.readAfter(cursor, limit),
    readRange: (range) => engine.log.readRange(range),
    lastId: async () => {
      const id = await engine.log.lastId();
      const hook = afterLastId;
      afterLastId = null;
      await hook?.(id);
      return id;
    },
  };
  const hub = new RealtimeHub({
    engine: { ...engine, log },
    instanceId: 'seams-test',
    maxQueuedBytesPerConnection: 1 << 20,
    logger,
  });
  cleanup.push(
    () => engine.close(),
    () => hub.close(),
  );
  const commit = eventCommitter(engine.store, 'seams-test');
  const say = async (...roomLists: string[][]) => (await commit(...roomLists)).map((e) => e.id);
  const request = (more: Partial<EventStreamRequest>): EventStreamRequest => ({
    rooms: ['r'],
    types: null,
    since: null,
    connection: null,
    access: READ_ALL,
    ...more,
  });
  /** Opens a stream its group delivers on `socket`: an event framed as its `n`, a position as `@"cursor"/live`. */
  const grouped = (socket: Socket, more: Partial<EventStreamRequest>, heartbeatMs: number | null) => {
    const connection = hub.connect({ transport: 'ws', sink: socket, close: () => undefined });
    const delivery = {
      framing: { prefix: Buffer.from(''), suffix: Buffer.from(';') },
      grouping: () => ({
        key: 'seams',
        encoder: () => (root: StoredEvent) => {
          const position = root as unknown as { kind?: string; cursor: string | null; live: boolean };
          if (position.kind === 'position')
            return Buffer.from(`@${JSON.stringify(position.cursor)}/${position.live}`);
          return Buffer.from(String((root.payload as unknown as { data: { n: number } }).data.n));
        },
      }),
    };
    const full = request({ ...more, connection, delivery });
    return heartbeatMs === null ? hub.open(full) : hub.openPositioned(full, heartbeatMs);
  };
  return {
    engine,
    hub,
    commit,
    say,
    request,
    grouped,
    /** Runs `hook` in the middle of the next read of the log's end, before its answer is used. */
    duringNextLastId: (hook: (id: string | null) => Promise<void>) => (afterLastId = hook),
  };
}

describe('a stream past its replay', () => {
  it('drops a live event the bus delivers again after its replay sent it', async () => {
    const s = setup();
    const [since] = await s.say(['r']);
    const replayed = await s.commit(['r'], ['r']);
    const stream = await s.hub.open(s.request({ since: since! }));
    expect((await stream.next()).value).toMatchObject({ id: replayed[0]!.id });
    expect((await stream.next()).value).toMatchObject({ id: replayed[1]!.id });
    // Waits past the end of the replay.
    const next = stream.next();
    await settle();
    const bus = s.engine.bus;
    if (!(bus instanceof MemoryEventBus)) throw new Error('a memory engine has a memory bus');
    bus.publish(replayed);
    const [live] = await s.say(['r']);
    expect((await next).value).toMatchObject({ id: live });
  });
});

describe('a grouped stream', () => {
  it('leaves its transport waiting for its end while its replay finishes with live events buffered', async () => {
    const s = setup();
    const [since] = await s.say(['r'], ['r']);
    const socket = new Socket();
    const stream = await s.grouped(socket, { since: since! }, null);
    const ending = stream.next();
    // Buffered while the group still reads the replay, then written after it.
    await s.say(['r']);
    await until(() => socket.frames.length === 2);
    expect(socket.frames).toEqual(['2;', '3;']);
    await settle();
    await stream.return!();
    expect(await ending).toEqual({ value: undefined, done: true });
  });

  it('writes no heartbeat behind an event its group sent while the heartbeat read the log', async () => {
    const s = setup();
    const socket = new Socket();
    await s.grouped(socket, {}, 20);
    expect(socket.frames).toEqual(['@null/true;']);
    let sent: string | undefined;
    s.duringNextLastId(async () => {
      [sent] = await s.say(['r']);
    });
    await until(() => socket.frames.length === 3);
    expect(socket.frames).toEqual(['@null/true;', '1;', `@${JSON.stringify(sent)}/true;`]);
  });

  it('writes no heartbeat once it ended while the heartbeat read the log', async () => {
    const s = setup();
    const socket = new Socket();
    const stream = await s.grouped(socket, {}, 20);
    let read = false;
    s.duringNextLastId(async () => {
      await stream.return!();
      read = true;
    });
    await until(() => read);
    await settle();
    expect(socket.frames).toEqual(['@null/true;']);
  });
});
