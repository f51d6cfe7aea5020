/** A domain on the memory engine (a real engine, no transport) with a clock the test moves. */
import { expect } from 'vitest';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { createColony } from '../../src/domain/colony.js';
import { DomainError } from '../../src/domain/errors.js';
import { INDEXES, type Clock, type Kind } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';

export class ManualClock implements Clock {
  constructor(private ms = Date.parse('2026-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export type Fleet = ReturnType<typeof fleet>;

export function fleet() {
  const clock = new ManualClock();
  const engine = createMemoryEngine({ retention: 10_000, clock });
  const events: StoredEvent[] = [];
  engine.bus.setSink((event) => events.push(event));
  void engine.bus.watch('*');
  const colony = createColony({ store: engine.store, clock, source: 'unit' });
  return {
    clock,
    engine,
    colony,
    events,
    /** The types published since the last call. */
    drain(): string[] {
      return events.splice(0).map((e) => e.type);
    },
    /** The events published since the last call. */
    take(): StoredEvent[] {
      return events.splice(0);
    },
    /** Every record of every kind with its version, and the newest event id: all a change could touch. */
    async snapshot() {
      const records: Record<string, unknown> = {};
      for (const kind of Object.keys(INDEXES) as Kind[]) {
        records[kind] = await engine.store.list(kind, { limit: 1_000_000 });
      }
      return { records, lastEventId: await engine.log.lastId() };
    },
  };
}

/** The DomainError a promise rejects with (fails the test if it resolves or throws something else). */
export async function errorOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

/** Resolves to the DomainError code a promise rejects with. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? `not a DomainError: ${String(error)}`;
  }
  return 'resolved';
}

/**
 * Runs a call that must be refused with `code` (and `reason`, when given) and checks that it changed
 * no record, stored no event and published none. Returns the error for further checks.
 */
export async function expectRefused(
  f: Fleet,
  call: () => Promise<unknown>,
  code: string,
  reason?: string,
): Promise<DomainError> {
  const before = await f.snapshot();
  const published = f.events.length;
  const error = await errorOf(call());
  expect(error.code).toBe(code);
  if (reason !== undefined) expect(error.details['reason']).toBe(reason);
  expect(await f.snapshot()).toEqual(before);
  expect(f.events.length).toBe(published);
  return error;
}

/** Two agents and helpers to give them work, for the many tests that need a small fleet. */
export async function withAgents(f: Fleet, ...specs: { name: string; capabilities?: string[] }[]) {
  const agents = [];
  for (const spec of specs) {
    agents.push(await f.colony.agents.create({ type: 'worker', ...spec }));
    // Distinct createdAt, so that "the oldest" is decided by time, not only by id.
    f.clock.advance(1);
  }
  return agents;
}
