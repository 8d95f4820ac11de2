/**
 * What the dead-letter replay prints: on a terminal, a table of counts per reason and a summary line; anywhere else
 * (a pipe, Cloud Run's logs) one JSON line per message and a final summary line, in the log lines' shape.
 */
import { reasonKey, type Reason, type ReplayEntry, type ReplaySummary } from './replay.js';

export interface ReportSummary extends ReplaySummary {
  /** Cloud Storage requests the run made, by kind. */
  storageRequests?: Record<string, number>;
}

const LABELS: Record<Reason, string> = {
  missing: 'renditions missing',
  complete: 'renditions complete',
  gone: 'source gone',
  remove: 'source deleted',
  skipped: 'skipped',
  unusable: 'unusable event',
  retry: 'failing now',
};

/** What --apply does with a message of each reason. */
const APPLY_DOES: Record<Reason, string> = {
  missing: 'render, ack',
  complete: 'ack (duplicate)',
  gone: 'ack (skip)',
  remove: 'remove renditions, ack',
  skipped: 'ack (skip)',
  unusable: 'ack (drop)',
  retry: 'leave for later',
};

function label(entry: Pick<ReplayEntry, 'reason' | 'code'>): string {
  return entry.code ? `${LABELS[entry.reason]}: ${entry.code}` : LABELS[entry.reason];
}

function range(values: number[]): string {
  if (values.length === 0) return '–';
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? String(low) : `${low}–${high}`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function requests(counts: Record<string, number> | undefined): string {
  if (!counts) return '';
  const used = Object.entries(counts).filter(([, n]) => n > 0);
  const total = used.reduce((sum, [, n]) => sum + n, 0);
  return `; storage requests: ${total}${used.length ? ` (${used.map(([op, n]) => `${op} ${n}`).join(', ')})` : ''}`;
}

/** The terminal form: a header, one row per reason (most frequent first), the summary. */
export function formatTable(entries: readonly ReplayEntry[], summary: ReportSummary): string {
  const apply = summary.mode === 'apply';
  const groups = new Map<string, ReplayEntry[]>();
  for (const entry of entries) {
    const key = reasonKey(entry);
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const sorted = [...groups.values()].sort(
    (a, b) => b.length - a.length || label(a[0]!).localeCompare(label(b[0]!)),
  );
  const header = apply
    ? ['reason', 'messages', 'attempts', 'acked', 'left', 'example']
    : ['reason', 'messages', 'attempts', '--apply would', 'example'];
  const rows = sorted.map((group) => {
    const first = group[0]!;
    const attempts = range(
      group.flatMap((e) => (e.sourceDeliveries === undefined ? [] : [e.sourceDeliveries])),
    );
    const example = clip(
      first.key ? `${first.key}  ${first.detail}` : `message ${first.messageId}: ${first.detail}`,
      80,
    );
    const acked = group.filter((e) => e.action === 'acked').length;
    return apply
      ? [label(first), String(group.length), attempts, String(acked), String(group.length - acked), example]
      : [label(first), String(group.length), attempts, APPLY_DOES[first.reason], example];
  });
  const lines = [
    `dead letters in ${summary.subscription}: ${summary.messages}${apply ? '' : ' (dry run: nothing acked, nothing written)'}`,
    '',
    ...(rows.length > 0 ? table([header, ...rows]) : ['(none)']),
    '',
    apply
      ? `applied: ${summary.messages} messages; acked ${summary.settled}, left ${summary.left} for a later run${requests(summary.storageRequests)}`
      : `dry run: ${summary.messages} messages; --apply would ack ${summary.settled} and leave ${summary.left}${requests(summary.storageRequests)}`,
  ];
  if (summary.full) lines.push('stopped at --max-messages: more may be waiting (run again)');
  return `${lines.join('\n')}\n`;
}

/** The machine form: one JSON line per message, then the summary. */
export function formatJsonLines(entries: readonly ReplayEntry[], summary: ReportSummary): string {
  return [
    ...entries.map((entry) => JSON.stringify({ message: 'dead letter', ...entry })),
    JSON.stringify({ message: 'replay summary', ...summary }),
    '',
  ].join('\n');
}
