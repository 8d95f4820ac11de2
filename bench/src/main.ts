// `npm run bench`: runs every benchmark suite in sequence (`--only core`, `--only knobs`, `--only upload`, `--only worker`, `--only backfill`; `--quick` for a smoke
// run). Prints Markdown tables and verdicts; never exits non-zero on figures.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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
  { rounds: number; passes: number; run: (ctx: SuiteContext) => Promise<string> }
> = {
  core: { rounds: 2, passes: 2, run: runCoreSuite },
  knobs: { rounds: 1, passes: 1, run: runKnobSuite },
  upload: { rounds: 1, passes: 1, run: runUploadSuite },
  worker: { rounds: 1, passes: 1, run: runWorkerSuite },
  backfill: { rounds: 1, passes: 1, run: runBackfillSuite },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false } },
  });
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
    const report = await suite.run(ctx);
    process.stdout.write(`\n## ${name}\n\n${report}\n`);
  }
  process.stdout.write(`\nLoad average (1/5/15 min) at end: ${load()}\n`);
  log(`\nbench finished in ${((Date.now() - started) / 1000).toFixed(0)} s (${new Date().toISOString()})`);
}

await main();
