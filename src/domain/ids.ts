import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/**
 * A new record id: a ULID, so ids sort in creation order (engines page and break ties by id) and
 * carry no meaning a client could rely on.
 */
export function newId(): string {
  return next();
}
