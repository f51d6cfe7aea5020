/**
 * The hub's table of groups (group-table.ts): one group per key, made once, routed while it has
 * members, and dropped after the last one leaves or when the hub closes. On a real room index over
 * the memory engine's bus, with real subscriptions and connection queues.
 */
import { describe, expect, it } from 'vitest';
import { READ_ALL } from '../../src/domain/access/read-access.js';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { systemClock } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { ConnectionQueue, type FrameSink } from '../../src/realtime/connection-queue.js';
import { GroupTable, type Grouping } from '../../src/realtime/group-table.js';
import { RoomIndex, type RoutedTarget } from '../../src/realtime/room-index.js';
import type { Member } from '../../src/realtime/subscription-group.js';
import { Subscription, type StreamOwner } from '../../src/realtime/subscription.js';

class Socket implements FrameSink {
  readonly frames: string[] = [];
  write(frame: Buffer): void {
    this.frames.push(frame.toString());
  }
  bufferedBytes(): number {
    return 0;
  }
  onDrain(): void {}
}

const owner: StreamOwner = {
  delivered: () => undefined,
  queued: () => undefined,
  ended: () => undefined,
  beating: () => undefined,
};

function table() {
  const { bus } = createMemoryEngine({ retention: 10, clock: systemClock });
  const index = new RoomIndex<RoutedTarget>(bus, { warn: () => undefined });
  const groups = new GroupTable(index, { error: () => undefined });
  return { groups, index };
}

let encoders = 0;
const grouping: Grouping = () => ({
  key: 'one-key',
  encoder: () => {
    encoders++;
    return (event: StoredEvent) => Buffer.from(event.id);
  },
});

function member(): { member: Member; socket: Socket } {
  const socket = new Socket();
  const queue = new ConnectionQueue(
    socket,
    { messagesDelivered: 0 },
    { maxBytes: 1 << 20, onOverflow: () => {} },
  );
  return { member: { queue, floor: null, prefix: Buffer.from('<'), suffix: Buffer.from('>') }, socket };
}

const stream = () => new Subscription(['r'], null, READ_ALL, owner);

describe('the table of groups', () => {
  it('gives every subscription of one key the same group, its executor made once, and routes to it', () => {
    const { groups, index } = table();
    const before = encoders;
    const first = groups.groupFor(stream(), grouping);
    expect(groups.groupFor(stream(), grouping)).toBe(first);
    expect(encoders - before).toBe(1);
    expect(index.targets()).toEqual(new Set([first]));
    expect(index.roomCounts()).toEqual({ r: 0 });
  });

  it('keeps the group that replaced a dropped one when the dropped one is left again', () => {
    const { groups, index } = table();
    const a = member();
    const old = groups.groupFor(stream(), grouping);
    old.members.add(a.member);
    groups.leave(old, a.member);
    const current = groups.groupFor(stream(), grouping);
    expect(current).not.toBe(old);
    const b = member();
    current.members.add(b.member);
    // A late leave of the dropped group (its member already gone) must not drop its successor.
    groups.leave(old, a.member);
    expect(groups.groupFor(stream(), grouping)).toBe(current);
    expect(index.targets()).toEqual(new Set([current]));
  });

  it('keeps a group that still has members, and drops it after the last', () => {
    const { groups, index } = table();
    const a = member();
    const b = member();
    const group = groups.groupFor(stream(), grouping);
    group.members.add(a.member);
    group.members.add(b.member);
    groups.leave(group, a.member);
    expect(groups.groupFor(stream(), grouping)).toBe(group);
    groups.leave(group, b.member);
    expect(index.targets()).toEqual(new Set());
    expect(groups.groupFor(stream(), grouping)).not.toBe(group);
  });

  it('drops every group from routing when cleared', () => {
    const { groups, index } = table();
    const group = groups.groupFor(stream(), grouping);
    group.members.add(member().member);
    groups.clear();
    expect(index.targets()).toEqual(new Set());
    expect(index.roomCounts()).toEqual({});
    expect(groups.groupFor(stream(), grouping)).not.toBe(group);
  });
});
