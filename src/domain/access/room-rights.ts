/**
 * Who may do what. Roles nest (viewer ⊂ operator ⊂ admin). Every caller may read the fleet's own
 * rooms (`agents`, `tasks`, `coordination`, `system`, every `agent:*` and `task:*`) and `user:<own sub>`;
 * a token's `rooms` claim adds exact rooms or prefixes ending in `*`; an admin reads every room.
 */
import { isRoomName } from '../events/rooms.js';
import type { Identity, Role } from './identity.js';
import { READ_ALL, type ReadAccess } from './read-access.js';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

const FLEET_ROOMS = new Set(['agents', 'tasks', 'coordination', 'system']);
const FLEET_PREFIXES = ['agent:', 'task:'];

/** Whether the identity holds the role (or one above it). Without auth (null) everyone may do everything. */
export function hasRole(identity: Identity | null, role: Role): boolean {
  if (!identity) return true;
  return identity.roles.some((r) => RANK[r] >= RANK[role]);
}

/** A room grant: a room name, or a prefix of one followed by `*`. */
export function isRoomGrant(grant: string): boolean {
  if (grant.endsWith('*')) {
    const prefix = grant.slice(0, -1);
    return prefix === '' || isRoomName(prefix);
  }
  return isRoomName(grant);
}

function grants(grant: string, room: string): boolean {
  return grant.endsWith('*') ? room.startsWith(grant.slice(0, -1)) : grant === room;
}

/** The rooms an identity may read. */
export function readAccessFor(identity: Identity | null): ReadAccess {
  if (!identity || hasRole(identity, 'admin')) return READ_ALL;
  const own = `user:${identity.sub}`;
  const extra = [...new Set(identity.rooms)].sort();
  return {
    // Only what decides readability: the user room (by sub) and the grants.
    key: JSON.stringify([identity.sub, extra]),
    canRead: (room) =>
      FLEET_ROOMS.has(room) ||
      FLEET_PREFIXES.some((p) => room.startsWith(p)) ||
      room === own ||
      extra.some((g) => grants(g, room)),
  };
}
