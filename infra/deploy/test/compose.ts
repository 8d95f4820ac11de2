/**
 * docker-compose.yml parsed with the yaml package, with typed access to services; and loaded with the Compose
 * Specification's reference loader (compose-check, built from ../compose-check by this workspace's tools script, at
 * the path the preflight's table of Go-built tools gives).
 */
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { goTools } from '../../emulators/scripts/preflight.mjs';
import { type Json, isRecord, readRepoFile, record, repoPath } from './repo.js';

export interface ComposeCheck {
  status: number | null;
  /** the normalized project, as YAML */
  stdout: string;
  /** the loader's error, one line */
  stderr: string;
}

/** Runs compose-check on `file` with `env` as its whole environment (none by default). */
export function composeCheck(file: string, env: Record<string, string> = {}): ComposeCheck {
  const result = spawnSync(repoPath(goTools['compose-check']), [file], {
    env,
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function loadCompose(): Json {
  const doc: unknown = parse(readRepoFile('docker-compose.yml'));
  if (!isRecord(doc)) throw new Error('docker-compose.yml is not a mapping');
  return doc;
}

export function service(compose: Json, name: string): Json {
  return record(record(compose, 'services'), name, `services.${name}`);
}

/** A service's environment as a map, whether written as a mapping or as a list of NAME=value. */
export function environment(svc: Json): Record<string, string> {
  const env = svc.environment;
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      const [name = '', ...value] = String(item).split('=');
      out[name] = value.join('=');
    }
  } else if (isRecord(env)) {
    for (const [name, value] of Object.entries(env)) out[name] = String(value);
  }
  return out;
}

/** The command as an argument list (compose accepts a list or a shell-split string). */
export function command(svc: Json): string[] {
  const cmd = svc.command;
  if (Array.isArray(cmd)) return cmd.map(String);
  if (typeof cmd === 'string') return cmd.split(/\s+/).filter(Boolean);
  return [];
}

/** Value of a `-flag value` or `--flag=value` argument. */
export function flagValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === flag) return args[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** `${NAME:-default}` → default: what compose uses when the variable is not set. */
export function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_][A-Z0-9_]*:-([^}]*)\}/g, '$1');
}
