/**
 * Client messages handled a slice per turn of the event loop (inbound-turns.ts): past the slice a
 * message waits for a later turn, each socket's messages in order, other turns in between.
 */
import { describe, expect, it } from 'vitest';
import { INBOUND_SLICE_MS, InboundTurns, type InboundClient } from '../../src/transport/inbound-turns.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A socket whose every message costs the CPU `ms`, noting the turn it was handled in. */
function client(
  name: string,
  handled: { name: string; message: unknown; turn: number }[],
  clock: { turn: number },
  ms = 1,
) {
  const made: InboundClient = {
    waiting: null,
    handle(message) {
      const until = performance.now() + ms;
      while (performance.now() < until);
      handled.push({ name, message, turn: clock.turn });
    },
  };
  return made;
}

describe('inbound turns', () => {
  it('handles messages at once while the turn has time, and the rest in later turns, each socket in order', async () => {
    const turns = new InboundTurns();
    const clock = { turn: 0 };
    let turning = true;
    const tick = () => {
      clock.turn++;
      if (turning) setImmediate(tick);
    };
    setImmediate(tick);
    const handled: { name: string; message: unknown; turn: number }[] = [];
    const sockets = ['a', 'b', 'c'].map((name) => ({ name, c: client(name, handled, clock) }));
    // 30 messages of 1 ms arrive in one turn: the first slice's worth is handled now.
    for (let i = 0; i < 10; i++) for (const { c } of sockets) turns.take(c, i);
    const now = handled.length;
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThanOrEqual(INBOUND_SLICE_MS + 2);
    while (handled.length < 30) await settle();
    turning = false;
    for (const { name } of sockets)
      expect(handled.filter((h) => h.name === name).map((h) => h.message)).toEqual([...Array(10).keys()]);
    // Other turns went by in between.
    expect(new Set(handled.map((h) => h.turn)).size).toBeGreaterThan(2);
    // Sockets take turns while they wait: no socket's backlog runs all at once ahead of the others.
    const waited = handled.slice(now).map((h) => h.name);
    expect(new Set(waited.slice(0, 3)).size).toBe(3);
  });

  it("keeps a socket's later message behind its waiting ones even when the turn has time again", async () => {
    const turns = new InboundTurns();
    const clock = { turn: 0 };
    const handled: { name: string; message: unknown; turn: number }[] = [];
    const slow = client('slow', handled, clock, INBOUND_SLICE_MS + 1);
    turns.take(slow, 1);
    // The slice is used up: these wait.
    turns.take(slow, 2);
    turns.take(slow, 3);
    expect(handled.map((h) => h.message)).toEqual([1]);
    await settle();
    await settle();
    turns.take(slow, 4);
    while (handled.length < 4) await settle();
    expect(handled.map((h) => h.message)).toEqual([1, 2, 3, 4]);
  });

  it('drops what waits for a socket that closed', async () => {
    const turns = new InboundTurns();
    const clock = { turn: 0 };
    const handled: { name: string; message: unknown; turn: number }[] = [];
    const busy = client('busy', handled, clock, INBOUND_SLICE_MS + 1);
    const gone = client('gone', handled, clock);
    turns.take(busy, 1);
    turns.take(gone, 1);
    turns.take(gone, 2);
    gone.waiting = null;
    turns.take(busy, 2);
    while (handled.length < 2) await settle();
    for (let i = 0; i < 5; i++) await settle();
    expect(handled.map((h) => `${h.name}${String(h.message)}`)).toEqual(['busy1', 'busy2']);
  });
});
