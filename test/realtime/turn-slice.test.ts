/**
 * A slice of one turn of the event loop (turn-slice.ts), on a fake clock so that its edges are exact:
 * spent once `ms` have gone by since the turn's first look, and fresh in the next turn. Only the clock
 * is fake: each test's steps run in one real turn until it awaits the next.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TurnSlice } from '../../src/realtime/turn-slice.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance'], now: 0 });
});
afterEach(() => vi.useRealTimers());

describe('a slice of a turn', () => {
  it('starts at the first look of a turn, even at the clock’s zero, and is spent once its time has gone by exactly', () => {
    const slice = new TurnSlice(4);
    expect(performance.now()).toBe(0);
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(3.5);
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(0.5);
    expect(slice.spent()).toBe(true);
    expect(slice.spent()).toBe(true);
  });

  it('starts afresh in the next turn', async () => {
    const slice = new TurnSlice(4);
    slice.spent();
    vi.advanceTimersByTime(10);
    expect(slice.spent()).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(3);
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(slice.spent()).toBe(true);
  });
});
