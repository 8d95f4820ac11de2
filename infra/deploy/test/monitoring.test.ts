/**
 * infra/terraform's monitoring: the Managed Service for Prometheus sidecar beside web and worker, the dashboard
 * (its JSON template parsed and rendered) and the alert policies, checked against the metrics the apps export
 * (apps/<app>/src/metrics.ts) and with their PromQL read by the Prometheus grammar. Without a provider, this is
 * what stands between a typo in a query and a dashboard that silently shows nothing.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  cloudMonitoringType,
  exportedMetrics,
  fillTerraform,
  GOOGLE_METRICS,
  type MetricKind,
  readPromql,
  renderTemplate,
  templateVariables,
  unknownMetric,
} from './monitoring.js';
import { type Json, block, blocks, isRecord, isString, readRepoFile } from './repo.js';
import {
  type TerraformFile,
  cloudRunContainers,
  merged,
  parseTerraform,
  resource,
  resourcesOfType,
  strings,
} from './terraform.js';

const SERVICES = [
  ['web', 'web'],
  ['worker', 'worker'],
] as const;
const SIDECAR_IMAGE =
  /^us-docker\.pkg\.dev\/cloud-ops-agents-artifacts\/cloud-run-gmp-sidecar\/cloud-run-gmp-sidecar(:\d+\.\d+\.\d+|@sha256:[0-9a-f]{64})$/;

interface Query {
  where: string;
  query: string;
}

describe('Cloud Monitoring in infra/terraform', () => {
  let files: TerraformFile[] = [];
  let locals: Json = {};
  let variables: Json = {};
  let exported = new Map<string, MetricKind>();
  let templateCall = { path: '', vars: [] as string[] };
  let template = '';
  let dashboard: Json = {};
  const fill = (value: unknown): string => fillTerraform(String(value), locals, variables);

  before(async () => {
    files = await parseTerraform();
    locals = merged(files, 'locals');
    variables = merged(files, 'variable');
    exported = await exportedMetrics();
    const json = String(resource(files, 'google_monitoring_dashboard', 'thumbnailer').dashboard_json);
    const call = /^\$\{templatefile\("\$\{path\.module\}\/([^"]+)",\s*\{([^}]*)\}\)\}$/.exec(json);
    assert.ok(call?.[1] && call[2], `dashboard_json is templatefile("\${path.module}/…", {…}): ${json}`);
    templateCall = {
      path: call[1],
      vars: [...call[2].matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1] ?? ''),
    };
    template = readRepoFile('infra', 'terraform', ...templateCall.path.split('/'));
    const rendered = renderTemplate(
      template,
      Object.fromEntries(templateCall.vars.map((v) => [v, `sample-${v}`])),
    );
    dashboard = JSON.parse(rendered) as Json;
  });

  /** The chart queries of the dashboard, each with its chart's title. */
  const dashboardQueries = (): Query[] => {
    const layout = dashboard.mosaicLayout;
    const tiles = isRecord(layout) && Array.isArray(layout.tiles) ? layout.tiles.filter(isRecord) : [];
    return tiles.flatMap((tile) => {
      const widget = isRecord(tile.widget) ? tile.widget : {};
      const chart = isRecord(widget.xyChart) ? widget.xyChart : {};
      const dataSets = Array.isArray(chart.dataSets) ? chart.dataSets.filter(isRecord) : [];
      return dataSets.map((ds) => {
        const query = isRecord(ds.timeSeriesQuery) ? ds.timeSeriesQuery.prometheusQuery : undefined;
        assert.ok(isString(query), `every data set of "${String(widget.title)}" is a PromQL query`);
        return { where: `dashboard: ${String(widget.title)}`, query };
      });
    });
  };

  const policies = (): Map<string, Json> => resourcesOfType(files, 'google_monitoring_alert_policy');

  /** Each PromQL condition of each alert policy, its interpolations filled in. */
  const alertQueries = (): (Query & { condition: Json; policy: string })[] =>
    [...policies()].flatMap(([name, policy]) =>
      blocks(policy, 'conditions').flatMap((condition) =>
        blocks(condition, 'condition_prometheus_query_language').map((promql) => ({
          where: `alert ${name}`,
          policy: name,
          condition: promql,
          query: fill(promql.query),
        })),
      ),
    );

  // ---- the sidecar -------------------------------------------------------------------------------------

  for (const [service, app] of SERVICES) {
    it(`runs Google's Prometheus sidecar beside the ${app} app on google_cloud_run_v2_service.${service}, and keeps the app the one ingress container`, () => {
      const body = resource(files, 'google_cloud_run_v2_service', service);
      const [main, sidecar, ...more] = cloudRunContainers(body);
      assert.ok(main && sidecar, 'two containers');
      assert.equal(more.length, 0);

      // The app: first, named, its port and probes as before.
      assert.equal(main.name, app);
      assert.equal(main.image, `\${var.${app}_image}`);
      assert.equal(block(main, 'ports').container_port, 8080);
      assert.equal(block(block(main, 'startup_probe'), 'http_get').path, '/healthz');
      assert.equal(block(block(main, 'liveness_probe'), 'http_get').path, '/healthz');

      // The sidecar: pinned image, no port (never sent requests), started after the app passes its startup probe.
      assert.equal(sidecar.image, '${var.prometheus_sidecar_image}');
      assert.equal(blocks(sidecar, 'ports').length, 0, 'only the app has a port');
      assert.equal(blocks(sidecar, 'env').length, 0);
      assert.deepEqual(sidecar.depends_on, [app]);
      const port = fill(block(block(sidecar, 'startup_probe'), 'tcp_socket').port);
      assert.equal(port, '13133', 'the collector’s health port');
      const liveness = block(sidecar, 'liveness_probe');
      assert.equal(block(liveness, 'http_get').path, '/liveness');
      assert.equal(fill(block(liveness, 'http_get').port), port);
      // The collector holds a liveness probe ~5 s; the probe must wait longer than that and less than its period.
      const timeout = Number(liveness.timeout_seconds);
      assert.ok(timeout > 5 && timeout < Number(liveness.period_seconds), `liveness timeout ${timeout} s`);

      // Billed like the app, with explicit limits (the instance is billed for the sum of its containers).
      const resources = block(sidecar, 'resources');
      assert.equal(
        resources.cpu_idle,
        block(main, 'resources').cpu_idle,
        'the same billing setting as the app',
      );
      const limits = resources.limits;
      assert.ok(
        isRecord(limits) && fill(limits.cpu) !== 'placeholder' && fill(limits.memory) !== 'placeholder',
      );

      assert.equal(block(body, 'template').execution_environment, 'EXECUTION_ENVIRONMENT_GEN2');
      assert.ok(
        (body.depends_on as string[]).includes(`\${google_project_iam_member.${app}_metric_writer}`),
        'the service waits for its metric writer grant',
      );
    });
  }

  it('pins the sidecar image to a release or a digest, never latest', () => {
    const declaration = block(variables, 'prometheus_sidecar_image');
    assert.match(String(declaration.default), SIDECAR_IMAGE);
  });

  it('lets exactly the web and worker service accounts write metrics, and enables the Cloud Monitoring API', () => {
    const writers = [...resourcesOfType(files, 'google_project_iam_member').values()].filter(
      (g) => g.role === 'roles/monitoring.metricWriter',
    );
    assert.deepEqual(writers.map((g) => g.member).sort(), [
      '${google_service_account.web.member}',
      '${google_service_account.worker.member}',
    ]);
    const apis = strings(locals.apis);
    assert.ok(
      apis.some((s) => s.includes('"monitoring.googleapis.com"')),
      'monitoring.googleapis.com is enabled',
    );
  });

  // ---- the dashboard ------------------------------------------------------------------------------------

  it('loads the dashboard from a JSON template that parses as it is and rendered, with exactly the variables Terraform passes', () => {
    assert.doesNotThrow(() => JSON.parse(template) as unknown, 'the template itself is JSON');
    assert.deepEqual([...templateVariables(template)].sort(), [...templateCall.vars].sort());
    assert.equal(dashboard.displayName, 'thumbnailer');
  });

  it('lays the dashboard out on a 48-column grid without overlapping tiles', () => {
    const layout = dashboard.mosaicLayout as Json;
    assert.equal(layout.columns, 48);
    const tiles = (layout.tiles as Json[]).map((t) => ({
      x: Number(t.xPos ?? 0),
      y: Number(t.yPos ?? 0),
      w: Number(t.width),
      h: Number(t.height),
      title: String((t.widget as Json).title),
    }));
    for (const [i, a] of tiles.entries()) {
      assert.ok(a.x >= 0 && a.x + a.w <= 48 && a.w > 0 && a.h > 0, `"${a.title}" fits`);
      for (const b of tiles.slice(i + 1)) {
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        assert.ok(apart, `"${a.title}" and "${b.title}" overlap`);
      }
    }
  });

  it('charts images per second by outcome, latency p50/p95/p99, refusals by reason, in-flight, backlog, oldest unacked age, dead letters and uploads by status', () => {
    const queries = dashboardQueries();
    const charted = (pattern: RegExp): boolean => queries.some((q) => pattern.test(q.query));
    const wanted: [string, RegExp][] = [
      ['images per second by outcome', /sum by \(outcome\) \(rate\(thumbnailer_worker_events_total\{/],
      ['refusals by reason', /sum by \(reason\) \(increase\(thumbnailer_worker_skipped_total\{/],
      ['images in flight', /thumbnailer_worker_in_flight\{/],
      ['subscription backlog', /num_undelivered_messages\{[^}]*subscription_id="sample-subscription"/],
      [
        'oldest unacked message age',
        /oldest_unacked_message_age\{[^}]*subscription_id="sample-subscription"/,
      ],
      [
        'dead-letter depth',
        /num_undelivered_messages\{[^}]*subscription_id="sample-dead_letter_subscription"/,
      ],
      ['uploads by status', /sum by \(status\) \(rate\(thumbnailer_web_uploads_total\{/],
    ];
    for (const [what, pattern] of wanted) assert.ok(charted(pattern), `the dashboard charts ${what}`);
    for (const q of ['0.5', '0.95', '0.99']) {
      assert.ok(
        charted(
          new RegExp(
            `histogram_quantile\\(${q.replace('.', '\\.')}, sum by \\(le\\) \\(rate\\(thumbnailer_worker_latency_seconds_bucket\\{`,
          ),
        ),
        `the dashboard charts latency p${Number(q) * 100}`,
      );
    }
  });

  // ---- the alerts ---------------------------------------------------------------------------------------

  it('alerts on dead letters (pull mode), old unacked notifications, p95 latency and the worker error rate, with thresholds from variables', () => {
    const expected: [string, RegExp, string | undefined][] = [
      ['dead_letters', /subscription_num_undelivered_messages\{/, undefined],
      ['oldest_unacked', /subscription_oldest_unacked_message_age\{/, 'alert_oldest_unacked_seconds'],
      [
        'latency',
        /histogram_quantile\(0\.95, [^]*thumbnailer_worker_latency_seconds_bucket\{/,
        'alert_latency_p95_seconds',
      ],
      [
        'error_rate',
        /outcome=~"retry\|error"[^]*\/ sum\(rate\(thumbnailer_worker_events_total\{/,
        'alert_error_ratio',
      ],
    ];
    assert.deepEqual([...policies().keys()].sort(), expected.map(([name]) => name).sort());
    for (const [name, pattern, threshold] of expected) {
      const [condition, ...others] = alertQueries().filter((q) => q.policy === name);
      assert.ok(condition, `${name} has a PromQL condition`);
      assert.equal(others.length, 0);
      assert.match(condition.query, pattern);
      const raw = String(condition.condition.query);
      if (threshold)
        assert.match(
          raw,
          new RegExp(`> \\$\\{var\\.${threshold}\\}`),
          `${name} compares with var.${threshold}`,
        );
    }
    assert.equal(
      resource(files, 'google_monitoring_alert_policy', 'dead_letters').count,
      '${local.pull ? 1 : 0}',
    );
  });

  it('tells the configured notification channels about every alert, and says in each what it means and what to do', () => {
    assert.deepEqual(block(variables, 'alert_notification_channels').default, []);
    for (const [name, policy] of policies()) {
      assert.equal(policy.notification_channels, '${var.alert_notification_channels}', name);
      assert.equal(policy.combiner, 'OR', name);
      assert.ok(['CRITICAL', 'ERROR', 'WARNING'].includes(String(policy.severity)), `${name} has a severity`);
      const doc = block(policy, 'documentation');
      assert.equal(doc.mime_type, 'text/markdown', name);
      assert.ok(isString(doc.subject) && doc.subject.length > 10, `${name} has a subject`);
      const content = String(doc.content);
      assert.ok(content.length > 400, `${name}'s documentation explains (${content.length} characters)`);
      assert.match(content, /What to do:\n1\. /, `${name}'s documentation lists steps`);
      assert.ok(content.length < 8192, `${name}'s documentation fits Cloud Monitoring's 8192 characters`);
    }
  });

  it('queries only metrics the apps export or Google’s own, in PromQL the Prometheus grammar accepts, filtered to this deployment', () => {
    const queries: Query[] = [...dashboardQueries(), ...alertQueries()];
    assert.ok(queries.length >= 15, `${queries.length} queries`);
    const used = new Set<string>();
    for (const { where, query } of queries) {
      const { selectors, errors } = readPromql(query);
      assert.deepEqual(errors, [], `${where}: ${query}`);
      assert.ok(selectors.length > 0, `${where} selects something`);
      for (const { metric, labels } of selectors) {
        assert.equal(unknownMetric(metric, exported), undefined, `${where}: ${metric}`);
        used.add(metric.replace(/_(bucket|sum|count)$/, ''));
        // An app metric names its service (namespace); a Pub/Sub metric names its subscription.
        const scope = GOOGLE_METRICS.has(metric) ? 'subscription_id' : 'namespace';
        assert.ok(labels.has(scope), `${where}: ${metric} is filtered by ${scope}`);
      }
    }
    const unused = [...exported.keys()].filter((name) => !used.has(name));
    assert.deepEqual(unused, [], 'every exported metric is charted or alerted on');
  });

  it('skips metric validation on the app-metric conditions only: those metrics exist once the sidecars first write', () => {
    for (const { where, query, condition } of alertQueries()) {
      const appMetrics = readPromql(query).selectors.some(({ metric }) => !GOOGLE_METRICS.has(metric));
      assert.equal(condition.disable_metric_validation === true, appMetrics, where);
    }
  });

  it('documents each exported metric’s Cloud Monitoring name in infra/README.md', () => {
    const readme = readRepoFile('infra', 'README.md');
    for (const [name, kind] of exported) assert.ok(readme.includes(cloudMonitoringType(name, kind)), name);
  });
});
