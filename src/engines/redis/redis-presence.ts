import type { Redis } from 'ioredis';
import type { Clock, Presence, RealtimeSnapshot } from '../../domain/ports.js';
import type { RedisKeys } from './keys.js';
import { orUnavailable } from './redis-errors.js';

/** Each instance's figures in one hash, with their expiry in a sorted set: a crashed one drops out. */
export class RedisPresence implements Presence {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {}

  async report(instanceId: string, snapshot: RealtimeSnapshot, ttlMs: number): Promise<void> {
    await orUnavailable(() =>
      this.client
        .multi()
        .hset(this.keys.presence, instanceId, JSON.stringify(snapshot))
        .zadd(this.keys.presenceExpiry, this.clock.now().getTime() + ttlMs, instanceId)
        .exec(),
    );
  }

  async all(): Promise<RealtimeSnapshot[]> {
    const now = this.clock.now().getTime();
    const expired = await orUnavailable(() =>
      this.client.zrangebyscore(this.keys.presenceExpiry, '-inf', now),
    );
    if (expired.length) {
      await orUnavailable(() =>
        this.client
          .multi()
          .hdel(this.keys.presence, ...expired)
          .zrem(this.keys.presenceExpiry, ...expired)
          .exec(),
      );
    }
    const live = await orUnavailable(() => this.client.zrangebyscore(this.keys.presenceExpiry, now, '+inf'));
    if (!live.length) return [];
    const values = await orUnavailable(() => this.client.hmget(this.keys.presence, ...live));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as RealtimeSnapshot);
  }
}
