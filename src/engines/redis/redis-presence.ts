import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Clock, Presence, RealtimeSnapshot } from '../../domain/ports.js';
import type { RedisKeys } from './keys.js';
import { execAll, orUnavailable } from './redis-errors.js';

const LIVE_SCRIPT = readFileSync(new URL('./scripts/presence-live.lua', import.meta.url), 'utf8');

type PresenceClient = Redis & {
  colonyPresenceLive(figures: string, expiry: string, now: number): Promise<(string | null)[]>;
};

/**
 * Each instance's figures in one hash, with their expiry in a sorted set: a crashed one drops out.
 * A report is live while the clock is before its expiry.
 */
export class RedisPresence implements Presence {
  private readonly client: PresenceClient;

  constructor(
    client: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {
    client.defineCommand('colonyPresenceLive', { numberOfKeys: 2, lua: LIVE_SCRIPT });
    this.client = client as PresenceClient;
  }

  async report(instanceId: string, snapshot: RealtimeSnapshot, ttlMs: number): Promise<void> {
    await orUnavailable(() =>
      execAll(() =>
        this.client
          .multi()
          .hset(this.keys.presence, instanceId, JSON.stringify(snapshot))
          .zadd(this.keys.presenceExpiry, this.clock.now().getTime() + ttlMs, instanceId)
          .exec(),
      ),
    );
  }

  async all(): Promise<RealtimeSnapshot[]> {
    const values = await orUnavailable(() =>
      this.client.colonyPresenceLive(
        this.keys.presence,
        this.keys.presenceExpiry,
        this.clock.now().getTime(),
      ),
    );
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as RealtimeSnapshot);
  }
}
