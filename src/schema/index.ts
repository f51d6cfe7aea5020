/** The schema: one file per concept, imported for their definitions. */
import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './agent-schema.js';
import './task-schema.js';
import './election-schema.js';
import './consensus-schema.js';
import './system-schema.js';
import './event-schema.js';
import './session-schema.js';
import './liveness-schema.js';

let schema: GraphQLSchema | null = null;

export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}
