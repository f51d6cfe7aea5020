/**
 * The per-event execution of a grouped subscription (event-executor.ts): the operation's document
 * run with the event as its root value, the result's errors mapped by the masker the HTTP pipeline
 * uses, and the result encoded as JSON once. The schema here is a small one built for the test:
 * what matters is what the encoder does with any schema's result, synchronous or not.
 */
import {
  GraphQLError,
  GraphQLID,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type ExecutionResult,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { createEventEncoder } from '../../src/realtime/event-executor.js';

const Event = new GraphQLObjectType<StoredEvent>({
  name: 'Event',
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID) },
    source: { type: GraphQLString },
    /** Resolved later, as a field that reads the store would be. */
    later: { type: GraphQLString, resolve: async (event) => `after ${event.id}` },
    broken: {
      type: GraphQLString,
      resolve: () => {
        throw new Error('a detail the client must not see');
      },
    },
  },
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
  subscription: new GraphQLObjectType<StoredEvent>({
    name: 'Subscription',
    fields: { events: { type: Event, resolve: (event) => event } },
  }),
});

const event = { id: '7-0', source: 'executor-test', rooms: ['r'], type: 'CUSTOM' } as unknown as StoredEvent;

/** Masks as the pipeline does: every error becomes one the client may see. */
const masked = (result: ExecutionResult): ExecutionResult =>
  result.errors
    ? { ...result, errors: result.errors.map((e) => new GraphQLError('Unexpected error.', { path: e.path })) }
    : result;

const decode = (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown;

describe('an event encoder', () => {
  it('runs the document on the event and encodes the result as JSON, at once when nothing is awaited', () => {
    const encode = createEventEncoder(
      { schema, document: parse('subscription { events { id source } }') },
      masked,
    );
    const bytes = encode(event);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(decode(bytes as Buffer)).toEqual({ data: { events: { id: '7-0', source: 'executor-test' } } });
  });

  it('encodes once a field that resolves later has', async () => {
    const encode = createEventEncoder(
      { schema, document: parse('subscription { events { later } }') },
      masked,
    );
    const bytes = encode(event);
    expect(bytes).toBeInstanceOf(Promise);
    expect(decode(await bytes)).toEqual({ data: { events: { later: 'after 7-0' } } });
  });

  it('masks the errors of a result as the pipeline does', async () => {
    const sync = createEventEncoder(
      { schema, document: parse('subscription { events { id broken } }') },
      masked,
    );
    expect(decode(sync(event) as Buffer)).toEqual({
      data: { events: { id: '7-0', broken: null } },
      errors: [{ message: 'Unexpected error.', path: ['events', 'broken'] }],
    });
    const async = createEventEncoder(
      { schema, document: parse('subscription { events { later broken } }') },
      masked,
    );
    expect(decode(await async(event))).toEqual({
      data: { events: { later: 'after 7-0', broken: null } },
      errors: [{ message: 'Unexpected error.', path: ['events', 'broken'] }],
    });
  });
});
