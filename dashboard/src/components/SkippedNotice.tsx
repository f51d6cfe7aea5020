/**
 * The events the stream skipped while this page was behind: the dashboard subscribes with
 * `overflow: COALESCE`, so a page that reads slowly keeps the newest state of each agent, task and
 * figure, and the server reports what it did not send (EventsDropped). Older changes are in the feed
 * and the views' own queries.
 */
export function SkippedNotice({ skipped, dismiss }: { skipped: number; dismiss: () => void }) {
  if (skipped === 0) return null;
  return (
    <div className="notice" role="status" data-testid="events-skipped">
      {skipped} {skipped === 1 ? 'event' : 'events'} skipped while this page was behind: the views show the
      newest state.
      <button type="button" className="mini" title="dismiss" onClick={dismiss}>
        ✕
      </button>
    </div>
  );
}
