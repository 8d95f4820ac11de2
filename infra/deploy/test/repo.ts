/** Paths into the repository the deployment files describe, and small typed guards for parsed documents. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPath(...segments: string[]): string {
  return path.join(repoRoot, ...segments);
}

export function readRepoFile(...segments: string[]): string {
  return readFileSync(repoPath(...segments), 'utf8');
}

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** The record at `key`, or a failure naming where it was expected. */
export function record(parent: unknown, key: string, where = key): Json {
  const value = isRecord(parent) ? parent[key] : undefined;
  if (!isRecord(value)) throw new Error(`expected an object at ${where}`);
  return value;
}

/** HCL blocks come back from hcl2json as arrays of objects; this returns the only one. */
export function block(parent: unknown, key: string, where = key): Json {
  const value = isRecord(parent) ? parent[key] : undefined;
  if (!Array.isArray(value) || value.length !== 1 || !isRecord(value[0])) {
    throw new Error(`expected exactly one "${key}" block at ${where}`);
  }
  return value[0];
}

/** Every block named `key` (zero or more). */
export function blocks(parent: unknown, key: string): Json[] {
  const value = isRecord(parent) ? parent[key] : undefined;
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The internal (@thumbnailer/*) runtime dependencies of a workspace, transitively, as workspace folders. */
export function internalRuntimeClosure(workspaceDir: string): string[] {
  const folderOf = new Map<string, string>([
    ['@thumbnailer/core', 'packages/core'],
    ['@thumbnailer/testkit', 'packages/testkit'],
    ['@thumbnailer/emulators', 'infra/emulators'],
    ['@thumbnailer/web', 'apps/web'],
    ['@thumbnailer/worker', 'apps/worker'],
  ]);
  const seen = new Set<string>();
  const visit = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const manifest: unknown = JSON.parse(readRepoFile(dir, 'package.json'));
    const deps =
      isRecord(manifest) && isRecord(manifest.dependencies) ? Object.keys(manifest.dependencies) : [];
    for (const name of deps.filter((d) => d.startsWith('@thumbnailer/'))) {
      const folder = folderOf.get(name);
      if (folder === undefined) throw new Error(`unknown internal package ${name} in ${dir}/package.json`);
      visit(folder);
    }
  };
  visit(workspaceDir);
  return [...seen].sort();
}
