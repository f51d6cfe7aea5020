/** A domain on the memory engine (a real engine, no transport) with a clock the test moves. */
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { createColony } from '../../src/domain/colony.js';
import type { Clock } from '../../src/domain/ports.js';
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
  };
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
