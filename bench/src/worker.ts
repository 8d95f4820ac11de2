// A Node benchmark worker (run as a fresh child process per configuration): warms up, waits for the start
// barrier on stdin, then thumbnails every corpus file `passes` times with `inflight` images in flight, speaking
// the line protocol of protocol.ts. With `alternate`, a paired worker: each image goes through both pipelines
// back to back, the order swapping from one image to the next (paired.ts reads the two lines as one pair).
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { basename } from 'node:path';
import { preparePipeline, type PipelineSpec } from './pipelines.js';

export interface WorkerSpec {
  pipeline: PipelineSpec;
  files: string[];
  passes: number;
  warmupPasses: number;
  inflight: number;
  /**
   * A second pipeline run on the same bytes right after (or before) `pipeline`, one image in flight: its lines are
   * named `b:<file>`, the first pipeline's `a:<file>`.
   */
  alternate?: PipelineSpec;
}

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => {
      lines.close();
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as WorkerSpec;
  const out: string[] = [];
  try {
    if (spec.alternate && spec.inflight !== 1) throw new Error('a paired worker runs one image at a time');
    const thumbnailer = preparePipeline(spec.pipeline);
    const alternate = spec.alternate ? preparePipeline(spec.alternate) : undefined;
    for (let pass = 0; pass < spec.warmupPasses; pass++) {
      for (const file of spec.files) {
        const prepared = await thumbnailer.prepare(file);
        await thumbnailer.run(prepared);
        await alternate?.run(prepared);
      }
    }
    process.stdout.write('ready\n');
    await waitForGo();
    const jobs = Array.from({ length: spec.passes }, () => spec.files).flat();
    let next = 0;
    /** One timed call; per-image CPU time is only separable with one image in flight. */
    const timed = async (name: string, run: () => Promise<unknown>): Promise<void> => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      await run();
      const wall = (performance.now() - started).toFixed(3);
      const { user, system } = process.cpuUsage(cpu);
      out.push(`img ${name} ${wall}${spec.inflight === 1 ? ` ${((user + system) / 1000).toFixed(3)}` : ''}`);
    };
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = next++;
        const file = jobs[job]!;
        const prepared = await thumbnailer.prepare(file);
        if (!alternate) {
          await timed(basename(file), () => thumbnailer.run(prepared));
          continue;
        }
        const a = () => timed(`a:${basename(file)}`, () => thumbnailer.run(prepared));
        const b = () => timed(`b:${basename(file)}`, () => alternate.run(prepared));
        if (job % 2 === 0) await a().then(b);
        else await b().then(a);
      }
    };
    const startMs = performance.timeOrigin + performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(Array.from({ length: spec.inflight }, lane));
    const { user, system } = process.cpuUsage(cpu);
    const endMs = performance.timeOrigin + performance.now();
    process.stdout.write(
      `start ${startMs.toFixed(3)}\n${out.join('\n')}\ncpu ${((user + system) / 1000).toFixed(1)}\nend ${endMs.toFixed(3)}\n`,
    );
  } catch (error) {
    process.stdout.write(
      `error ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}\n`,
    );
    process.exitCode = 0;
  }
}

await main();
