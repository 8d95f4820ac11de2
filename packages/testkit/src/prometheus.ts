/**
 * Reading a Prometheus text exposition (format 0.0.4, what prom-client writes for GET /metrics) in tests: every
 * sample with its labels, and the declared type of every metric family. Strict: a line it cannot read is an error,
 * so a malformed exposition fails the test instead of being half-read.
 */

export interface Sample {
  /** The sample's own name: a histogram's series are `<name>_bucket`, `<name>_sum` and `<name>_count`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` of each metric family, by family name. */
  types: Map<string, string>;
  /** `# HELP` of each metric family, by family name. */
  help: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/;

function unescapeLabel(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Like Prometheus (Go's ParseFloat), NaN and Inf in any letter case: prom-client writes `Nan`. */
function parseValue(raw: string, line: string): number {
  const special = raw.toLowerCase();
  if (special === '+inf' || special === 'inf') return Infinity;
  if (special === '-inf') return -Infinity;
  if (special === 'nan') return NaN;
  const value = Number(raw);
  if (raw === '' || Number.isNaN(value)) throw new Error(`not a sample value: ${JSON.stringify(line)}`);
  return value;
}

function parseSample(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const m = LABEL.exec(rest);
      if (!m?.[1] || m[2] === undefined) throw new Error(`malformed labels: ${JSON.stringify(line)}`);
      labels[m[1]] = unescapeLabel(m[2]);
      rest = rest.slice(m[0].length);
      if (rest.startsWith(',')) rest = rest.slice(1);
    }
    rest = rest.slice(1);
  }
  // The value, optionally followed by a timestamp.
  const [value = '', timestamp, ...extra] = rest.trim().split(/\s+/);
  if (extra.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp)))
    throw new Error(`trailing text after the value: ${JSON.stringify(line)}`);
  return { name, labels, value: parseValue(value, line) };
}

export function parseExposition(text: string): Exposition {
  const exposition: Exposition = { samples: [], types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (TYPE|HELP) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta?.[1] && meta[2]) {
      (meta[1] === 'TYPE' ? exposition.types : exposition.help).set(meta[2], meta[3] ?? '');
    } else if (!line.startsWith('#')) {
      exposition.samples.push(parseSample(line));
    }
  }
  return exposition;
}

/** The samples named `name` whose labels include every label in `labels`. */
export function samplesOf(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/**
 * The value of the one sample named `name` with exactly these labels (a histogram bucket also needs `le`), or
 * undefined when there is none. Tests compare readings before and after an action with it.
 */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.keys(labels).length;
  const found = samplesOf(exposition, name, labels).filter((s) => Object.keys(s.labels).length === wanted);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** How much the sample `name` with these labels moved between two readings (an absent sample reads 0). */
export function sampleDelta(
  before: Exposition,
  after: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number {
  return (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
}
