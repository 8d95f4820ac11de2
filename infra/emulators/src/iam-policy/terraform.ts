// Reading Terraform: every .tf file of a folder through @cdktf/hcl2json, as blocks (each resource type's bodies, the
// literal locals), and names resolved to literals. What it cannot read as a literal throws Unsupported.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Terraform construct the policy model does not cover, named with where it was met. */
export class Unsupported extends Error {
  constructor(what: string, where: string) {
    super(`IAM policy: unsupported ${what} in ${where}`);
  }
}

export interface Terraform {
  /** Each `resource "type" "name"` body by name, merged over the files. */
  resources(type: string): Map<string, Json>;
  /** Top-level locals whose values are literals (hcl2json keeps expressions as "${…}" strings). */
  readonly locals: Json;
  /** `value` with its `${local.x}` resolved (literal locals only); any other expression throws. */
  literal(value: unknown, where: string): string;
}

/** Parses every .tf file of `dir`, in name order. */
export async function readTerraform(dir: string): Promise<Terraform> {
  const files: Json[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    files.push((await parse(name, readFileSync(join(dir, name), 'utf8'))) as Json);
  }
  const locals = localsOf(files);
  return {
    resources: (type) => resourcesOf(files, type),
    locals,
    literal(value, where) {
      if (typeof value !== 'string') throw new Unsupported('non-string value', where);
      const out = value.replace(/\$\{\s*local\.(\w+)\s*\}/g, (ref, name: string) => {
        const resolved = locals[name];
        if (typeof resolved !== 'string' || resolved.includes('${')) throw new Unsupported(ref, where);
        return resolved;
      });
      if (out.includes('${')) throw new Unsupported(`expression ${value}`, where);
      return out;
    },
  };
}

/** The first of a nested block (hcl2json wraps each block in an array). */
export function firstBlock(parent: Json, key: string): Json | undefined {
  const value = parent[key];
  return Array.isArray(value) && isRecord(value[0]) ? value[0] : undefined;
}

/** Each `resource "type" "name"` body (hcl2json wraps each in a one-element array), merged over the files. */
function resourcesOf(files: Json[], type: string): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const file of files) {
    const byType = isRecord(file.resource) ? file.resource[type] : undefined;
    if (!isRecord(byType)) continue;
    for (const [name, bodies] of Object.entries(byType))
      if (Array.isArray(bodies) && isRecord(bodies[0])) out.set(name, bodies[0]);
  }
  return out;
}

function localsOf(files: Json[]): Json {
  const out: Json = {};
  for (const file of files) {
    const locals = file.locals;
    for (const part of Array.isArray(locals) ? locals : []) if (isRecord(part)) Object.assign(out, part);
  }
  return out;
}
