import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { localDefaults, subscriptionFilter } from '@thumbnailer/emulators';
import { loadConfigOf } from './app-config.js';
import { type Json, block, blocks, isRecord, isString, repoPath } from './repo.js';
import {
  type TerraformFile,
  cloudRunContainers,
  envNames,
  merged,
  parseTerraform,
  referencesIn,
  resource,
  resourcesOfType,
  strings,
} from './terraform.js';

describe('infra/terraform', () => {
  let files: TerraformFile[] = [];
  let locals: Json = {};

  /** A value, with a bare `${local.x}` replaced by the local's literal value. */
  const literal = (value: unknown): unknown => {
    const m = isString(value) ? /^\$\{local\.(\w+)\}$/.exec(value) : null;
    return m?.[1] !== undefined ? locals[m[1]] : value;
  };

  before(async () => {
    files = await parseTerraform();
    locals = merged(files, 'locals');
  });

  it('parses every .tf file with the HCL parser', () => {
    assert.ok(files.length >= 5, `expected the Terraform split into several files, got ${files.length}`);
    for (const file of files) assert.ok(Object.keys(file.body).length > 0, `${file.name} has blocks`);
  });

  it('uses only declared variables, and uses every variable it declares', async () => {
    const declared = new Set(Object.keys(merged(files, 'variable')));
    const used = new Set<string>();
    for (const { body } of files) {
      // A variable's own validation block refers to it without using it.
      const { variable: _declarations, ...rest } = body;
      for (const ref of await referencesIn(rest)) {
        const m = /^var\.([A-Za-z_][\w-]*)/.exec(ref);
        if (m?.[1] !== undefined) used.add(m[1]);
      }
    }
    assert.deepEqual([...used].filter((v) => !declared.has(v)).sort(), [], 'used but not declared');
    assert.deepEqual([...declared].filter((v) => !used.has(v)).sort(), [], 'declared but never used');
  });

  it('refers only to locals, resources and data sources it defines', async () => {
    const resources = merged(files, 'resource');
    const data = merged(files, 'data');
    const defined = (kinds: Json, type: string, name: string | undefined): boolean => {
      const byName = kinds[type];
      return name !== undefined && isRecord(byName) && name.replace(/\[.*$/, '') in byName;
    };
    const missing: string[] = [];
    for (const { body } of files) {
      // A moved block names an address that no longer exists, by design.
      const { moved: _renames, ...rest } = body;
      for (const ref of await referencesIn(rest)) {
        const [head = '', second, third] = ref.split('.');
        const ok =
          head === 'local'
            ? second !== undefined && second in locals
            : head === 'data'
              ? defined(data, second ?? '', third)
              : /^(google|random)_/.test(head)
                ? defined(resources, head, second)
                : true; // var.*, each.*, count.*, the dynamic block's iterator
        if (!ok) missing.push(ref);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('declares project, region, bucket, both images, delivery mode (pull or push) and web access', () => {
    const variables = merged(files, 'variable');
    for (const name of [
      'project',
      'region',
      'bucket_name',
      'web_image',
      'worker_image',
      'delivery_mode',
      'web_public',
    ]) {
      assert.ok(name in variables, `variable "${name}"`);
    }
    const mode = (variables.delivery_mode as Json[])[0];
    assert.equal(mode?.default, 'pull');
    const condition = block(mode, 'validation').condition;
    assert.ok(isString(condition) && condition.includes('"pull"') && condition.includes('"push"'));
  });

  it('keeps the bucket private: uniform access and public access prevention enforced', () => {
    const bucket = resource(files, 'google_storage_bucket', 'uploads');
    assert.equal(bucket.uniform_bucket_level_access, true);
    assert.equal(bucket.public_access_prevention, 'enforced');
    assert.equal(bucket.name, '${var.bucket_name}');
  });

  it('deletes what earlier releases left under <thumbnail_prefix>.claims/ with a lifecycle rule', () => {
    const rules = blocks(resource(files, 'google_storage_bucket', 'uploads'), 'lifecycle_rule');
    const claims = rules.find((rule) =>
      strings(blocks(rule, 'condition')[0]?.matches_prefix).includes('${var.thumbnail_prefix}.claims/'),
    );
    assert.ok(claims, 'a lifecycle rule matches the claim-marker folder');
    assert.equal(blocks(claims, 'action')[0]?.type, 'Delete');
  });

  it('gives web and worker the same rendition set (RENDITIONS when set, THUMBNAIL_SIZE for the default)', () => {
    for (const name of ['web', 'worker']) {
      const [container] = cloudRunContainers(resource(files, 'google_cloud_run_v2_service', name));
      const size = blocks(container, 'env').find((e) => e.name === 'THUMBNAIL_SIZE');
      assert.equal(size?.value, '${tostring(var.thumbnail_size)}', `${name} THUMBNAIL_SIZE`);
      assert.ok(envNames(container ?? {}).includes('RENDITIONS'), `${name} RENDITIONS`);
    }
    assert.equal(locals.renditions, '${var.renditions == "" ? [] : [var.renditions]}');
  });

  it('deletes the backfill job’s plans and checkpoints under <thumbnail_prefix>.backfill/ after 7 days', () => {
    const rules = blocks(resource(files, 'google_storage_bucket', 'uploads'), 'lifecycle_rule');
    const checkpoints = rules.find((rule) =>
      strings(blocks(rule, 'condition')[0]?.matches_prefix).includes('${var.thumbnail_prefix}.backfill/'),
    );
    assert.ok(checkpoints, 'a lifecycle rule matches the checkpoints folder');
    assert.equal(blocks(checkpoints, 'condition')[0]?.age, 7);
    assert.equal(blocks(checkpoints, 'action')[0]?.type, 'Delete');
  });

  it('gives the backfill job DRY_RUN, MAX_RATE and PRUNE from variables that default to a plain, unlimited run', () => {
    const env = cloudRunContainers(resource(files, 'google_cloud_run_v2_job', 'backfill')).flatMap((c) =>
      blocks(c, 'env'),
    );
    const value = (name: string) => env.find((e) => e.name === name)?.value;
    assert.equal(value('DRY_RUN'), '${tostring(var.backfill_dry_run)}');
    assert.equal(value('PRUNE'), '${tostring(var.backfill_prune)}');
    assert.equal(value('MAX_RATE'), '${var.backfill_max_rate > 0 ? tostring(var.backfill_max_rate) : ""}');
    const variables = merged(files, 'variable');
    const defaults = ['backfill_dry_run', 'backfill_prune', 'backfill_max_rate'].map(
      (name) => (variables[name] as Json[] | undefined)?.[0]?.default,
    );
    assert.deepEqual(defaults, [false, false, 0]);
  });

  it('tells the worker service and the backfill job which bucket they serve (BUCKETS)', () => {
    for (const [type, name] of [
      ['google_cloud_run_v2_service', 'worker'],
      ['google_cloud_run_v2_job', 'backfill'],
    ] as const) {
      const env = cloudRunContainers(resource(files, type, name)).flatMap((c) => blocks(c, 'env'));
      const buckets = env.find((e) => e.name === 'BUCKETS');
      assert.equal(buckets?.value, '${google_storage_bucket.uploads.name}', `${type}.${name} sets BUCKETS`);
    }
  });

  it('notifies the topic of OBJECT_FINALIZE and OBJECT_DELETE with JSON_API_V1 payloads, published by the Cloud Storage service agent', () => {
    const notification = resource(files, 'google_storage_notification', 'objects');
    assert.deepEqual(notification.event_types, ['OBJECT_FINALIZE', 'OBJECT_DELETE']);
    assert.equal(notification.payload_format, 'JSON_API_V1');
    assert.equal(notification.topic, '${google_pubsub_topic.notifications[0].id}');

    const grant = resource(files, 'google_pubsub_topic_iam_member', 'gcs_publishes_notifications');
    assert.equal(grant.role, 'roles/pubsub.publisher');
    assert.equal(grant.member, '${local.gcs_service_agent}');
    assert.match(
      String(locals.gcs_service_agent),
      /data\.google_storage_project_service_account\.gcs\.email_address/,
    );
    assert.deepEqual(notification.depends_on, [
      '${google_pubsub_topic_iam_member.gcs_publishes_notifications}',
    ]);
  });

  it('filters notifications of the thumbnail folder out of the pull subscription, as local provisioning does', () => {
    const sub = resource(files, 'google_pubsub_subscription', 'thumbnailer');
    const prefix = String(block(merged(files, 'variable'), 'thumbnail_prefix').default);
    // format(…, %q) quotes like JSON: evaluate it for the default prefix.
    const m = /^\$\{format\("(.*)", var\.thumbnail_prefix\)\}$/.exec(String(sub.filter));
    assert.ok(m?.[1], `filter is format("…%q…", var.thumbnail_prefix): ${String(sub.filter)}`);
    assert.equal(m[1].replace('%q', JSON.stringify(prefix)), subscriptionFilter(prefix));
  });

  it('gives the pull subscription a dead-letter topic, bounded attempts, exponential backoff and a 60 s ack deadline', () => {
    const sub = resource(files, 'google_pubsub_subscription', 'thumbnailer');
    const ack = Number(literal(sub.ack_deadline_seconds));
    // Pub/Sub allows 10–600 s; one image is bounded at 20 s, so the deadline must exceed that.
    assert.ok(ack > 20 && ack <= 600, `ack deadline ${ack}`);
    const dead = block(sub, 'dead_letter_policy');
    assert.equal(dead.dead_letter_topic, '${google_pubsub_topic.dead_letter[0].id}');
    const attempts = Number(literal(dead.max_delivery_attempts));
    assert.ok(attempts >= 5 && attempts <= 100, `max delivery attempts ${attempts} (Pub/Sub allows 5–100)`);
    const retry = block(sub, 'retry_policy');
    assert.ok(isString(retry.minimum_backoff) && isString(retry.maximum_backoff));
    assert.ok(parseInt(retry.minimum_backoff) < parseInt(retry.maximum_backoff));
    assert.ok(parseInt(retry.maximum_backoff) <= 600);
    // The Pub/Sub service agent forwards to the dead-letter topic.
    assert.equal(
      resource(files, 'google_pubsub_topic_iam_member', 'pubsub_agent_dead_letters').role,
      'roles/pubsub.publisher',
    );
    assert.equal(
      resource(files, 'google_pubsub_subscription_iam_member', 'pubsub_agent_forwards').role,
      'roles/pubsub.subscriber',
    );
  });

  it('names topics and subscriptions as local provisioning does, with the same number of delivery attempts', () => {
    const name = String(locals.name);
    const named = (type: string, resourceName: string): string =>
      String(resource(files, type, resourceName).name).replace('${local.name}', name);
    assert.equal(named('google_pubsub_topic', 'notifications'), localDefaults.topic);
    assert.equal(named('google_pubsub_subscription', 'thumbnailer'), localDefaults.subscription);
    assert.equal(named('google_pubsub_topic', 'dead_letter'), localDefaults.deadLetterTopic);
    assert.equal(named('google_pubsub_subscription', 'dead_letter'), localDefaults.deadLetterSubscription);
    assert.equal(named('google_pubsub_topic', 'events'), localDefaults.eventsTopic);
    assert.equal(Number(locals.max_delivery_attempts), localDefaults.maxDeliveryAttempts);
  });

  it('publishes the events to one topic in both modes, which only the worker’s account may publish to', () => {
    const events = resource(files, 'google_pubsub_topic', 'events');
    assert.equal(events.count, undefined, 'in pull and push mode alike');
    for (const [type, name] of [
      ['google_cloud_run_v2_service', 'worker'],
      ['google_cloud_run_v2_job', 'backfill'],
      ['google_cloud_run_v2_job', 'replay_dead_letters'],
    ] as const) {
      const env = cloudRunContainers(resource(files, type, name)).flatMap((c) => blocks(c, 'env'));
      assert.equal(
        env.find((e) => e.name === 'EVENTS_TOPIC')?.value,
        '${google_pubsub_topic.events.id}',
        `${type}.${name} sets EVENTS_TOPIC`,
      );
    }
    const worker = '${google_service_account.worker.member}';
    const topicGrants = [...resourcesOfType(files, 'google_pubsub_topic_iam_member').values()].filter(
      (g) => g.member === worker,
    );
    assert.deepEqual(
      topicGrants.map((g) => `${String(g.role)} ${String(g.topic)}`),
      ['roles/pubsub.publisher ${google_pubsub_topic.events.name}'],
    );
  });

  it('sends deleted objects to POST /event through a second Eventarc trigger in push mode, beside the finalized one', () => {
    const finalized = resource(files, 'google_eventarc_trigger', 'finalized');
    const deleted = resource(files, 'google_eventarc_trigger', 'deleted');
    assert.equal(deleted.count, '${local.push ? 1 : 0}');
    const criteria = new Map(blocks(deleted, 'matching_criteria').map((c) => [c.attribute, c.value]));
    assert.equal(criteria.get('type'), 'google.cloud.storage.object.v1.deleted');
    assert.equal(criteria.get('bucket'), '${google_storage_bucket.uploads.name}');
    assert.deepEqual(deleted.destination, finalized.destination, 'the same destination: the worker’s /event');
    assert.equal(block(block(deleted, 'destination'), 'cloud_run_service').path, '/event');
    assert.equal(deleted.service_account, finalized.service_account);
    assert.deepEqual(deleted.depends_on, finalized.depends_on);
  });

  it('runs the dead-letter replay as a pull-mode job of the worker image with its own entry point, reading only the dead-letter subscription', async () => {
    const job = resource(files, 'google_cloud_run_v2_job', 'replay_dead_letters');
    assert.equal(job.count, '${local.pull ? 1 : 0}');
    assert.equal(
      String(job.name).replace('${local.name}', String(locals.name)),
      'thumbnailer-replay-dead-letters',
    );
    assert.equal(
      block(block(job, 'template'), 'template').service_account,
      '${google_service_account.worker.email}',
    );
    const [container] = cloudRunContainers(job);
    assert.equal(container?.image, '${var.worker_image}');
    // The entry point is the command, so `--args=--apply` replaces the flags only.
    assert.deepEqual(container?.command, ['node', 'apps/worker/dist/replay-main.js']);
    assert.equal(container?.args, undefined);
    assert.ok(
      existsSync(repoPath('apps', 'worker', 'src', 'replay-main.ts')),
      'apps/worker/src/replay-main.ts exists',
    );
    const env = new Map(blocks(container ?? {}, 'env').map((e) => [e.name, e.value]));
    assert.equal(env.get('DEAD_LETTER_SUBSCRIPTION'), '${google_pubsub_subscription.dead_letter[0].id}');
    const loadReplayConfig = await loadConfigOf('replay');
    const defaults = loadReplayConfig({ UPLOAD_BUCKET: 'local-bucket' }) as {
      deadLetterSubscription: string;
    };
    assert.equal(
      defaults.deadLetterSubscription,
      localDefaults.deadLetterSubscription,
      'the default is the same name',
    );

    // It renders what the worker renders: every variable of the worker service, with the same value.
    const [worker] = cloudRunContainers(resource(files, 'google_cloud_run_v2_service', 'worker'));
    const workerEnv = new Map(blocks(worker ?? {}, 'env').map((e) => [e.name, e.value]));
    for (const name of envNames(worker ?? {}).filter((n) => n !== 'PUBSUB_SUBSCRIPTION'))
      assert.deepEqual(env.get(name), workerEnv.get(name), `the replay job's ${name}`);

    const workerMember = '${google_service_account.worker.member}';
    const subscriptions = [...resourcesOfType(files, 'google_pubsub_subscription_iam_member').values()]
      .filter((g) => g.member === workerMember)
      .map((g) => `${String(g.role)} ${String(g.subscription)}`)
      .sort();
    assert.deepEqual(subscriptions, [
      'roles/pubsub.subscriber ${google_pubsub_subscription.dead_letter[0].name}',
      'roles/pubsub.subscriber ${google_pubsub_subscription.thumbnailer[0].name}',
    ]);
  });

  it('runs the pull-mode worker with CPU always allocated and one instance minimum, and lets push mode scale to zero', () => {
    const worker = resource(files, 'google_cloud_run_v2_service', 'worker');
    const template = block(worker, 'template');
    assert.equal(block(template, 'scaling').min_instance_count, '${local.pull ? 1 : 0}');
    const [container] = cloudRunContainers(worker);
    assert.equal(block(container, 'resources').cpu_idle, '${local.push}');
    assert.equal(locals.pull, '${var.delivery_mode == "pull"}');
    assert.equal(locals.push, '${var.delivery_mode == "push"}');
  });

  it('sends finalized objects to POST /event through an Eventarc trigger with its own account in push mode, and nobody else may invoke the worker', () => {
    const trigger = resource(files, 'google_eventarc_trigger', 'finalized');
    assert.equal(trigger.count, '${local.push ? 1 : 0}');
    const criteria = new Map(blocks(trigger, 'matching_criteria').map((c) => [c.attribute, c.value]));
    assert.equal(criteria.get('type'), 'google.cloud.storage.object.v1.finalized');
    assert.equal(criteria.get('bucket'), '${google_storage_bucket.uploads.name}');
    const target = block(block(trigger, 'destination'), 'cloud_run_service');
    assert.equal(target.service, '${google_cloud_run_v2_service.worker.name}');
    assert.equal(target.path, '/event');
    assert.equal(trigger.service_account, '${google_service_account.eventarc[0].email}');

    const worker = resource(files, 'google_cloud_run_v2_service', 'worker');
    assert.equal(worker.ingress, 'INGRESS_TRAFFIC_INTERNAL_ONLY');
    const invokers = [...resourcesOfType(files, 'google_cloud_run_v2_service_iam_member').values()].filter(
      (m) => m.name === '${google_cloud_run_v2_service.worker.name}',
    );
    assert.deepEqual(
      invokers.map((m) => m.member),
      ['${google_service_account.eventarc[0].member}'],
    );
  });

  it('grants bucket- and subscription-level roles only, except the two project roles Eventarc requires and the metric writer of each app', () => {
    const projectGrants = [...resourcesOfType(files, 'google_project_iam_member').values()];
    assert.deepEqual(
      projectGrants
        .map((g) => `${String(g.role)} ${String(g.member)} ${isString(g.count) ? g.count : 'always'}`)
        .sort(),
      [
        'roles/eventarc.eventReceiver ${google_service_account.eventarc[0].member} ${local.push ? 1 : 0}',
        // The Prometheus sidecars write time series; the role exists at project level only.
        'roles/monitoring.metricWriter ${google_service_account.web.member} always',
        'roles/monitoring.metricWriter ${google_service_account.worker.member} always',
        'roles/pubsub.publisher ${local.gcs_service_agent} ${local.push ? 1 : 0}',
      ],
    );
    for (const broad of ['google_project_iam_binding', 'google_project_iam_policy']) {
      assert.equal(resourcesOfType(files, broad).size, 0, `no ${broad}`);
    }

    const bucketRoles = (name: string): unknown =>
      resource(files, 'google_storage_bucket_iam_member', name).for_each;
    assert.equal(
      bucketRoles('web'),
      '${toset(["roles/storage.objectCreator", "roles/storage.objectViewer"])}',
    );
    assert.equal(
      bucketRoles('worker'),
      '${toset(["roles/storage.objectViewer", "roles/storage.objectCreator"])}',
    );
    assert.equal(
      resource(files, 'google_storage_bucket_iam_member', 'web').member,
      '${google_service_account.web.member}',
    );
    assert.equal(
      resource(files, 'google_storage_bucket_iam_member', 'worker').member,
      '${google_service_account.worker.member}',
    );
    // The worker may delete, but only under the thumbnail prefix: a custom role holding delete alone, conditioned.
    const deleter = resource(files, 'google_project_iam_custom_role', 'rendition_deleter');
    assert.deepEqual(deleter.permissions, ['storage.objects.delete']);
    const deletes = resource(files, 'google_storage_bucket_iam_member', 'worker_deletes_renditions');
    assert.equal(deletes.role, '${google_project_iam_custom_role.rendition_deleter.name}');
    assert.equal(deletes.member, '${google_service_account.worker.member}');
    assert.equal(
      block(deletes, 'condition').expression,
      'resource.name.startsWith("projects/_/buckets/${google_storage_bucket.uploads.name}/objects/${var.thumbnail_prefix}")',
    );
    const subscriber = resource(files, 'google_pubsub_subscription_iam_member', 'worker');
    assert.equal(subscriber.role, 'roles/pubsub.subscriber');
    assert.equal(subscriber.subscription, '${google_pubsub_subscription.thumbnailer[0].name}');
  });

  it('runs each app under its own service account, from its own image', () => {
    const web = resource(files, 'google_cloud_run_v2_service', 'web');
    const worker = resource(files, 'google_cloud_run_v2_service', 'worker');
    const job = resource(files, 'google_cloud_run_v2_job', 'backfill');
    assert.equal(block(web, 'template').service_account, '${google_service_account.web.email}');
    assert.equal(block(worker, 'template').service_account, '${google_service_account.worker.email}');
    assert.equal(
      block(block(job, 'template'), 'template').service_account,
      '${google_service_account.worker.email}',
    );
    assert.equal(cloudRunContainers(web)[0]?.image, '${var.web_image}');
    assert.equal(cloudRunContainers(worker)[0]?.image, '${var.worker_image}');
    assert.equal(cloudRunContainers(job)[0]?.image, '${var.worker_image}');
    const publicWeb = resource(files, 'google_cloud_run_v2_service_iam_member', 'web_public');
    assert.equal(publicWeb.count, '${var.web_public ? 1 : 0}');
    assert.equal(publicWeb.member, 'allUsers');
  });

  it('runs the backfill job as the worker image’s backfill entry point, sharded over several tasks', () => {
    const job = resource(files, 'google_cloud_run_v2_job', 'backfill');
    const [container] = cloudRunContainers(job);
    const entry = ['node', ...(container?.args as string[])].join(' ');
    assert.deepEqual(container?.command, ['node']);
    assert.equal(entry, 'node apps/worker/dist/backfill-main.js');
    assert.ok(
      existsSync(repoPath('apps', 'worker', 'src', 'backfill-main.ts')),
      'apps/worker/src/backfill-main.ts exists',
    );
    assert.equal(block(job, 'template').task_count, '${var.backfill_task_count}');
  });

  it('outputs the URLs, the bucket, the topics, the subscriptions and the replay job', () => {
    const outputs = merged(files, 'output');
    for (const name of [
      'web_url',
      'worker_url',
      'bucket',
      'topic',
      'subscription',
      'dead_letter_subscription',
      'events_topic',
      'replay_dead_letters_job',
    ])
      assert.ok(name in outputs, name);
  });
});
