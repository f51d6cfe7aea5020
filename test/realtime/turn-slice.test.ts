/**
 * A slice of one turn of the event loop (turn-slice.ts), on a fake clock so that its edges are exact:
 * spent once `ms` have gone by since the turn's first look, and fresh in the next turn. Only the clock
 * is fake: each test's steps run in one real turn until it awaits the next.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ARRIVAL_WINDOW_MS,
  ARRIVING_SLICE_MS,
  Arrivals,
  TurnSlice,
  WOKEN_PER_TURN,
} from '../../src/realtime/turn-slice.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

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

describe('a slice while connections arrive', () => {
  it('is short from an arrival until ARRIVAL_WINDOW_MS after the last one', async () => {
    const arrivals = new Arrivals();
    const slice = new TurnSlice(4, arrivals);
    arrivals.arrived();
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(ARRIVING_SLICE_MS);
    expect(slice.spent()).toBe(true);
    await nextTurn();
    vi.advanceTimersByTime(ARRIVAL_WINDOW_MS - ARRIVING_SLICE_MS - 1);
    arrivals.arrived();
    vi.advanceTimersByTime(ARRIVAL_WINDOW_MS - 1);
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(ARRIVING_SLICE_MS);
    expect(slice.spent()).toBe(true);
    // The window has passed: slices are their whole length again.
    await nextTurn();
    vi.advanceTimersByTime(1);
    expect(arrivals.arriving()).toBe(false);
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(3.5);
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(0.5);
    expect(slice.spent()).toBe(true);
  });
});

describe('work woken from the queue', () => {
  it('has a slice of its own, whole even while connections arrive, though the turn spent its own', async () => {
    const arrivals = new Arrivals();
    const slice = new TurnSlice(4, arrivals);
    arrivals.arrived();
    // A fan-out spends the turn's slice first.
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(slice.spent()).toBe(true);
    let within: boolean[] = [];
    await slice.later(0).then(() => {
      within = [slice.spent()];
      vi.advanceTimersByTime(3.5);
      within.push(slice.spent());
      vi.advanceTimersByTime(0.5);
      within.push(slice.spent());
    });
    expect(within).toEqual([false, false, true]);
    // The next slice that is not woken is short again while connections arrive.
    await nextTurn();
    arrivals.arrived();
    expect(slice.spent()).toBe(false);
    vi.advanceTimersByTime(ARRIVING_SLICE_MS);
    expect(slice.spent()).toBe(true);
  });
});

describe('work waiting for a later turn', () => {
  it('wakes what waits for a later turn lowest rank first, equal ranks in the order they came', async () => {
    const slice = new TurnSlice(1);
    const woken: string[] = [];
    const waits = [
      slice.later(5).then(() => woken.push('5a')),
      slice.later(1).then(() => woken.push('1')),
      slice.later(5).then(() => woken.push('5b')),
      slice.later(3).then(() => woken.push('3')),
    ];
    expect(woken).toEqual([]);
    expect(slice.waiters).toBe(4);
    await Promise.all(waits);
    expect(woken).toEqual(['1', '3', '5a', '5b']);
    expect(slice.waiters).toBe(0);
  });

  it('wakes a few a turn, however many wait, the oldest ranks first', async () => {
    const slice = new TurnSlice(1);
    const total = WOKEN_PER_TURN * 3 + 1;
    const woken: number[] = [];
    const waits = Array.from({ length: total }, (_, i) =>
      slice.later(total - i).then(() => woken.push(total - i)),
    );
    const perTurn: number[] = [];
    while (woken.length < total) {
      const before = woken.length;
      await nextTurn();
      // The turn's wake-ups run as the turn's microtasks, before the next turn.
      perTurn.push(woken.length - before);
    }
    await Promise.all(waits);
    expect(Math.max(...perTurn)).toBe(WOKEN_PER_TURN);
    expect(perTurn.filter((n) => n > 0)).toHaveLength(4);
    expect(woken).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('hands out ranks in order', () => {
    const slice = new TurnSlice(1);
    const a = slice.nextRank();
    const b = slice.nextRank();
    expect(b).toBeGreaterThan(a);
  });
});
