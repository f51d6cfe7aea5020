/**
 * The event loop's slice for fan-outs and replays, and the work that waits for a later one: the
 * oldest work first, and a few woken per turn however many wait.
 */
import { describe, expect, it } from 'vitest';
import { TurnSlice, WOKEN_PER_TURN } from '../../src/realtime/turn-slice.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('a turn slice', () => {
  it('is spent once its time has gone by in a turn, and fresh in the next', async () => {
    const slice = new TurnSlice(2);
    expect(slice.spent()).toBe(false);
    const until = performance.now() + 3;
    while (performance.now() < until);
    expect(slice.spent()).toBe(true);
    await nextTurn();
    expect(slice.spent()).toBe(false);
  });

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
