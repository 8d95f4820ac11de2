/**
 * One source of truth for configuration: every variable docker-compose.yml or Terraform sets on an app is one the
 * app's own loadConfig reads (or a client library's emulator switch, locally only), so the three cannot drift.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  type ConfigName,
  CLOUD_RUN_VARIABLES,
  LIBRARY_VARIABLES,
  loadConfigOf,
  variablesOf,
} from './app-config.js';
import { environment, loadCompose, service } from './compose.js';
import { type TerraformFile, cloudRunContainers, envNames, parseTerraform, resource } from './terraform.js';

/** Which configuration each compose service and Cloud Run resource loads (`replay`: the worker's replay job). */
const COMPOSE_SERVICES: [string, ConfigName][] = [
  ['web', 'web'],
  ['worker', 'worker'],
  ['backfill', 'backfill'],
  ['replay-dead-letters', 'replay'],
];
const CLOUD_RUN_RESOURCES: [string, string, ConfigName][] = [
  ['google_cloud_run_v2_service', 'web', 'web'],
  ['google_cloud_run_v2_service', 'worker', 'worker'],
  ['google_cloud_run_v2_job', 'backfill', 'backfill'],
  ['google_cloud_run_v2_job', 'replay_dead_letters', 'replay'],
];

/** Where each configuration is read, and who reads it. */
const source = (config: ConfigName): string =>
  config === 'replay'
    ? 'apps/worker/src/config.ts (loadReplayConfig)'
    : config === 'backfill'
      ? 'apps/worker/src/config.ts (loadBackfillConfig)'
      : `apps/${config}/src/config.ts`;
const reader = (config: ConfigName): string =>
  config === 'replay'
    ? "worker's replay job"
    : config === 'backfill'
      ? "worker's backfill job"
      : `${config} app`;

describe('environment variables across docker-compose.yml, Terraform and the apps', () => {
  let terraform: TerraformFile[] = [];
  before(async () => {
    terraform = await parseTerraform();
  });

  for (const app of ['web', 'worker'] as const) {
    it(`finds what the ${app} app reads by running its loadConfig`, async () => {
      const read = await variablesOf(app);
      for (const name of ['PORT', 'THUMBNAIL_PREFIX']) assert.ok(read.has(name), `${app} reads ${name}`);
    });
  }

  it("finds what the worker's replay job reads by running its loadReplayConfig: the worker's variables and its own", async () => {
    const read = await variablesOf('replay');
    for (const name of [...(await variablesOf('worker')), 'DEAD_LETTER_SUBSCRIPTION'])
      assert.ok(read.has(name), `the replay job reads ${name}`);
  });

  it('finds what the backfill job reads by running its loadBackfillConfig', async () => {
    const read = await variablesOf('backfill');
    for (const name of ['INPUT_FOLDER', 'DRY_RUN', 'MAX_RATE', 'PRUNE', 'CLOUD_RUN_EXECUTION', 'RENDITIONS'])
      assert.ok(read.has(name), `the backfill reads ${name}`);
    assert.ok(!read.has('PORT'), 'the job listens on nothing');
  });

  for (const [name, app] of COMPOSE_SERVICES) {
    it(`sets only variables the ${reader(app)} reads on compose service "${name}"`, async () => {
      const env = environment(service(loadCompose(), name));
      const read = await variablesOf(app, env);
      const unread = Object.keys(env).filter((v) => !read.has(v) && !LIBRARY_VARIABLES.has(v));
      assert.deepEqual(unread, [], `set in docker-compose.yml but never read by ${source(app)}`);
    });

    it(`gives compose service "${name}" an environment the ${reader(app)}'s loader accepts`, async () => {
      const env = environment(service(loadCompose(), name));
      const loadConfig = await loadConfigOf(app);
      assert.doesNotThrow(() => loadConfig(env));
    });
  }

  for (const [type, name, app] of CLOUD_RUN_RESOURCES) {
    it(`sets only variables the ${reader(app)} reads on ${type}.${name}, none that Cloud Run sets or that switch to an emulator`, async () => {
      const names = cloudRunContainers(resource(terraform, type, name)).flatMap(envNames);
      assert.ok(names.length > 0, 'sets some variables');
      const read = await variablesOf(app);
      assert.deepEqual(
        names.filter((v) => !read.has(v)),
        [],
        `set in Terraform but never read by ${source(app)}`,
      );
      assert.deepEqual(
        names.filter(
          (v) => CLOUD_RUN_VARIABLES.has(v) || LIBRARY_VARIABLES.has(v) || v.startsWith('CLOUD_RUN_TASK_'),
        ),
        [],
      );
    });
  }

  it('configures the same variables locally and on Cloud Run, apart from ports and emulator switches', () => {
    const local = (svc: string): string[] =>
      Object.keys(environment(service(loadCompose(), svc)))
        .filter((v) => v !== 'PORT' && !LIBRARY_VARIABLES.has(v))
        .sort();
    const cloud = (type: string, name: string): string[] =>
      cloudRunContainers(resource(terraform, type, name))
        .flatMap(envNames)
        .sort();
    const onlyLocal = (svc: string, type: string, name: string): string[] =>
      local(svc).filter((v) => !cloud(type, name).includes(v));
    assert.deepEqual(onlyLocal('web', 'google_cloud_run_v2_service', 'web'), []);
    assert.deepEqual(onlyLocal('worker', 'google_cloud_run_v2_service', 'worker'), []);
    assert.deepEqual(onlyLocal('backfill', 'google_cloud_run_v2_job', 'backfill'), []);
    assert.deepEqual(onlyLocal('replay-dead-letters', 'google_cloud_run_v2_job', 'replay_dead_letters'), []);
  });
});
