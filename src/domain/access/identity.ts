/** Who is calling, as a verified token says. */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  /** The token's subject. */
  readonly sub: string;
  readonly roles: readonly Role[];
  /** Extra readable rooms: exact names, or prefixes ending in `*`. */
  readonly rooms: readonly string[];
  /** When the token expires (epoch seconds); null when auth is off. */
  readonly exp: number | null;
}
