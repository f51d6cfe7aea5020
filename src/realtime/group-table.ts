/**
 * The hub's groups by key (subscription-group.ts), and the one place a group is made, indexed for
 * routing, and dropped when its last member leaves. A subscription finds its group here from its
 * `Grouping` (the key and executor its operation's GraphQL shape gives, see grouping.ts).
 */
import type { Arrivals } from './turn-slice.js';
import type { ReadAccess } from '../domain/access/read-access.js';
import type { RoomIndex, RoutedTarget } from './room-index.js';
import type { Subscription } from './subscription.js';
import {
  RecentEncodings,
  SubscriptionGroup,
  TurnBudget,
  type EventEncoder,
  type GroupLogger,
  type Member,
} from './subscription-group.js';

/** A subscription's group key and executor for given read rights. */
export type Grouping = (access: ReadAccess) => { key: string; encoder: () => EventEncoder };

/** The recent encodings a hub's groups share (see RecentEncodings): events, and bytes at most. */
const RECENT_SHARED_EVENTS = 32_768;
const RECENT_SHARED_BYTES = 16 * 1024 * 1024;

export class GroupTable {
  private readonly groups = new Map<string, SubscriptionGroup>();
  /** One turn's work, shared by every group's fan-out and every connection's replay (subscription-group.ts). */
  readonly budget: TurnBudget;
  /**
   * Encodings every group shares for replays: enough for a storm of resumes over a minute of
   * events (a few hundred bytes each), bounded for the hub whatever the number of groups.
   */
  private readonly recent = new RecentEncodings(RECENT_SHARED_EVENTS, RECENT_SHARED_BYTES);

  constructor(
    private readonly index: RoomIndex<RoutedTarget>,
    private readonly logger: GroupLogger,
    /** Payload bytes one pass of a group writes to each member at most (see SubscriptionGroup). */
    private readonly passBytes = Number.POSITIVE_INFINITY,
    /** Connections arriving make the turns' slices short (turn-slice.ts). */
    arrivals: Arrivals | null = null,
  ) {
    this.budget = new TurnBudget(arrivals);
  }

  /** The group of a subscription's key under its current rights, made (and indexed) when it is the first. */
  groupFor(stream: Subscription, grouping: Grouping): SubscriptionGroup {
    const { key, encoder } = grouping(stream.access);
    let group = this.groups.get(key);
    if (!group) {
      // The executor is made only for a new group: a subscriber who joins one costs only this lookup.
      group = new SubscriptionGroup(
        key,
        stream.rooms,
        stream.types,
        stream.access,
        encoder(),
        this.logger,
        this.budget,
        this.recent,
        this.passBytes,
      );
      this.groups.set(key, group);
      // Its rooms are watched already (by the stream or its group): this only registers it.
      this.index.add(group).catch(() => undefined);
    }
    return group;
  }

  /** Takes a member out of its group, and the group out of routing once it has none. */
  leave(group: SubscriptionGroup, member: Member): void {
    group.members.delete(member);
    if (group.members.size === 0 && this.groups.get(group.key) === group) {
      this.groups.delete(group.key);
      this.index.remove(group);
    }
  }

  /** Drops every group (the hub is closing). */
  clear(): void {
    for (const group of this.groups.values()) this.index.remove(group);
    this.groups.clear();
  }
}
