// What /proc says about a child process while it runs: peak resident set and CPU time so far.
import { readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** A child's peak resident set (VmHWM) while it still runs. */
export function peakRssMiB(pid: number): Promise<number | undefined> {
  return readFile(`/proc/${pid}/status`, 'utf8').then(
    (text) => {
      const match = /VmHWM:\s+(\d+) kB/.exec(text);
      return match ? Number(match[1]) / 1024 : undefined;
    },
    () => undefined,
  );
}

/** User + system CPU time a process has used so far, in ms (undefined once it is gone). */
export function cpuMs(pid: number): Promise<number | undefined> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (text) => {
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
    },
    () => undefined,
  );
}
