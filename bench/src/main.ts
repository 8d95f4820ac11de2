// `npm run bench`: runs every benchmark suite in sequence (`--only core|knobs|upload|worker|backfill`; `--quick` for a
// smoke run). Prints Markdown tables and verdicts; never exits non-zero on figures. Writes the charts of the suites
// that ran as SVG into `--charts <dir>` (default bench/charts; a `--quick` run writes none unless given the flag).
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runInfoNow, writeCharts } from './chart-files.js';
import { charted, coreCharts, uploadCharts, workerCharts, type ChartedReport } from './charts.js';
import { ensureCorpus } from './corpus.js';
import { runCoreSuite } from './core.js';
import { runKnobSuite } from './knobs.js';
import { runUploadSuite } from './upload.js';
import { runWorkerSuite } from './e2e.js';
import { runBackfillSuite } from './backfill.js';
import { ensureTools } from './setup.js';
import { BENCH_DIR, type SuiteContext } from './suite.js';

const SUITES: Record<
  string,
  { rounds: number; passes: number; run: (ctx: SuiteContext) => Promise<string | ChartedReport> }
> = {
  core: { rounds: 2, passes: 2, run: charted(runCoreSuite, coreCharts) },
  knobs: { rounds: 1, passes: 1, run: runKnobSuite },
  upload: { rounds: 1, passes: 1, run: charted(runUploadSuite, uploadCharts) },
  worker: { rounds: 1, passes: 1, run: charted(runWorkerSuite, workerCharts) },
  backfill: { rounds: 1, passes: 1, run: runBackfillSuite },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      charts: { type: 'string' },
    },
  });
  // Smoke figures never overwrite the committed charts unless asked to.
  const chartsDir = values.charts ?? (values.quick ? undefined : join(BENCH_DIR, 'charts'));
  const selected = values.only ?? Object.keys(SUITES);
  const unknown = selected.filter((name) => !(name in SUITES));
  if (unknown.length > 0) {
    throw new Error(`unknown suite ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}`);
  }
  // Nothing here runs on Google Cloud: the emulator clients skip the metadata-server probe (and its warning).
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const tools = await ensureTools(BENCH_DIR, log);
  for (const problem of tools.problems) log(`warning: ${problem}`);
  const corpus = await ensureCorpus(join(BENCH_DIR, '.corpus'), log);
  const started = Date.now();
  const load = (): string =>
    loadavg()
      .map((v) => v.toFixed(1))
      .join(' / ');
  process.stdout.write(`Load average (1/5/15 min) at start: ${load()}\n`);
  for (const name of selected) {
    const suite = SUITES[name]!;
    const ctx: SuiteContext = {
      corpus,
      tools,
      rounds: values.quick ? 1 : suite.rounds,
      passes: values.quick ? 1 : suite.passes,
      warmupPasses: 1,
      quick: values.quick,
      log,
    };
    const run = runInfoNow({ rounds: ctx.rounds, passes: ctx.passes, quick: values.quick });
    const output = await suite.run(ctx);
    const report = typeof output === 'string' ? output : output.report;
    process.stdout.write(`\n## ${name}\n\n${report}\n`);
    if (chartsDir !== undefined && typeof output !== 'string') {
      for (const path of await writeCharts(resolve(chartsDir), output.charts(run))) log(`chart: ${path}`);
    }
  }
  process.stdout.write(`\nLoad average (1/5/15 min) at end: ${load()}\n`);
  log(`\nbench finished in ${((Date.now() - started) / 1000).toFixed(0)} s (${new Date().toISOString()})`);
}

await main();
