/** The token the operator pastes: kept for this browser tab only, and read, never verified, here. */
const KEY = 'colony.token';

export type Role = 'viewer' | 'operator' | 'admin';

export interface TokenInfo {
  sub: string | null;
  roles: Role[];
  /** Epoch seconds, or null when the token has no `exp`. */
  exp: number | null;
}

export function loadToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveToken(token: string): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage may be off (private mode): the token then lives as long as the page.
  }
}

/** The JWT's payload, decoded for display: the server alone decides what the token allows. */
export function decodeToken(token: string): TokenInfo | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as {
      sub?: unknown;
      roles?: unknown;
      exp?: unknown;
    };
    const roles = (Array.isArray(claims.roles) ? claims.roles : [claims.roles]).filter(
      (r): r is Role => r === 'viewer' || r === 'operator' || r === 'admin',
    );
    return {
      sub: typeof claims.sub === 'string' ? claims.sub : null,
      roles,
      exp: typeof claims.exp === 'number' ? claims.exp : null,
    };
  } catch {
    return null;
  }
}

/** What the buttons may do: no token means auth is off on the server, and everything is allowed. */
export interface Rights {
  role: Role | 'none';
  domain: boolean;
  broadcast: boolean;
}

export function rightsOf(token: string): Rights {
  if (!token) return { role: 'none', domain: true, broadcast: true };
  const roles = decodeToken(token)?.roles ?? [];
  if (roles.includes('admin')) return { role: 'admin', domain: true, broadcast: true };
  if (roles.includes('operator')) return { role: 'operator', domain: true, broadcast: false };
  return { role: 'viewer', domain: false, broadcast: false };
}
