// Target verdicts: met / not met with the figure, never an exit code.

export interface Target {
  name: string;
  /** The measured figure, or undefined when it could not be measured. */
  value: number | undefined;
  /** 'atLeast': value ≥ bound meets the target; 'atMost': value ≤ bound does. */
  kind: 'atLeast' | 'atMost';
  bound: number;
  unit: string;
  /** Printed after the figure, e.g. the wall-clock figure beside a CPU-time one. */
  note?: string;
}

export function verdictLine(target: Target): string {
  const { name, value, kind, bound, unit, note } = target;
  const wanted = `${kind === 'atLeast' ? '≥' : '≤'} ${bound}${unit}`;
  if (value === undefined || !Number.isFinite(value)) return `- ${name} (${wanted}): not measured`;
  const met = kind === 'atLeast' ? value >= bound : value <= bound;
  return `- ${name} (${wanted}): ${met ? 'met' : 'NOT met'} — ${value.toFixed(2)}${unit}${note ? ` (${note})` : ''}`;
}
