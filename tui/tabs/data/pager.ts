/**
 * Where a table's open page is, as the cursors `all` returned on the way
 * there: from the start (key order) or from the end (`reverse`, for `G`).
 * Only the cursors are kept, a short string per page moved, never the pages
 * passed, so paging through a table of millions holds one page of records.
 */
export interface PagePlace {
  from: 'start' | 'end';
  /** The cursor of each page boundary crossed; the page is read after (before, from the end) the last. */
  cursors: readonly string[];
}

export const FIRST_PAGE: PagePlace = { from: 'start', cursors: [] };
export const LAST_PAGE: PagePlace = { from: 'end', cursors: [] };

/** The `all` params that read the page at `place`. */
export function pageRequest(table: string, place: PagePlace, limit: number) {
  const cursor = place.cursors.at(-1);
  return {
    table,
    limit,
    ...(cursor === undefined ? {} : { cursor }),
    ...(place.from === 'end' ? { reverse: true } : {}),
  };
}

/** The page after, given the cursor the page at `place` returned; undefined on the last page. */
export function nextPlace(place: PagePlace, returned: string | null): PagePlace | undefined {
  if (place.from === 'end') return place.cursors.length === 0 ? undefined : popped(place);
  return returned === null ? undefined : pushed(place, returned);
}

/** The page before; undefined on the first page. */
export function previousPlace(place: PagePlace, returned: string | null): PagePlace | undefined {
  if (place.from === 'start') return place.cursors.length === 0 ? undefined : popped(place);
  return returned === null ? undefined : pushed(place, returned);
}

/**
 * The rows the page shows, 1-based and inclusive, out of `count` (when known).
 * Every page before is full, so the numbers are exact unless the table
 * changed while paging.
 */
export function pageRows(place: PagePlace, shown: number, limit: number, count: number | undefined): string {
  if (shown === 0) return 'no records';
  const of = count === undefined ? '' : ` of ${count.toLocaleString('en-US')}`;
  if (place.from === 'start') {
    const first = place.cursors.length * limit + 1;
    return `rows ${first.toLocaleString('en-US')}–${(first + shown - 1).toLocaleString('en-US')}${of}`;
  }
  if (count === undefined) return `${shown} rows, ${place.cursors.length * limit} from the end`;
  const last = count - place.cursors.length * limit;
  return `rows ${Math.max(1, last - shown + 1).toLocaleString('en-US')}–${last.toLocaleString('en-US')}${of}`;
}

const pushed = (place: PagePlace, cursor: string): PagePlace => ({
  from: place.from,
  cursors: [...place.cursors, cursor],
});
const popped = (place: PagePlace): PagePlace => ({ from: place.from, cursors: place.cursors.slice(0, -1) });
