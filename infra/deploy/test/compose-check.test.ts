/**
 * docker-compose.yml as Compose itself loads it: compose-go, the Compose Specification's reference loader, with its
 * schema validation and consistency checks on, so a key or value Compose would reject fails here and not at
 * `docker compose up`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, parseDocument } from 'yaml';
import { composeCheck, loadCompose } from './compose.js';
import { isRecord, readRepoFile, record, repoPath } from './repo.js';

const folder = mkdtempSync(join(tmpdir(), 'compose-check-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/** A copy of docker-compose.yml, in a folder of its own, with `value` set (or added) at `path`. */
function copyWith(name: string, path: string[], value: unknown): string {
  const doc = parseDocument(readRepoFile('docker-compose.yml'));
  doc.setIn(path, value);
  mkdirSync(join(folder, name));
  const file = join(folder, name, 'docker-compose.yml');
  writeFileSync(file, doc.toString());
  return file;
}

describe('docker-compose.yml loaded by compose-go', () => {
  it('passes the schema and consistency checks, every profile included', () => {
    const run = composeCheck(repoPath('docker-compose.yml'));
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '', 'no warnings either');
    const project: unknown = parse(run.stdout);
    assert.ok(isRecord(project));
    assert.equal(project.name, 'thumbnailer');
    assert.deepEqual(
      Object.keys(record(project, 'services')).sort(),
      Object.keys(record(loadCompose(), 'services')).sort(),
    );
  });

  it('interpolates with no environment: every ${VAR:-default} takes its default, whatever the caller has set', () => {
    const run = composeCheck(repoPath('docker-compose.yml'), {
      INPUT_FOLDER: 'gs://somewhere-else/',
      PUBSUB_EMULATOR_IMAGE: 'elsewhere:latest',
    });
    assert.equal(run.status, 0, run.stderr);
    const services = record(parse(run.stdout), 'services');
    assert.equal(record(record(services, 'backfill'), 'environment').INPUT_FOLDER, 'gs://local-bucket/');
    assert.equal(record(services, 'pubsub').image, 'google/cloud-sdk:emulators');
  });

  const rejected: [string, string[], unknown, RegExp][] = [
    [
      'an unknown service key',
      ['services', 'web', 'restart_policy'],
      'always',
      /services\.web\.restart_policy/,
    ],
    [
      'a depends_on condition Compose does not know',
      ['services', 'web', 'depends_on', 'provision', 'condition'],
      'service_ready',
      /services\.web\.depends_on\.provision\.condition value must be one of/,
    ],
    [
      'a dependency on a service that does not exist',
      ['services', 'worker', 'depends_on', 'storage', 'condition'],
      'service_healthy',
      /service "worker" depends on undefined service "storage"/,
    ],
    [
      'a port mapping Compose cannot parse',
      ['services', 'web', 'ports'],
      ['8080:http'],
      /Invalid containerPort: http/,
    ],
  ];
  for (const [what, path, value, message] of rejected) {
    it(`rejects ${what}, in one line naming it`, () => {
      const run = composeCheck(copyWith(path.join('.'), path, value));
      assert.equal(run.status, 1, run.stdout);
      assert.match(run.stderr, /^compose-check: [^\n]+\n$/);
      assert.match(run.stderr, message);
    });
  }
});
