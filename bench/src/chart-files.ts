// Charts to files: a Vega-Lite spec compiled to Vega and rendered to SVG headlessly (no canvas: text is measured
// with Helvetica's metrics, text-width.ts), and the run details every caption carries.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Chart, RunInfo } from './charts.js';
import { useHelveticaMetrics } from './text-width.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  useHelveticaMetrics(vega);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/** Renders each chart into `dir` (created if missing); returns the paths written. */
export async function writeCharts(dir: string, charts: readonly Chart[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const chart of charts) {
    const path = join(dir, chart.file);
    await writeFile(path, await renderSvg(chart.spec));
    paths.push(path);
  }
  return paths;
}

/** This machine and its load now, for a suite about to start. */
export function runInfoNow(options: Pick<RunInfo, 'rounds' | 'passes' | 'quick'>): RunInfo {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return {
    ...options,
    startedAt: new Date(),
    machine: `${availableParallelism()} cores, ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    loadAverage: loadavg(),
  };
}
