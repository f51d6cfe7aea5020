/** The caller's session: who the token says they are, and renewal on an open WebSocket. */
import type { Identity } from '../domain/access/identity.js';
import { badInput } from '../domain/errors.js';
import { builder } from './builder.js';

export const SessionRef = builder.objectRef<Identity>('Session').implement({
  description: 'The identity a verified token gives the caller.',
  fields: (t) => ({
    sub: t.exposeString('sub', { description: "The token's subject." }),
    roles: t.exposeStringList('roles', { description: 'viewer, operator and/or admin.' }),
    rooms: t.exposeStringList('rooms', {
      description:
        'Extra readable rooms the token grants: exact names, prefixes ending in `*`, or `*` alone for every room.',
    }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the token expires; a WebSocket is closed with 4403 then, unless renewed.',
      resolve: (s) => (s.exp === null ? null : new Date(s.exp * 1000)),
    }),
  }),
});

builder.queryFields((t) => ({
  session: t.field({
    type: SessionRef,
    nullable: true,
    skipTypeScopes: true,
    description: 'Who the server takes the caller to be; null while authentication is off.',
    resolve: (_, __, ctx) => ctx.session?.identity ?? ctx.identity,
  }),
}));

builder.mutationFields((t) => ({
  renewSession: t.field({
    type: SessionRef,
    skipTypeScopes: true,
    authScopes: { authenticated: true },
    description:
      "Over a WebSocket: replaces the connection's token with a fresh one for the same `sub` before the old one expires. Open subscriptions go on without a gap; one whose rooms the new token no longer grants ends with FORBIDDEN. Another `sub` is FORBIDDEN; an invalid token is UNAUTHENTICATED and changes nothing.",
    args: { token: t.arg.string({ required: true }) },
    resolve: (_, { token }, ctx) => {
      if (!ctx.session) {
        throw badInput(
          'renewSession renews a WebSocket connection; over HTTP, send the new token with the next request.',
          { reason: 'NOT_A_WEBSOCKET' },
        );
      }
      return ctx.session.renew(token);
    },
  }),
}));
