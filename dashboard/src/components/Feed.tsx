/** The recent events, filtered here by room and type group, and a broadcast form (admins). */
import { useState, type FormEvent } from 'react';
import type { Rights } from '../auth.js';
import { Broadcast } from '../documents.js';
import type { FeedLine } from '../fleet-state.js';
import type { Run } from '../run.js';
import { Card } from './Card.js';
import { summary, TYPE_GROUPS } from './feed-summary.js';

export function Feed({ feed, rights, run }: { feed: FeedLine[]; rights: Rights; run: Run }) {
  const [rooms, setRooms] = useState('');
  const [groups, setGroups] = useState<Set<string>>(
    () => new Set(Object.keys(TYPE_GROUPS).filter((g) => g !== 'system')),
  );
  const [room, setRoom] = useState('ops');
  const [text, setText] = useState('');
  const roomFilter = rooms
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const types = new Set([...groups].flatMap((g) => TYPE_GROUPS[g] ?? []));
  const shown = feed
    .filter((e) => types.has(e.type) && (!roomFilter.length || e.rooms.some((r) => roomFilter.includes(r))))
    .slice(-100)
    .reverse();
  const send = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    void run(Broadcast, { room: room.trim(), data: { message: text.trim() } });
    setText('');
  };
  return (
    <Card
      title="Event feed"
      className="full feed-card"
      extra={
        <span className="muted small">
          {shown.length} shown of {feed.length}
        </span>
      }
    >
      <div className="filters">
        <input
          placeholder="rooms, comma separated (all)"
          value={rooms}
          onChange={(e) => setRooms(e.target.value)}
          aria-label="feed rooms"
        />
        {Object.keys(TYPE_GROUPS).map((g) => (
          <label key={g} className="check">
            <input
              type="checkbox"
              checked={groups.has(g)}
              onChange={() => {
                const next = new Set(groups);
                if (!next.delete(g)) next.add(g);
                setGroups(next);
              }}
            />
            {g}
          </label>
        ))}
        <form className="inline push" onSubmit={send}>
          <input
            value={room}
            onChange={(e) => setRoom(e.target.value)}
            aria-label="broadcast room"
            className="short"
          />
          <input
            placeholder="broadcast a message"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-label="broadcast message"
          />
          <button
            type="submit"
            disabled={!rights.broadcast || !text.trim()}
            title={rights.broadcast ? '' : 'admins only'}
          >
            Broadcast
          </button>
        </form>
      </div>
      <ol className="feed" data-testid="feed">
        {shown.map((e) => (
          <li key={e.id} data-event-id={e.id}>
            <span className="time">{new Date(e.timestamp).toLocaleTimeString()}</span>
            <span className={`type t-${e.type.split('_')[0]?.toLowerCase()}`}>{e.type}</span>
            <span className="what">{summary(e)}</span>
            <span className="rooms muted">{e.rooms.join(' ')}</span>
          </li>
        ))}
      </ol>
    </Card>
  );
}
