/**
 * Who may read which room and do what, as the transports ask it: roles nest, every caller reads the
 * fleet's rooms and its own user room, a token's `rooms` claim adds exact rooms or prefixes, and an
 * admin (or anyone while auth is off) reads everything. The access key groups exactly the callers
 * who read the same rooms.
 */
import { describe, expect, it } from 'vitest';
import type { Identity, Role } from '../../src/domain/access/identity.js';
import { READ_ALL } from '../../src/domain/access/read-access.js';
import { hasRole, isRoomGrant, readAccessFor } from '../../src/domain/access/room-rights.js';

const who = (roles: Role[], rooms: string[] = [], sub = 'ada'): Identity => ({
  sub,
  roles,
  rooms,
  exp: null,
});

describe('roles', () => {
  it.each([
    [['viewer'], { viewer: true, operator: false, admin: false }],
    [['operator'], { viewer: true, operator: true, admin: false }],
    [['admin'], { viewer: true, operator: true, admin: true }],
    [['viewer', 'admin'], { viewer: true, operator: true, admin: true }],
    [[], { viewer: false, operator: false, admin: false }],
  ] as [Role[], Record<Role, boolean>][])('%j holds %j', (roles, held) => {
    for (const role of ['viewer', 'operator', 'admin'] as const)
      expect(hasRole(who(roles), role), role).toBe(held[role]);
  });

  it('are all held by everyone while authentication is off', () => {
    expect(['viewer', 'operator', 'admin'].every((role) => hasRole(null, role as Role))).toBe(true);
  });
});

describe('a room grant', () => {
  it.each(['ops', 'team:blue', 'a.b-c_d', 'team:*', 'x*', '*'])('%j is valid', (grant) => {
    expect(isRoomGrant(grant)).toBe(true);
  });

  it.each([
    '',
    'two words',
    'team:blue*x',
    'bad room*',
    '**',
    'é',
    `${'a'.repeat(129)}`,
    `${'a'.repeat(129)}*`,
  ])('%j is not', (grant) => {
    expect(isRoomGrant(grant)).toBe(false);
  });
});

describe('read access', () => {
  it('is everything, under one key, without auth and for an admin', () => {
    expect(readAccessFor(null)).toBe(READ_ALL);
    expect(readAccessFor(who(['admin']))).toBe(READ_ALL);
    expect(readAccessFor(who(['viewer', 'admin']))).toBe(READ_ALL);
    expect(READ_ALL.key).toBe('*');
    expect(['anything', 'user:someone-else', 'x'].every((room) => READ_ALL.canRead(room))).toBe(true);
  });

  it.each(['viewer', 'operator'] as const)(
    'for a %s covers the fleet rooms and its own user room only',
    (role) => {
      const access = readAccessFor(who([role]));
      for (const room of ['agents', 'tasks', 'coordination', 'system', 'agent:01A', 'task:01B', 'user:ada'])
        expect(access.canRead(room), room).toBe(true);
      for (const room of [
        'user:bob',
        'user:ada2',
        'user:',
        'ops',
        'agentsx',
        'agent',
        'task',
        'xagent:1',
        'Agents',
      ])
        expect(access.canRead(room), room).toBe(false);
    },
  );

  it("adds the token's exact rooms and prefixes, and nothing beside them", () => {
    const access = readAccessFor(who(['viewer'], ['ops', 'team:*']));
    for (const room of ['ops', 'team:', 'team:blue', 'team:blue:1'])
      expect(access.canRead(room), room).toBe(true);
    for (const room of ['ops2', 'xops', 'team', 'teams:blue', 'other'])
      expect(access.canRead(room), room).toBe(false);
  });

  it("reads every room with a '*' grant", () => {
    const access = readAccessFor(who(['viewer'], ['*']));
    expect(['ops', 'user:bob', 'x'].every((room) => access.canRead(room))).toBe(true);
  });

  it('has one key for callers who read the same rooms, whatever the order or repeats of their grants', () => {
    const key = (identity: Identity) => readAccessFor(identity).key;
    expect(key(who(['viewer'], ['b', 'a']))).toBe(key(who(['operator'], ['a', 'b', 'a'])));
    expect(key(who(['viewer']))).toBe(key(who(['operator'])));
    // Another user room, other grants: another key, and never the admin's.
    const keys = new Set([
      key(who(['viewer'])),
      key(who(['viewer'], [], 'bob')),
      key(who(['viewer'], ['a'])),
      key(who(['viewer'], ['a*'])),
      key(who(['viewer'], ['a', 'b'])),
      READ_ALL.key,
    ]);
    expect(keys.size).toBe(6);
  });
});
