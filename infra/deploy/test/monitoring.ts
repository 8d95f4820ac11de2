/**
 * What the Cloud Monitoring checks need: the metrics each app exports (their own apps/<app>/src/metrics.ts), the
 * Google metrics the dashboard and alerts may use, PromQL read with the Prometheus project's own grammar
 * (@prometheus-io/lezer-promql), and Terraform strings with their `${…}` filled in enough to be parsed.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import type { AppName } from './app-config.js';
import { type Json, isRecord, repoPath } from './repo.js';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** The name → kind table an app exports for these checks (WORKER_METRICS, WEB_METRICS). */
export async function metricsOf(app: AppName): Promise<Record<string, MetricKind>> {
  const url = pathToFileURL(repoPath('apps', app, 'src', 'metrics.ts')).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const table = mod[app === 'web' ? 'WEB_METRICS' : 'WORKER_METRICS'];
  assert.ok(isRecord(table), `apps/${app}/src/metrics.ts exports its metric table`);
  return table as Record<string, MetricKind>;
}

/** Every metric either app exports, by name (thumbnailer_storage_requests_total is in both). */
export async function exportedMetrics(): Promise<Map<string, MetricKind>> {
  const all = new Map<string, MetricKind>();
  for (const app of ['web', 'worker'] as const)
    for (const [name, kind] of Object.entries(await metricsOf(app))) {
      assert.equal(all.get(name) ?? kind, kind, `${name} has one type in both apps`);
      all.set(name, kind);
    }
  return all;
}

/** How Managed Service for Prometheus names a Prometheus metric in Cloud Monitoring. */
export function cloudMonitoringType(name: string, kind: MetricKind): string {
  return `prometheus.googleapis.com/${name}/${kind}`;
}

/** Google's own metrics the dashboard and alerts may read (their PromQL names: first `/` → `:`, others → `_`). */
export const GOOGLE_METRICS = new Set([
  'pubsub_googleapis_com:subscription_num_undelivered_messages',
  'pubsub_googleapis_com:subscription_oldest_unacked_message_age',
]);

export interface Selector {
  metric: string;
  labels: Set<string>;
}

/** The vector selectors of a PromQL expression (metric name and matched label names), or the syntax errors. */
export function readPromql(query: string): { selectors: Selector[]; errors: string[] } {
  const selectors: Selector[] = [];
  const errors: string[] = [];
  parser.parse(query).iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(
          `syntax error at ${node.from}: ${JSON.stringify(query.slice(node.from, node.from + 30))}`,
        );
      if (node.name !== 'VectorSelector') return;
      const selector: Selector = { metric: '', labels: new Set() };
      const identifier = node.node.getChild('Identifier');
      if (identifier) selector.metric = query.slice(identifier.from, identifier.to);
      node.node
        .getChild('LabelMatchers')
        ?.cursor()
        .iterate((inner) => {
          if (inner.name === 'LabelName') selector.labels.add(query.slice(inner.from, inner.to));
        });
      selectors.push(selector);
    },
  });
  return { selectors, errors };
}

/**
 * Why a selector's metric is not allowed, or undefined when it is: an exported counter or gauge by its name, an
 * exported histogram by its _bucket, _sum or _count series, or one of GOOGLE_METRICS.
 */
export function unknownMetric(metric: string, exported: Map<string, MetricKind>): string | undefined {
  if (GOOGLE_METRICS.has(metric)) return undefined;
  const kind = exported.get(metric);
  if (kind === 'counter' || kind === 'gauge') return undefined;
  if (kind === 'histogram') return `${metric} is a histogram: query its _bucket, _sum or _count series`;
  const base = /^(.*)_(bucket|sum|count)$/.exec(metric)?.[1];
  if (base !== undefined && exported.get(base) === 'histogram') return undefined;
  return `${metric} is neither exported by an app nor one of ${[...GOOGLE_METRICS].join(', ')}`;
}

/** `${name}` → vars[name], as templatefile() does for plain variables; directives and unknown names are errors. */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  assert.ok(!/(^|[^%])%\{/.test(text), 'the template uses no %{…} directives');
  return text.replace(/(\$?)\$\{([^{}]*)\}/g, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1); // $${…} is a literal ${…}
    const value = vars[name.trim()];
    if (value === undefined) throw new Error(`the template uses \${${name}}, which is not passed`);
    return value;
  });
}

/** The names a template interpolates. */
export function templateVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<!\$)\$\{\s*([A-Za-z_]\w*)\s*\}/g)].map((m) => m[1] ?? ''));
}

/**
 * A Terraform string from hcl2json with its interpolations filled in: `${local.x…}` by the local's value (itself
 * filled in), `${var.x}` by the variable's default, anything else by `placeholder`.
 */
export function fillTerraform(
  text: string,
  locals: Json,
  variables: Json,
  placeholder = 'placeholder',
  depth = 0,
): string {
  assert.ok(depth < 10, 'locals refer to each other in a loop');
  return text.replace(/\$\{([^{}]*)\}/g, (_, expr: string) => {
    const path = /^\s*(local|var)\.([\w.]+)\s*$/.exec(expr);
    if (path?.[1] === 'local') {
      let value: unknown = locals;
      for (const key of path[2]?.split('.') ?? []) value = isRecord(value) ? value[key] : undefined;
      if (typeof value === 'string') return fillTerraform(value, locals, variables, placeholder, depth + 1);
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return placeholder;
    }
    if (path?.[1] === 'var') {
      const declaration = variables[path[2] ?? ''];
      const value =
        Array.isArray(declaration) && isRecord(declaration[0]) ? declaration[0].default : undefined;
      if (typeof value === 'string' || typeof value === 'number') return String(value);
    }
    return placeholder;
  });
}
