import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localDefaults } from '@thumbnailer/emulators';
import { command, environment, flagValue, loadCompose, service, withDefaults } from './compose.js';
import { type Json, isRecord, readRepoFile } from './repo.js';

const compose = loadCompose();

function dependsOn(svc: Json): Record<string, string> {
  const deps = svc.depends_on;
  const out: Record<string, string> = {};
  if (isRecord(deps)) {
    for (const [name, spec] of Object.entries(deps)) out[name] = isRecord(spec) ? String(spec.condition) : '';
  }
  return out;
}

function ports(svc: Json): string[] {
  return Array.isArray(svc.ports) ? svc.ports.map(String) : [];
}

describe('docker-compose.yml', () => {
  it('runs the Pub/Sub emulator from Google’s cloud-sdk emulators image on 8085 for local-project', () => {
    const pubsub = service(compose, 'pubsub');
    assert.match(withDefaults(String(pubsub.image)), /cloud-sdk:.*emulators$/);
    const args = command(pubsub);
    assert.deepEqual(args.slice(0, 5), ['gcloud', 'beta', 'emulators', 'pubsub', 'start']);
    assert.equal(flagValue(args, '--host-port'), '0.0.0.0:8085');
    assert.equal(flagValue(args, '--project'), 'local-project');
    assert.deepEqual(ports(pubsub), ['8085:8085']);
  });

  it('runs fake-gcs-server at the version infra/emulators builds natively, in memory, over HTTP, publishing to the Pub/Sub emulator', () => {
    const fake = service(compose, 'fake-gcs');
    const pinned = /FAKE_GCS_VERSION=v?(\d+\.\d+\.\d+)/.exec(
      readRepoFile('infra/emulators/scripts/build-emulators.sh'),
    );
    assert.ok(pinned?.[1], 'infra/emulators/scripts/build-emulators.sh pins FAKE_GCS_VERSION');
    assert.equal(fake.image, `fsouza/fake-gcs-server:${pinned[1]}`);
    const args = command(fake);
    assert.equal(flagValue(args, '-backend'), 'memory');
    assert.equal(flagValue(args, '-scheme'), 'http');
    assert.equal(flagValue(args, '-port'), '4443');
    assert.equal(flagValue(args, '-external-url'), 'http://fake-gcs:4443');
    assert.equal(environment(fake).PUBSUB_EMULATOR_HOST, 'pubsub:8085');
    assert.deepEqual(ports(fake), ['4443:4443']);
  });

  it('points every app at the emulators by service name, at the address fake-gcs-server advertises', () => {
    const external = flagValue(command(service(compose, 'fake-gcs')), '-external-url');
    for (const name of ['provision', 'web', 'worker', 'backfill', 'replay-dead-letters']) {
      const env = environment(service(compose, name));
      assert.equal(env.STORAGE_EMULATOR_HOST, external, `${name} STORAGE_EMULATOR_HOST`);
    }
    for (const name of ['provision', 'worker', 'backfill', 'replay-dead-letters']) {
      assert.equal(
        environment(service(compose, name)).PUBSUB_EMULATOR_HOST,
        'pubsub:8085',
        `${name} PUBSUB_EMULATOR_HOST`,
      );
    }
  });

  it('uses the contract’s local defaults: local-project, local-bucket, subscription thumbnailer, web on 8080, worker on 8081', () => {
    const web = service(compose, 'web');
    const worker = service(compose, 'worker');
    assert.equal(environment(web).PORT, '8080');
    assert.deepEqual(ports(web), ['8080:8080']);
    assert.equal(environment(worker).PORT, '8081');
    assert.deepEqual(ports(worker), ['8081:8081']);
    assert.equal(environment(web).UPLOAD_BUCKET, 'local-bucket');
    assert.equal(environment(worker).GOOGLE_CLOUD_PROJECT, 'local-project');
    assert.equal(environment(worker).PUBSUB_SUBSCRIPTION, 'thumbnailer');
    const provision = environment(service(compose, 'provision'));
    assert.equal(provision.GOOGLE_CLOUD_PROJECT, 'local-project');
    assert.equal(provision.UPLOAD_BUCKET, 'local-bucket');
    assert.equal(provision.PUBSUB_TOPIC, 'gcs-notifications');
    assert.equal(provision.PUBSUB_SUBSCRIPTION, 'thumbnailer');
  });

  it('provisions the events topic and the dead-letter subscription that the worker, the backfill and the replay use', () => {
    const provision = environment(service(compose, 'provision'));
    assert.equal(provision.EVENTS_TOPIC, localDefaults.eventsTopic);
    assert.equal(provision.DEAD_LETTER_SUBSCRIPTION, localDefaults.deadLetterSubscription);
    for (const name of ['worker', 'backfill', 'replay-dead-letters'])
      assert.equal(
        environment(service(compose, name)).EVENTS_TOPIC,
        provision.EVENTS_TOPIC,
        `${name} EVENTS_TOPIC`,
      );
    const replay = environment(service(compose, 'replay-dead-letters'));
    assert.equal(replay.DEAD_LETTER_SUBSCRIPTION, provision.DEAD_LETTER_SUBSCRIPTION);
    // The inline provisioning script starts from the defaults, so the dead-letter topic and policy come along.
    assert.ok(command(service(compose, 'provision')).join('\n').includes('...localDefaults,'));
  });

  it('starts in order: healthy emulators, then provisioning to completion, then the apps', () => {
    assert.deepEqual(dependsOn(service(compose, 'fake-gcs')), { pubsub: 'service_healthy' });
    assert.deepEqual(dependsOn(service(compose, 'provision')), {
      pubsub: 'service_healthy',
      'fake-gcs': 'service_healthy',
    });
    for (const name of ['web', 'worker', 'backfill', 'replay-dead-letters']) {
      assert.deepEqual(
        dependsOn(service(compose, name)),
        { provision: 'service_completed_successfully' },
        name,
      );
    }
    for (const name of ['pubsub', 'fake-gcs', 'web', 'worker']) {
      assert.ok(isRecord(service(compose, name).healthcheck), `${name} has a healthcheck`);
    }
  });

  it('checks the apps’ health on their own /healthz port', () => {
    for (const name of ['web', 'worker']) {
      const svc = service(compose, name);
      const test =
        isRecord(svc.healthcheck) && Array.isArray(svc.healthcheck.test) ? svc.healthcheck.test : [];
      assert.ok(
        test.join(' ').includes(`http://127.0.0.1:${environment(svc).PORT}/healthz`),
        `${name} healthcheck hits its PORT`,
      );
    }
  });

  it('builds the apps from their Dockerfiles, and the backfill and replay jobs from the worker image', () => {
    const build = (name: string): Json => {
      const b = service(compose, name).build;
      assert.ok(isRecord(b), `${name} is built`);
      return b;
    };
    assert.deepEqual(build('web'), { context: '.', dockerfile: 'apps/web/Dockerfile' });
    assert.deepEqual(build('worker'), { context: '.', dockerfile: 'apps/worker/Dockerfile' });
    assert.deepEqual(build('backfill'), build('worker'));
    assert.equal(service(compose, 'backfill').image, service(compose, 'worker').image);
    assert.deepEqual(command(service(compose, 'backfill')), ['node', 'apps/worker/dist/backfill-main.js']);
    const replay = service(compose, 'replay-dead-letters');
    assert.deepEqual(build('replay-dead-letters'), build('worker'));
    assert.equal(replay.image, service(compose, 'worker').image);
    // An entrypoint, so that `docker compose run --rm replay-dead-letters --apply` passes the flag to it.
    assert.deepEqual(replay.entrypoint, ['node', 'apps/worker/dist/replay-main.js']);
    assert.equal(replay.command, undefined);
    assert.deepEqual(replay.profiles, ['job']);
  });
});
