// Bench prerequisites, installed on first use: djpeg (libjpeg-turbo-progs) for the decode floor, GNU time for
// peak RSS, libjemalloc2 (an allocator configuration), and Pillow in bench/.venv for the reference implementation.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Tools {
  python?: string;
  djpeg?: string;
  time?: string;
  /** libjemalloc's path, to measure the allocator sharp recommends on glibc (via LD_PRELOAD). */
  jemalloc?: string;
  problems: string[];
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, name);
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

let aptUpdated = false;

async function aptInstall(pkg: string, log: (line: string) => void): Promise<void> {
  log(`installing ${pkg} with apt-get…`);
  if (!aptUpdated) {
    await run('apt-get', ['update', '-qq'], { maxBuffer: 1 << 24 });
    aptUpdated = true;
  }
  await run('apt-get', ['install', '-y', '-qq', pkg], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 1 << 24,
  });
}

async function ensureCommand(name: string, pkg: string, log: (line: string) => void, problems: string[]) {
  const found = await which(name);
  if (found) return found;
  try {
    await aptInstall(pkg, log);
  } catch (error) {
    problems.push(`could not install ${pkg}: ${(error as Error).message.split('\n')[0]}`);
  }
  return which(name);
}

async function ensurePillow(benchDir: string, log: (line: string) => void): Promise<string> {
  const venv = join(benchDir, '.venv');
  const python = join(venv, 'bin', 'python');
  const ok = await run(python, ['-c', 'import PIL']).then(
    () => true,
    () => false,
  );
  if (!ok) {
    log('creating bench/.venv with Pillow…');
    await run((await which('python3')) ?? 'python3', ['-m', 'venv', venv]);
    await run(join(venv, 'bin', 'pip'), ['install', '-q', 'Pillow'], { maxBuffer: 1 << 24 });
  }
  return python;
}

export async function ensureTools(benchDir: string, log: (line: string) => void): Promise<Tools> {
  const problems: string[] = [];
  const djpeg = await ensureCommand('djpeg', 'libjpeg-turbo-progs', log, problems);
  const time = (await access('/usr/bin/time', constants.X_OK).then(
    () => true,
    () => false,
  ))
    ? '/usr/bin/time'
    : await ensureCommand('time', 'time', log, problems);
  const jemallocPath = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
  const hasJemalloc = () =>
    access(jemallocPath, constants.R_OK).then(
      () => true,
      () => false,
    );
  if (process.arch === 'x64' && !(await hasJemalloc())) {
    await aptInstall('libjemalloc2', log).catch((error: Error) =>
      problems.push(`no libjemalloc2: ${error.message}`),
    );
  }
  const jemalloc = (await hasJemalloc()) ? jemallocPath : undefined;
  let python: string | undefined;
  try {
    python = await ensurePillow(benchDir, log);
  } catch (error) {
    problems.push(`could not set up Pillow: ${(error as Error).message.split('\n')[0]}`);
  }
  return { python, djpeg, time, jemalloc, problems };
}
