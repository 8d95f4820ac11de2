// A Node benchmark worker (run as a fresh child process per configuration): warms up, waits for the start
// barrier on stdin, then thumbnails every corpus file `passes` times with `inflight` images in flight, speaking
// the line protocol of protocol.ts.
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
    const thumbnailer = preparePipeline(spec.pipeline);
    for (let pass = 0; pass < spec.warmupPasses; pass++) {
      for (const file of spec.files) await thumbnailer.run(await thumbnailer.prepare(file));
    }
    process.stdout.write('ready\n');
    await waitForGo();
    const jobs = Array.from({ length: spec.passes }, () => spec.files).flat();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const file = jobs[next++]!;
        const prepared = await thumbnailer.prepare(file);
        const started = performance.now();
        const cpu = process.cpuUsage();
        await thumbnailer.run(prepared);
        const wall = (performance.now() - started).toFixed(3);
        // Per-image CPU time is only separable with one image in flight.
        const { user, system } = process.cpuUsage(cpu);
        out.push(
          `img ${basename(file)} ${wall}${spec.inflight === 1 ? ` ${((user + system) / 1000).toFixed(3)}` : ''}`,
        );
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
