/**
 * Tokens for tests: HS256 with a shared secret, and RS256/ES256 keys published by a real local JWKS
 * server, as an identity provider would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

export interface Claims extends JWTPayload {
  roles?: string[];
  rooms?: string[];
}

/** Seconds from now, as a JWT time. */
export const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

export function hsToken(claims: Claims, secret: string = SECRET): Promise<string> {
  return new SignJWT({ exp: inSeconds(300), ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .sign(new TextEncoder().encode(secret));
}

/** `alg: none`: a header and a payload, no signature. */
export function unsignedToken(claims: Claims): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ exp: inSeconds(300), ...claims })}.`;
}

export interface Jwks {
  url: string;
  rs(claims: Claims): Promise<string>;
  es(claims: Claims): Promise<string>;
  /** HS256 signed with the RSA public key's PEM as the secret: the classic key-confusion forgery. */
  confused(claims: Claims): Promise<string>;
  /** How many times the key set was fetched. */
  fetches(): number;
  close(): Promise<void>;
}

export async function startJwks(): Promise<Jwks> {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  const pem = await exportSPKI(rsa.publicKey);
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sign = (alg: string, kid: string, key: CryptoKey | Uint8Array) => (claims: Claims) =>
    new SignJWT({ exp: inSeconds(300), ...claims }).setProtectedHeader({ alg, kid }).sign(key);
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    rs: sign('RS256', 'rsa-1', rsa.privateKey),
    es: sign('ES256', 'ec-1', ec.privateKey),
    confused: sign('HS256', 'rsa-1', new TextEncoder().encode(pem)),
    fetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
