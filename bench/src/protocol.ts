// The line protocol every benchmark worker (Node, Python, shell) speaks on stdout:
//   ready                  after warm-up; the worker then waits for one line on stdin (the start barrier)
//   start <epoch ms>       timed window opens
//   img <name> <ms> [cpu]  one image done, with its own latency (and CPU ms, when separable)
//   cpu <ms>               CPU time (user + system, all threads and children) spent in the timed window
//   end <epoch ms>         timed window closes
//   error <message>        the worker could not run this configuration (e.g. core not implemented yet)
// Peak RSS comes from /usr/bin/time (`maxrss_kib=<KiB>` on stderr) so it covers djpeg's children too.

export interface ImageTiming {
  name: string;
  ms: number;
  cpuMs?: number;
}

export interface WorkerRun {
  startMs: number;
  endMs: number;
  images: ImageTiming[];
  /** CPU time of the timed window, when the worker can measure it: robust to other load on the machine. */
  cpuMs?: number;
  error?: string;
}

export function parseWorkerOutput(stdout: string): WorkerRun {
  const run: WorkerRun = { startMs: Number.NaN, endMs: Number.NaN, images: [] };
  for (const line of stdout.split('\n')) {
    const [kind, ...rest] = line.trim().split(' ');
    if (kind === 'start') run.startMs = Number(rest[0]);
    else if (kind === 'end') run.endMs = Number(rest[0]);
    else if (kind === 'img' && rest.length >= 2) {
      const [name, ms, cpuMs] = [rest[0]!, Number(rest[1]), Number(rest[2])];
      if (Number.isFinite(ms)) run.images.push(Number.isFinite(cpuMs) ? { name, ms, cpuMs } : { name, ms });
    } else if (kind === 'cpu') run.cpuMs = Number(rest[0]);
    else if (kind === 'error') run.error = rest.join(' ');
  }
  if (!run.error && (!Number.isFinite(run.startMs) || !Number.isFinite(run.endMs))) {
    run.error = 'worker did not report a complete timed window';
  }
  return run;
}

/** Peak resident set size in MiB from GNU time's `-f maxrss_kib=%M` line, if present. */
export function parsePeakRssMiB(stderr: string): number | undefined {
  const matches = [...stderr.matchAll(/maxrss_kib=(\d+)/g)];
  const last = matches[matches.length - 1];
  return last ? Number(last[1]) / 1024 : undefined;
}
