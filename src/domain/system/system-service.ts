import type { SystemApi } from '../api.js';
import type { StoredEvent } from '../events/event-types.js';
import { rooms } from '../events/rooms.js';
import { newId } from '../ids.js';
import {
  AGENT_STATUSES,
  TASK_STATUSES,
  type Alert,
  type AlertLevel,
  type FleetStats,
  type Json,
} from '../model.js';
import type { Store } from '../ports.js';
import type { TransactionRunner } from '../transaction.js';
import {
  alertDetailsSchema,
  alertLevelSchema,
  alertMessageSchema,
  broadcastDataSchema,
  parseInput,
  roomSchema,
} from '../validation.js';
import { readCoordination } from '../elections/election-service.js';

export class SystemService implements SystemApi {
  constructor(
    private readonly runner: TransactionRunner,
    private readonly store: Store,
  ) {}

  async raiseAlert(level: AlertLevel, message: string, details?: Json): Promise<Alert> {
    const data = {
      level: parseInput(alertLevelSchema, level),
      message: parseInput(alertMessageSchema, message),
      details: parseInput(alertDetailsSchema, details) ?? null,
    };
    const { value } = await this.runner.run(async (tx) => {
      const alert: Alert = { id: newId(), ...data, at: this.runner.clock.now().toISOString() };
      tx.create('alert', alert);
      tx.emit({ type: 'ALERT_TRIGGERED', rooms: [rooms.system], payload: { kind: 'alert', alert } });
      return alert;
    });
    return value;
  }

  async broadcast(room: string, data: Json): Promise<StoredEvent> {
    const target = parseInput(roomSchema, room);
    const body = parseInput(broadcastDataSchema, data);
    const { events } = await this.runner.run(async (tx) => {
      tx.emit({ type: 'CUSTOM', rooms: [target], payload: { kind: 'custom', data: body ?? null } });
    });
    return events[0] as StoredEvent;
  }

  async fleet(): Promise<FleetStats> {
    const [agentCounts, taskCounts, coordination] = await Promise.all([
      Promise.all(AGENT_STATUSES.map((status) => this.store.count('agent', { status }))),
      Promise.all(TASK_STATUSES.map((status) => this.store.count('task', { status }))),
      this.store.get('coordination', 'fleet'),
    ]);
    const leaderId = coordination?.doc.leaderId;
    return {
      agentsByStatus: AGENT_STATUSES.map((status, i) => ({ status, count: agentCounts[i] ?? 0 })),
      tasksByStatus: TASK_STATUSES.map((status, i) => ({ status, count: taskCounts[i] ?? 0 })),
      leader: leaderId ? ((await this.store.get('agent', leaderId))?.doc ?? null) : null,
      term: coordination?.doc.term ?? 0,
    };
  }

  async publishHealth(ready: boolean, checks: Json): Promise<StoredEvent> {
    const { events } = await this.runner.run(async (tx) => {
      tx.emit({ type: 'HEALTH_CHANGED', rooms: [rooms.system], payload: { kind: 'health', ready, checks } });
    });
    return events[0] as StoredEvent;
  }

  async publishMetrics(minIntervalMs: number): Promise<StoredEvent | null> {
    const fleet = await this.fleet();
    const { events } = await this.runner.run(async (tx) => {
      const now = this.runner.clock.now();
      const coordination = await readCoordination(tx);
      const last = coordination.metricsPublishedAt ? Date.parse(coordination.metricsPublishedAt) : -Infinity;
      // Whichever instance commits first publishes; the others see the fresh timestamp and skip.
      if (now.getTime() - last < minIntervalMs) return;
      tx.put('coordination', { ...coordination, metricsPublishedAt: now.toISOString() });
      tx.emit({ type: 'METRICS_UPDATED', rooms: [rooms.system], payload: { kind: 'metrics', fleet } });
    });
    return events[0] ?? null;
  }
}
