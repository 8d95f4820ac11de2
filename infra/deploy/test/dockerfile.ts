/**
 * A Dockerfile read with dockerfile-ast, and replayed natively: each stage gets its own directory standing in for
 * the container's filesystem, COPY copies (honouring .dockerignore for the build context), WORKDIR/ENV set the
 * working directory and environment, RUN runs under sh. No Docker engine is needed, and a step that is missing from
 * the Dockerfile (a file the app needs at run time, a build input) fails here as it would in `docker build`.
 */
import { spawn } from 'node:child_process';
import { cpSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import dockerignore from '@balena/dockerignore';
import { DockerfileParser } from 'dockerfile-ast';

export interface Step {
  keyword: string;
  args: string[];
  flags: Record<string, string>;
  /** Exec-form (JSON array) arguments of CMD/ENTRYPOINT/RUN, when written that way. */
  json: string[] | undefined;
}

export interface Stage {
  name: string;
  image: string;
  steps: Step[];
}

export interface ParsedDockerfile {
  /** ARGs before the first FROM, with their defaults. */
  args: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    const values = instruction.getArguments().map((a) => a.getValue());
    if (keyword === 'FROM') {
      const as = values.findIndex((v) => v.toUpperCase() === 'AS');
      stages.push({
        name: as >= 0 ? (values[as + 1] ?? '') : String(stages.length),
        image: values[0] ?? '',
        steps: [],
      });
      continue;
    }
    const current = stages.at(-1);
    if (current === undefined) {
      if (keyword === 'ARG') {
        for (const v of values) {
          const [name = '', ...rest] = v.split('=');
          args[name] = rest.join('=');
        }
      }
      continue;
    }
    const flags: Record<string, string> = {};
    if ('getFlags' in instruction && typeof instruction.getFlags === 'function') {
      for (const flag of (
        instruction as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }
      ).getFlags()) {
        flags[flag.getName()] = flag.getValue() ?? '';
      }
    }
    let json: string[] | undefined;
    const raw = instruction.getArgumentsContent()?.trim() ?? '';
    if (raw.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) json = parsed;
      } catch {
        json = undefined;
      }
    }
    current.steps.push({ keyword, args: values, flags, json });
  }
  return { args, stages };
}

export interface StageState {
  /** Host directory standing in for the stage's filesystem root. */
  root: string;
  /** The stage's working directory, as a path inside the container. */
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  cmd: string[] | undefined;
}

export interface ReplayOptions {
  /** The build context (the repository root). */
  context: string;
  /** Where the stages' filesystems are made. */
  outDir: string;
  /** Receives each step as it runs, and the output of RUN steps. */
  log: (line: string) => void;
}

/** The host environment for RUN steps, without what npm/turbo set for the test run itself. */
function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(npm_|TURBO_|INIT_CWD$|NODE_ENV$|NODE_OPTIONS$)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

export function hostPath(state: StageState, containerPath: string): string {
  return path.join(state.root, path.posix.resolve(state.workdir, containerPath));
}

function run(
  command: string,
  cwd: string,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim() !== '') log(`    ${line}`);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`RUN ${command} exited with ${String(code)}:\n${tail}`));
    });
  });
}

/** Replays every stage in order; returns each stage's final state, by name. */
export async function replay(
  dockerfile: ParsedDockerfile,
  options: ReplayOptions,
): Promise<Map<string, StageState>> {
  const ignoreFile = path.join(options.context, '.dockerignore');
  // A CommonJS module whose types declare a default export: NodeNext sees it under .default.
  const ignored = dockerignore.default().add(
    existsSync(ignoreFile)
      ? readFileSync(ignoreFile, 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'))
      : [],
  );
  const inContext = (src: string): boolean => {
    const rel = path.relative(options.context, src);
    return rel === '' || !ignored.ignores(rel.split(path.sep).join('/'));
  };

  const states = new Map<string, StageState>();
  for (const [index, stage] of dockerfile.stages.entries()) {
    const state: StageState = {
      root: path.join(options.outDir, `${index}-${stage.name}`),
      workdir: '/',
      env: {},
      user: undefined,
      cmd: undefined,
    };
    mkdirSync(state.root, { recursive: true });
    states.set(stage.name, state);
    options.log(`FROM ${stage.image} AS ${stage.name}`);

    for (const step of stage.steps) {
      options.log(
        `  ${step.keyword} ${Object.entries(step.flags)
          .map(([k, v]) => `--${k}=${v} `)
          .join('')}${step.args.join(' ')}`,
      );
      switch (step.keyword) {
        case 'WORKDIR':
          state.workdir = path.posix.resolve(state.workdir, step.args[0] ?? '/');
          mkdirSync(hostPath(state, '.'), { recursive: true });
          break;
        case 'ENV':
          for (const pair of step.args) {
            const eq = pair.indexOf('=');
            if (eq <= 0) throw new Error(`ENV ${pair}: only the NAME=value form is replayed`);
            state.env[pair.slice(0, eq)] = pair.slice(eq + 1);
          }
          break;
        case 'COPY': {
          const sources = step.args.slice(0, -1);
          const dest = step.args.at(-1) ?? '.';
          const from = step.flags.from;
          const fromState = from === undefined ? undefined : states.get(from);
          if (from !== undefined && fromState === undefined)
            throw new Error(`COPY --from=${from}: no such stage`);
          const destHost = hostPath(state, dest);
          for (const src of sources) {
            const srcHost =
              fromState === undefined ? path.join(options.context, src) : hostPath(fromState, src);
            if (!existsSync(srcHost)) throw new Error(`COPY ${src}: not found (${srcHost})`);
            if (statSync(srcHost).isDirectory()) {
              mkdirSync(destHost, { recursive: true });
              cpSync(srcHost, destHost, {
                recursive: true,
                verbatimSymlinks: true,
                filter: fromState === undefined ? inContext : () => true,
              });
            } else {
              const intoDir =
                dest.endsWith('/') ||
                dest === '.' ||
                (existsSync(destHost) && statSync(destHost).isDirectory());
              const target = intoDir ? path.join(destHost, path.basename(srcHost)) : destHost;
              mkdirSync(path.dirname(target), { recursive: true });
              copyFileSync(srcHost, target);
            }
          }
          break;
        }
        case 'RUN':
          if (step.json !== undefined)
            throw new Error('RUN in exec form is not replayed; use the shell form');
          await run(step.args.join(' '), hostPath(state, '.'), { ...hostEnv(), ...state.env }, options.log);
          break;
        case 'USER':
          state.user = step.args[0];
          break;
        case 'CMD':
          state.cmd = step.json;
          break;
        case 'ARG':
        case 'EXPOSE':
        case 'LABEL':
          break;
        default:
          throw new Error(`${step.keyword} is not replayed`);
      }
    }
  }
  return states;
}
