/**
 * The per-group execution of an event: graphql-js `execute` on the subscription document with the
 * event as root value, which is what `subscribe` does for each event of a source stream
 * ("MapSourceToResponseEvent" in the spec), then the same error masking as every other result, then
 * JSON once. The operation was already parsed, validated and authorised by the enveloped pipeline
 * when it subscribed; only this step runs per event.
 */
import { execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { StoredEvent } from '../domain/events/event-types.js';
import type { EventEncoder } from './subscription-group.js';

/** Maps a result's errors as the HTTP pipeline would (unexpected errors masked, deliberate ones kept). */
export type ResultMasker = (result: ExecutionResult) => ExecutionResult;

export function createEventEncoder(args: Omit<ExecutionArgs, 'rootValue'>, mask: ResultMasker): EventEncoder {
  return (event: StoredEvent) => {
    const result = execute({ ...args, rootValue: event });
    if (result instanceof Promise) return result.then((r) => encode(mask(r)));
    return encode(mask(result as ExecutionResult));
  };
}

function encode(result: ExecutionResult): Buffer {
  // GraphQLError serializes through its own toJSON, as graphql-ws's `next` does.
  return Buffer.from(JSON.stringify(result));
}
