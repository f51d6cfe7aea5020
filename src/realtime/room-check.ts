/**
 * The one room check and the one event filter of every read (`events`, `eventStream`, `eventLog`, and renewed rights): the
 * rooms named must be room names and each readable by the caller; without rooms, every event is
 * checked against the caller's rights as it is read or delivered.
 */
import type { ReadAccess } from '../domain/access/read-access.js';
import { badInput, forbidden } from '../domain/errors.js';
import type { EventType, StoredEvent } from '../domain/events/event-types.js';
import { isRoomName } from '../domain/events/rooms.js';

const list = (rooms: readonly string[]) => rooms.map((r) => JSON.stringify(r)).join(', ');

/** The rooms asked for, each once, or null for every readable room; throws BAD_USER_INPUT or FORBIDDEN. */
export function checkRooms(rooms: readonly string[] | null, access: ReadAccess): string[] | null {
  const named = rooms?.length ? [...new Set(rooms)] : null;
  const bad = (named ?? []).filter((room) => !isRoomName(room));
  if (bad.length) {
    throw badInput(`Not a room name: ${list(bad)} (1–128 characters of letters, digits and : _ . -).`, {
      reason: 'BAD_ROOM',
    });
  }
  const denied = (named ?? []).filter((room) => !access.canRead(room));
  if (denied.length) throw roomsDenied(denied);
  return named;
}

/** FORBIDDEN, naming the rooms the caller may not read. */
export function roomsDenied(rooms: string[]) {
  return forbidden(`You may not read ${list(rooms)}.`, { reason: 'ROOM_NOT_GRANTED', rooms });
}

/**
 * The one event filter: of `types` (all when null) and in one of `rooms`, or, without rooms, in a
 * room the caller may read. What routing by room has checked already costs one `includes` here.
 */
export function wanted(
  event: StoredEvent,
  rooms: readonly string[] | null,
  types: ReadonlySet<EventType> | null,
  access: ReadAccess,
): boolean {
  if (types && !types.has(event.type)) return false;
  return rooms
    ? event.rooms.some((room) => rooms.includes(room))
    : event.rooms.some((room) => access.canRead(room));
}
