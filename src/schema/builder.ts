/** Configures Pothos and its plugins; every type lives in a *-schema.ts file of its concept. */
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { badInput } from '../domain/errors.js';
import type { Json } from '../domain/model.js';
import type { ColonyContext } from './context.js';

export const builder = new SchemaBuilder<{
  Context: ColonyContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: Json; Output: Json | unknown };
  };
  AuthScopes: { public: boolean };
  DefaultEdgesNullability: { list: false; items: true };
  DefaultNodeNullability: true;
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // scope-auth first, so that its checks wrap every other plugin's work (the security issue adds rules).
  plugins: [ScopeAuthPlugin, RelayPlugin, ValidationPlugin],
  scopeAuth: {
    authScopes: async () => ({ public: true }),
    authorizeOnSubscribe: true,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
  validation: {
    // The same wording as the services' own checks: "<field> must ...; <field> must ...".
    validationError: (failure) =>
      badInput(
        failure.issues
          .map((issue) => {
            const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
            const last = path.at(-1);
            return path.length && !(last && issue.message.startsWith(last))
              ? `${path.join('.')}: ${issue.message}`
              : issue.message;
          })
          .join('; '),
      ),
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
