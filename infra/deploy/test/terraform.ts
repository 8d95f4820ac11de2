/** infra/terraform parsed with HashiCorp's HCL parser (hcl2json), plus the references its expressions make. */
import { readdirSync } from 'node:fs';
import { getReferencesInExpression, parse } from '@cdktf/hcl2json';
import { type Json, blocks, isRecord, readRepoFile, record, repoPath } from './repo.js';

export interface TerraformFile {
  name: string;
  body: Json;
}

export const terraformDir = repoPath('infra', 'terraform');

export async function parseTerraform(): Promise<TerraformFile[]> {
  const names = readdirSync(terraformDir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const files: TerraformFile[] = [];
  for (const name of names) {
    const body = await parse(name, readRepoFile('infra', 'terraform', name));
    files.push({ name, body });
  }
  return files;
}

/** Top-level blocks of one kind (variable, resource, data, output, locals…) merged across files. */
export function merged(files: TerraformFile[], kind: string): Json {
  const out: Json = {};
  for (const { body } of files) {
    const part = body[kind];
    if (Array.isArray(part)) {
      // locals: a list of objects
      for (const item of part) if (isRecord(item)) Object.assign(out, item);
    } else if (isRecord(part)) {
      for (const [type, value] of Object.entries(part)) {
        out[type] = isRecord(out[type]) && isRecord(value) ? { ...out[type], ...value } : value;
      }
    }
  }
  return out;
}

/** The one resource `type.name` (hcl2json wraps each resource body in a one-element array). */
export function resource(files: TerraformFile[], type: string, name: string): Json {
  const byName = record(merged(files, 'resource'), type, `resource ${type}`);
  const bodies = byName[name];
  if (!Array.isArray(bodies) || !isRecord(bodies[0]))
    throw new Error(`resource ${type}.${name} is not defined`);
  return bodies[0];
}

export function resourcesOfType(files: TerraformFile[], type: string): Map<string, Json> {
  const byName = merged(files, 'resource')[type];
  const out = new Map<string, Json>();
  if (isRecord(byName)) {
    for (const [name, bodies] of Object.entries(byName)) {
      if (Array.isArray(bodies) && isRecord(bodies[0])) out.set(name, bodies[0]);
    }
  }
  return out;
}

/** Every string inside a value (expressions come back as "${…}" strings). */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (isRecord(value)) return Object.values(value).flatMap(strings);
  return [];
}

/**
 * The outermost `${…}` interpolations of a string as hcl2json gives it (template text unescaped, so it may hold
 * quotes and newlines). Each is a valid expression on its own, whatever text surrounds it. `$${` is literal text.
 */
export function interpolations(s: string): string[] {
  const found: string[] = [];
  let i = s.indexOf('${');
  while (i !== -1) {
    if (s[i - 1] === '$') {
      i = s.indexOf('${', i + 2);
      continue;
    }
    let depth = 0;
    let j = i + 1;
    for (; j < s.length; j += 1) {
      if (s[j] === '{') depth += 1;
      else if (s[j] === '}' && --depth === 0) break;
    }
    found.push(s.slice(i, j + 1));
    i = s.indexOf('${', j + 1);
  }
  return found;
}

/** The references (var.x, local.y, google_x.y.attr, data.t.n.attr, each.value…) made by the expressions in a value. */
export async function referencesIn(value: unknown): Promise<string[]> {
  const refs: string[] = [];
  for (const s of strings(value)) {
    for (const expression of interpolations(s))
      for (const ref of await getReferencesInExpression('expr.tf', expression)) refs.push(ref.value);
  }
  return refs;
}

/** Names of the env entries of a container body, static `env` blocks and `dynamic "env"` blocks alike. */
export function envNames(container: Json): string[] {
  const names: string[] = [];
  for (const env of blocks(container, 'env')) if (typeof env.name === 'string') names.push(env.name);
  const dynamic = container.dynamic;
  for (const dyn of blocks(isRecord(dynamic) ? dynamic : {}, 'env')) {
    for (const content of blocks(dyn, 'content'))
      if (typeof content.name === 'string') names.push(content.name);
  }
  return names;
}

/** The containers of a Cloud Run v2 service (template.containers) or job (template.template.containers). */
export function cloudRunContainers(body: Json): Json[] {
  const template = blocks(body, 'template')[0] ?? {};
  const inner = blocks(template, 'template')[0];
  return blocks(inner ?? template, 'containers');
}
