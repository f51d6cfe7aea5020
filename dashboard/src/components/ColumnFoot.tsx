/** Under a column: how many of how many are shown, and the next page. */
export function ColumnFoot({
  shown,
  count,
  pages,
}: {
  shown: number;
  count: number | null;
  pages: { hasMore: boolean; loading: boolean; loadMore: () => Promise<void> };
}) {
  if (!pages.hasMore && (count === null || shown >= count)) return null;
  return (
    <div className="column-foot small muted">
      {shown} of {count ?? '?'}
      {pages.hasMore && (
        <button
          type="button"
          className="mini more"
          disabled={pages.loading}
          onClick={() => void pages.loadMore()}
        >
          Load more
        </button>
      )}
    </div>
  );
}
