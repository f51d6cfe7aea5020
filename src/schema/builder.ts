/** Configures Pothos and its plugins; every type lives in a *-schema.ts file of its concept. */
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { Role } from '../domain/access/identity.js';
import { hasRole } from '../domain/access/room-rights.js';
import { badInput, forbidden } from '../domain/errors.js';
import type { Json } from '../domain/model.js';
import type { ColonyContext } from './context.js';

export const builder = new SchemaBuilder<{
  Context: ColonyContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: Json; Output: Json | unknown };
  };
  /** The roles, nested: an operator is also a viewer, an admin also an operator. */
  AuthScopes: Record<Role, boolean> & { authenticated: boolean };
  DefaultEdgesNullability: { list: false; items: true };
  DefaultNodeNullability: true;
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // scope-auth first, so that its checks wrap every other plugin's work (the security issue adds rules).
  plugins: [ScopeAuthPlugin, RelayPlugin, ValidationPlugin],
  scopeAuth: {
    authScopes: (ctx) => ({
      authenticated: true,
      viewer: hasRole(ctx.identity, 'viewer'),
      operator: hasRole(ctx.identity, 'operator'),
      admin: hasRole(ctx.identity, 'admin'),
    }),
    // Checked when a subscription starts, before anything (a replay included) is sent.
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, ctx, info, result) => {
      const needed = missingRoles(result.failure);
      const has = ctx.identity?.roles.length ? ctx.identity.roles.join(', ') : 'none';
      return forbidden(
        needed.length
          ? `${info.parentType.name}.${info.fieldName} needs the ${needed.join(' or ')} role (yours: ${has}).`
          : `You may not use ${info.parentType.name}.${info.fieldName}.`,
        { reason: 'ROLE_REQUIRED', requiredRoles: needed },
      );
    },
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

/** The roles a scope failure asked for, for a message that says what is missing. */
function missingRoles(failure: AuthFailure): string[] {
  if (failure.kind === AuthScopeFailureType.AuthScope) return [failure.scope];
  if (
    failure.kind === AuthScopeFailureType.AnyAuthScopes ||
    failure.kind === AuthScopeFailureType.AllAuthScopes
  ) {
    return [...new Set(failure.failures.flatMap(missingRoles))];
  }
  return [];
}

// Reading needs a viewer, changing anything an operator; fields that need more say so themselves.
builder.queryType({ authScopes: { viewer: true } });
builder.mutationType({ authScopes: { operator: true } });
builder.subscriptionType({ authScopes: { viewer: true } });
