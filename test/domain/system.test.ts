import { describe, expect, it } from 'vitest';
import { compareEventIds, isEventId } from '../../src/domain/events/event-types.js';
import type { AlertLevel } from '../../src/domain/model.js';
import { expectRefused, fleet, withAgents } from './fleet.js';

describe('alerts', () => {
  it('stores the alert and sends ALERT_TRIGGERED to the system room', async () => {
    const f = fleet();
    const alert = await f.colony.system.raiseAlert('CRITICAL', 'disk full', { free: 0 });
    expect(alert).toMatchObject({
      level: 'CRITICAL',
      message: 'disk full',
      details: { free: 0 },
      at: f.clock.now().toISOString(),
    });
    expect((await f.engine.store.get('alert', alert.id))?.doc).toEqual(alert);
    expect(f.take()).toMatchObject([
      { type: 'ALERT_TRIGGERED', rooms: ['system'], payload: { kind: 'alert', alert } },
    ]);
    expect((await f.colony.system.raiseAlert('INFO', 'fyi')).details).toBeNull();
  });

  it.each([
    ['an unknown level', 'LOUD', 'm', undefined],
    ['an empty message', 'INFO', ' ', undefined],
    ['a message over 1000 characters', 'INFO', 'x'.repeat(1001), undefined],
    ['details over 16 KiB', 'WARNING', 'm', 'x'.repeat(16 * 1024)],
  ])('refuses %s', async (_, level, message, details) => {
    const f = fleet();
    await expectRefused(
      f,
      () => f.colony.system.raiseAlert(level as AlertLevel, message, details),
      'BAD_USER_INPUT',
    );
  });
});

describe('broadcast', () => {
  it('sends a CUSTOM event to one room and returns it as stored', async () => {
    const f = fleet();
    const event = await f.colony.system.broadcast('team:blue', { hello: 'world' });
    expect(event).toMatchObject({
      type: 'CUSTOM',
      rooms: ['team:blue'],
      payload: { kind: 'custom', data: { hello: 'world' } },
      source: 'unit',
      timestamp: f.clock.now().toISOString(),
    });
    expect(f.take()).toEqual([event]);
    expect(await f.engine.log.lastId()).toBe(event.id);
  });

  it.each([
    ['an empty room', '', 1],
    ['a room with a space', 'bad room', 1],
    ['a room over 128 characters', 'r'.repeat(129), 1],
    ['data over 64 KiB', 'r', 'x'.repeat(64 * 1024)],
  ])('refuses %s', async (_, room, data) => {
    const f = fleet();
    await expectRefused(f, () => f.colony.system.broadcast(room, data), 'BAD_USER_INPUT');
  });

  it('gives events increasing ids, even within one millisecond', async () => {
    const f = fleet();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await f.colony.system.broadcast('r', i)).id);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort(compareEventIds)).toEqual(ids);
  });
});

describe('fleet figures', () => {
  it('counts agents and tasks per status, zeros included, with the leader and term', async () => {
    const f = fleet();
    const empty = await f.colony.system.fleet();
    expect(empty).toEqual({
      agentsByStatus: [
        { status: 'ACTIVE', count: 0 },
        { status: 'PAUSED', count: 0 },
        { status: 'OFFLINE', count: 0 },
      ],
      tasksByStatus: ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'].map((status) => ({
        status,
        count: 0,
      })),
      leader: null,
      term: 0,
    });
    const [a, , c] = await withAgents(f, { name: 'a' }, { name: 'b' }, { name: 'c' });
    await f.colony.agents.perform(c!.id, 'STOP');
    for (let i = 0; i < 3; i++) await f.colony.tasks.create({ title: `t${i}` });
    const running = await f.colony.tasks.create({ title: 'r' });
    await f.colony.tasks.assign(running.id, a!.id);
    await f.colony.tasks.start(running.id);
    await f.colony.elections.trigger();
    const figures = await f.colony.system.fleet();
    expect(figures.agentsByStatus).toEqual([
      { status: 'ACTIVE', count: 2 },
      { status: 'PAUSED', count: 0 },
      { status: 'OFFLINE', count: 1 },
    ]);
    expect(figures.tasksByStatus.filter((s) => s.count)).toEqual([
      { status: 'PENDING', count: 3 },
      { status: 'RUNNING', count: 1 },
    ]);
    expect(figures.term).toBe(1);
    expect(figures.leader?.name).toBe('b');
  });
});

describe('health and metrics events', () => {
  it('sends HEALTH_CHANGED to the system room', async () => {
    const f = fleet();
    const event = await f.colony.system.publishHealth(false, { redis: { ok: false } });
    expect(event).toMatchObject({
      type: 'HEALTH_CHANGED',
      rooms: ['system'],
      payload: { kind: 'health', ready: false, checks: { redis: { ok: false } } },
    });
    expect(f.take()).toEqual([event]);
  });

  it('publishes METRICS_UPDATED with the fleet figures at most once per interval', async () => {
    const f = fleet();
    await withAgents(f, { name: 'a' });
    f.take();
    const first = await Promise.all([
      f.colony.system.publishMetrics(5000),
      f.colony.system.publishMetrics(5000),
    ]);
    expect(first.filter(Boolean)).toHaveLength(1);
    expect(first.find(Boolean)).toMatchObject({
      type: 'METRICS_UPDATED',
      rooms: ['system'],
      payload: { kind: 'metrics', fleet: await f.colony.system.fleet() },
    });
    f.clock.advance(4999);
    expect(await f.colony.system.publishMetrics(5000)).toBeNull();
    f.clock.advance(1);
    expect(await f.colony.system.publishMetrics(5000)).not.toBeNull();
    expect(f.drain()).toEqual(['METRICS_UPDATED', 'METRICS_UPDATED']);
    expect((await f.engine.store.get('coordination', 'fleet'))?.doc.metricsPublishedAt).toBe(
      f.clock.now().toISOString(),
    );
  });

  it('keeps the leadership while it records the metrics time', async () => {
    const f = fleet();
    const [a] = await withAgents(f, { name: 'a' });
    await f.colony.elections.trigger();
    await f.colony.system.publishMetrics(1000);
    expect(await f.engine.store.get('coordination', 'fleet')).toMatchObject({
      doc: { term: 1, leaderId: a!.id },
    });
  });
});

describe('event ids', () => {
  const order = (a: string, b: string) => Math.sign(compareEventIds(a, b));

  it('compare by their millisecond, then by their sequence, as numbers', () => {
    expect(order('5-3', '5-3')).toBe(0);
    expect(order('0-0', '0-0')).toBe(0);
    expect(order('2-0', '10-0')).toBe(-1);
    expect(order('10-0', '9-99')).toBe(1);
    expect(order('100-0', '99-999')).toBe(1);
    expect(order('5-2', '5-10')).toBe(-1);
    expect(order('5-10', '5-9')).toBe(1);
    expect(order('1-99', '2-0')).toBe(-1);
    expect(order('2-0', '1-99')).toBe(1);
    expect(order('7-1', '7-0')).toBe(1);
    expect(order('7-0', '7-1')).toBe(-1);
    expect(order('17-5', '71-5')).toBe(-1);
    expect(order('5-17', '5-71')).toBe(-1);
    // As numbers, as Redis reads a stream id: leading zeros change nothing.
    expect(order('007-01', '7-1')).toBe(0);
    expect(order('010-0', '9-0')).toBe(1);
  });

  it('compare exactly up to fifteen digits on each side', () => {
    expect(order('999999999999999-0', '999999999999998-999999999999999')).toBe(1);
    expect(order('123456789012345-123456789012345', '123456789012345-123456789012346')).toBe(-1);
    expect(compareEventIds('1796672012415-12', '1796672012415-12')).toBe(0);
    expect(order('1796672012415-3', '1796672012415-12')).toBe(-1);
    expect(order('1796672012416-0', '1796672012415-99')).toBe(1);
  });

  it('are `<digits>-<digits>`, fifteen digits at most on each side', () => {
    for (const id of ['0-0', '1796672012415-3', '999999999999999-999999999999999'])
      expect(isEventId(id)).toBe(true);
    for (const id of [
      '',
      '1',
      '1-',
      '-1',
      '1-2-3',
      'a-1',
      '1-a',
      ' 1-1',
      '1-1 ',
      '1234567890123456-0',
      '0-1234567890123456',
    ])
      expect(isEventId(id)).toBe(false);
  });
});
