/**
 * A subscription's group key, as the transports make it: whatever shapes an event's result is in
 * it, and the cursor a stream starts from is not, so that subscribers who resumed from different
 * cursors share one group once their replays are over.
 */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { READ_ALL, type ReadAccess } from '../../src/domain/access/read-access.js';
import { groupingFor } from '../../src/transport/grouping.js';

const STREAM = `subscription Resume($since: ID, $rooms: [String!]) {
  eventStream(rooms: $rooms, since: $since) { ... on Event { id } ... on StreamPosition { cursor } }
}`;
const documents = new Map<string, ReturnType<typeof parse>>();
const onlyRoom = (room: string): ReadAccess => ({ key: `only:${room}`, canRead: (r) => r === room });

function keyOf(query: string, variables: Record<string, unknown>, access: ReadAccess = READ_ALL): string {
  // The pipeline parses each text once (its parser cache): one document per text here too.
  const document = documents.get(query) ?? parse(query);
  documents.set(query, document);
  const grouping = groupingFor(
    {
      schema: undefined as never,
      document,
      variableValues: variables,
      contextValue: { access },
      operationName: null,
    },
    (result) => result,
  );
  return grouping(access).key;
}

describe('a subscription group key', () => {
  it('is the same whatever cursor the stream resumes from, given as a variable or written in', () => {
    const a = keyOf(STREAM, { since: '1-0', rooms: ['r'] });
    expect(keyOf(STREAM, { since: '2-5', rooms: ['r'] })).toBe(a);
    expect(keyOf(STREAM, { rooms: ['r'] })).toBe(a);
    const inline = (since: string) =>
      keyOf(`subscription { events(rooms: ["r"], since: "${since}") { id } }`, {});
    expect(inline('1-0')).toBe(inline('9-9'));
    expect(inline('1-0')).toBe(keyOf('subscription { events(rooms: ["r"]) { id } }', {}));
  });

  it('differs for other rooms, another selection or other read rights', () => {
    const a = keyOf(STREAM, { since: '1-0', rooms: ['r'] });
    expect(keyOf(STREAM, { since: '1-0', rooms: ['s'] })).not.toBe(a);
    expect(keyOf(STREAM, { since: '1-0', rooms: ['r'] }, onlyRoom('r'))).not.toBe(a);
    expect(keyOf(STREAM.replace('{ cursor }', '{ cursor live }'), { since: '1-0', rooms: ['r'] })).not.toBe(
      a,
    );
  });

  it('keeps `since` anywhere but on a subscription field', () => {
    const query = (v: string) =>
      keyOf('query ($since: ID) { eventLog(after: $since) { edges { cursor } } }', { since: v });
    expect(query('1-0')).not.toBe(query('2-0'));
  });
});
