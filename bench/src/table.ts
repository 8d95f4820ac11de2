// Plain-text table rendering for the console report (and pasting into bench/README.md as Markdown).

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Renders rows as a Markdown table with padded columns; numbers are right-aligned by default. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, 3, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const pad = (text: string, i: number): string => {
    const width = widths[i]!;
    return columns[i]!.align === 'left' ? text.padEnd(width) : text.padStart(width);
  };
  const line = (cells: readonly string[]): string =>
    `| ${columns.map((_, i) => pad(cells[i] ?? '', i)).join(' | ')} |`;
  const rule = `|${columns
    .map((column, i) =>
      column.align === 'left' ? `:${'-'.repeat(widths[i]! + 1)}` : `${'-'.repeat(widths[i]! + 1)}:`,
    )
    .join('|')}|`;
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}

/** A figure with a fixed number of decimals, or an em dash when it is not available. */
export function fixed(value: number | undefined, decimals: number, suffix = ''): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(decimals)}${suffix}`;
}
