/**
 * What a failure carries to the client and to the logs: a DomainError's code, message and details
 * (the schema layer turns them into `extensions`), and the two internal signals engines raise to the
 * transaction runner, named by the record or key they concern.
 */
import { describe, expect, it } from 'vitest';
import {
  DomainError,
  expiredCursor,
  IdempotencyKeyTaken,
  malformedCursor,
  notFound,
  VersionConflict,
} from '../../src/domain/errors.js';
import { membershipsOf, setKeysOf } from '../../src/domain/ports.js';

describe('a domain error', () => {
  it('is an Error named DomainError with its code, and empty details unless given', () => {
    const error = new DomainError('CONFLICT', 'taken');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'DomainError', code: 'CONFLICT', message: 'taken', details: {} });
    expect(String(error)).toBe('DomainError: taken');
  });

  it('for a missing record names the id in its details', () => {
    expect(notFound('agent', '01X')).toMatchObject({ code: 'NOT_FOUND', details: { id: '01X' } });
  });

  it('for a cursor says why it cannot be replayed from', () => {
    expect(malformedCursor('junk')).toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { reason: 'CURSOR_MALFORMED' },
    });
    expect(expiredCursor('1-0')).toMatchObject({
      code: 'CURSOR_EXPIRED',
      details: { reason: 'CURSOR_NOT_RETAINED' },
    });
  });
});

describe("an engine's signal to the runner", () => {
  it.each([
    [new VersionConflict('agent:01X'), 'VersionConflict'],
    [new IdempotencyKeyTaken('anonymous:1:k'), 'IdempotencyKeyTaken'],
  ] as const)('%s is an Error that names itself and its key', (error, name) => {
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error.name).toBe(name);
    expect(error.message).toContain(error.key);
    expect(String(error)).toMatch(new RegExp(`^${name}: .*${error.key}`));
  });
});

describe('set keys', () => {
  it('are one per filtered field, or the whole kind without a filter', () => {
    expect(setKeysOf('agent', { status: 'ACTIVE', type: 'crawler' })).toEqual([
      'agent:status:ACTIVE',
      'agent:type:crawler',
    ]);
    expect(setKeysOf('agent')).toEqual(['agent:*']);
    expect(setKeysOf('agent', {})).toEqual(['agent:*']);
  });

  it('ignore a field whose filter value is undefined, as `list` does', () => {
    expect(setKeysOf('agent', { status: undefined, type: 'crawler' })).toEqual(['agent:type:crawler']);
    expect(setKeysOf('agent', { status: undefined })).toEqual(['agent:*']);
  });

  it("of a record are the kind's and one per indexed field that has a value", () => {
    expect(membershipsOf('task', { id: 't', status: 'PENDING', assigneeId: null, title: 'x' })).toEqual([
      'task:*',
      'task:status:PENDING',
    ]);
    expect(membershipsOf('task', { id: 't', status: 'RUNNING', assigneeId: 'a1' })).toEqual([
      'task:*',
      'task:status:RUNNING',
      'task:assigneeId:a1',
    ]);
    expect(membershipsOf('task', { id: 't' })).toEqual(['task:*']);
    expect(membershipsOf('alert', { id: 'x', level: 'INFO' })).toEqual(['alert:*']);
  });
});
