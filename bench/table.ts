export type Align = 'left' | 'right';

/**
 * A markdown table padded into columns: readable in a terminal as it is, and
 * pasted unchanged into bench/README.md.
 */
export function renderTable(headers: string[], rows: string[][], align: Align[] = []): string {
  const widths = headers.map((header, column) =>
    Math.max(3, header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const pad = (text: string, column: number) =>
    align[column] === 'right' ? text.padStart(widths[column]!) : text.padEnd(widths[column]!);
  const line = (cells: string[]) => `| ${cells.map((cell, column) => pad(cell, column)).join(' | ')} |`;
  const rule = widths.map((width, column) =>
    align[column] === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width),
  );
  return [line(headers), `| ${rule.join(' | ')} |`, ...rows.map((row) => line(row))].join('\n');
}

export const DASH = '—';

export function formatOps(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? DASH : Math.round(value).toLocaleString('en-US');
}

export function formatMicros(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return DASH;
  return value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}

export function formatRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? DASH : `${value.toFixed(2)}×`;
}
