// Log lines: a JSON entry parsed, and readable console lines for `npm run dev` (a name column, then the line, JSON
// log entries shortened).

/** Keys every entry carries that add nothing on a developer's console. */
const droppedKeys = new Set(['severity', 'level', 'message', 'msg', 'time', 'timestamp', 'pid', 'hostname']);

/**
 * One JSON log entry (pino with Cloud Logging fields) as `SEVERITY message {other fields}`;
 * anything that is not a JSON object comes back unchanged.
 */
export function formatLogLine(line: string): string {
  const fields = parseLogEntry(line);
  if (fields === undefined) return line;
  const severity = text(fields.severity ?? fields.level).toUpperCase();
  const message = text(fields.message ?? fields.msg);
  const rest = Object.fromEntries(Object.entries(fields).filter(([key]) => !droppedKeys.has(key)));
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${severity.padEnd(7)} ${message}${extra}`.trimEnd();
}

/** A line that is a JSON object (a log entry), parsed; undefined for anything else. */
export function parseLogEntry(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof entry === 'object' && entry !== null && !Array.isArray(entry)
    ? (entry as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A writer that prefixes every line with `name |`, names padded to one width. */
export function prefixed(name: string, write: (text: string) => void = (text) => process.stdout.write(text)) {
  const label = `${name.padEnd(7)} |`;
  return (line: string): void => write(`${label} ${formatLogLine(line)}\n`);
}
