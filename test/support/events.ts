/**
 * Commits CUSTOM events straight to an engine's store, one per room list, each with a running `n`
 * in its payload: how the realtime unit suites make events without a server.
 */
import type { EventDraft, StoredEvent } from '../../src/domain/events/event-types.js';
import type { Store } from '../../src/domain/ports.js';

export function eventCommitter(
  store: Pick<Store, 'commit'>,
  source: string,
): (...roomLists: string[][]) => Promise<StoredEvent[]> {
  let n = 0;
  return (...roomLists) =>
    store.commit({
      expect: [],
      put: [],
      del: [],
      events: roomLists.map((rooms): EventDraft => ({
        type: 'CUSTOM',
        rooms,
        payload: { kind: 'custom', data: { n: ++n } },
      })),
      timestamp: new Date().toISOString(),
      source,
    });
}
