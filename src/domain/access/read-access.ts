/**
 * Who may read which rooms. The realtime layer asks this before it registers, replays or delivers
 * anything, and the history queries ask it too, so a room is readable in one place only.
 */

/** What one caller may read. */
export interface ReadAccess {
  /**
   * Equal for every caller who reads exactly the same rooms, and different otherwise: the rights
   * that shape a result, and nothing else (a subscription may share its work with others of the
   * same key).
   */
  readonly key: string;
  canRead(room: string): boolean;
}

/** Every room: auth is off, or the caller is an admin. */
export const READ_ALL: ReadAccess = { key: '*', canRead: () => true };
