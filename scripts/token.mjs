/* global console, process, TextEncoder */
/**
 * Mints a development token signed with JWT_SECRET (HS256), to try Colony with authentication on:
 *
 *   export JWT_SECRET=$(openssl rand -hex 32)
 *   npm start &
 *   TOKEN=$(npm run -s token -- --role operator)
 *
 * Options: --role viewer|operator|admin (default operator), --sub <subject> (default dev),
 * --ttl <seconds> (default 3600), --room <room> (repeatable). JWT_ISSUER and JWT_AUDIENCE, when set,
 * are written as iss and aud, as the server then requires. For development only: a real deployment
 * gets its tokens from its identity provider.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

const ROLES = ['viewer', 'operator', 'admin'];

function fail(message) {
  console.error(`token: ${message}`);
  process.exit(1);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      role: { type: 'string', default: 'operator' },
      sub: { type: 'string', default: 'dev' },
      ttl: { type: 'string', default: '3600' },
      room: { type: 'string', multiple: true, default: [] },
    },
  }));
} catch (error) {
  fail(error.message);
}
const secret = process.env.JWT_SECRET?.trim();
if (!secret)
  fail('JWT_SECRET is not set: set it to the secret the server runs with (32 characters or more).');
if (secret.length < 32) fail('JWT_SECRET must be at least 32 characters, as the server requires.');
if (!ROLES.includes(values.role)) fail(`--role must be one of ${ROLES.join(', ')}.`);
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 1) fail('--ttl must be a whole number of seconds.');

let jwt = new SignJWT({ roles: [values.role], ...(values.room.length ? { rooms: values.room } : {}) })
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
if (process.env.JWT_ISSUER) jwt = jwt.setIssuer(process.env.JWT_ISSUER);
if (process.env.JWT_AUDIENCE) jwt = jwt.setAudience(process.env.JWT_AUDIENCE);
console.log(await jwt.sign(new TextEncoder().encode(secret)));
