/**
 * apps/web/Dockerfile and apps/worker/Dockerfile: their shape, and their recipe replayed natively (turbo prune,
 * npm ci, build, npm ci --omit=dev, start the pruned app, GET /healthz) — proof the image would build and serve.
 * This is the slow file of the workspace (four npm ci runs).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmulators } from '@thumbnailer/emulators';
import { waitFor } from '@thumbnailer/testkit';
import { MINIMAL_ENV } from './app-config.js';
import { command, environment, loadCompose, service } from './compose.js';
import { type ParsedDockerfile, type Stage, hostPath, parseDockerfile, replay } from './dockerfile.js';
import { internalRuntimeClosure, isRecord, readRepoFile, repoPath, repoRoot } from './repo.js';

const APPS = ['web', 'worker'] as const;
type App = (typeof APPS)[number];

function dockerfileOf(app: App): ParsedDockerfile {
  return parseDockerfile(readRepoFile('apps', app, 'Dockerfile'));
}

function stage(df: ParsedDockerfile, name: string): Stage {
  const found = df.stages.find((s) => s.name === name);
  assert.ok(found, `stage ${name}`);
  return found;
}

function runs(s: Stage): string[] {
  return s.steps.filter((st) => st.keyword === 'RUN').map((st) => st.args.join(' '));
}

function packageName(folder: string): string {
  const manifest: unknown = JSON.parse(readRepoFile(folder, 'package.json'));
  assert.ok(isRecord(manifest) && typeof manifest.name === 'string');
  return manifest.name;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

for (const app of APPS) {
  describe(`apps/${app}/Dockerfile`, () => {
    const df = dockerfileOf(app);
    const closure = internalRuntimeClosure(`apps/${app}`);

    it('has three stages on a current Node LTS slim image: prune, build, runtime', () => {
      assert.deepEqual(
        df.stages.map((s) => s.name),
        ['prune', 'build', 'runtime'],
      );
      for (const s of df.stages) assert.equal(s.image, '${NODE_IMAGE}');
      assert.match(df.args.NODE_IMAGE ?? '', /^node:(22|24)-slim$/);
    });

    it('prunes the monorepo to this app with the turbo version the repository uses', () => {
      const turbo: unknown = JSON.parse(
        readFileSync(repoPath('node_modules', 'turbo', 'package.json'), 'utf8'),
      );
      assert.ok(isRecord(turbo));
      assert.deepEqual(runs(stage(df, 'prune')), [
        `npx --yes turbo@${String(turbo.version)} prune @thumbnailer/${app} --docker --out-dir out`,
      ]);
    });

    it('builds exactly the workspaces the app needs at run time, and copies each one’s dist into the runtime stage', () => {
      const build = runs(stage(df, 'build'));
      const filters = closure.map((folder) => `--filter=${packageName(folder)}`).sort();
      const turboRun = build.find((r) => r.startsWith('npx turbo run build '));
      assert.ok(turboRun, 'a turbo build step');
      assert.deepEqual(
        turboRun
          .split(' ')
          .filter((a) => a.startsWith('--filter='))
          .sort(),
        filters,
      );
      const copied = stage(df, 'runtime')
        .steps.filter((s) => s.keyword === 'COPY' && s.flags.from === 'build')
        .map((s) => s.args.join(' '));
      for (const folder of closure)
        assert.ok(copied.includes(`/app/${folder}/dist ${folder}/dist`), `copies ${folder}/dist`);
    });

    it('installs production dependencies only in the runtime stage, and runs as node with an exec-form CMD', () => {
      const runtime = stage(df, 'runtime');
      assert.deepEqual(runs(runtime), ['npm ci --omit=dev --no-audit --no-fund']);
      const user = runtime.steps.filter((s) => s.keyword === 'USER').map((s) => s.args[0]);
      assert.deepEqual(user, ['node']);
      const cmd = runtime.steps.filter((s) => s.keyword === 'CMD');
      assert.equal(cmd.length, 1);
      assert.deepEqual(cmd[0]?.json, ['node', `apps/${app}/dist/main.js`]);
    });

    it('keeps every RUN relative to the working directory', () => {
      for (const s of df.stages) for (const r of runs(s)) assert.doesNotMatch(r, /(^|\s)\/app\b/, r);
    });
  });
}

describe('the Dockerfiles’ recipe, replayed natively', () => {
  // Not on Google Cloud: the auth library need not probe for a metadata server (it warns when it finds none).
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const outDir = mkdtempSync(path.join(tmpdir(), 'thumbnailer-image-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(outDir, { recursive: true, force: true });
  });

  for (const app of APPS) {
    it(
      `builds the ${app} image’s filesystem and serves GET /healthz from the pruned, production-only install`,
      { timeout: 20 * 60_000 },
      async () => {
        const log: string[] = [];
        const states = await replay(dockerfileOf(app), {
          context: repoRoot,
          outDir: path.join(outDir, app),
          log: (line) => log.push(line),
        }).catch((err: unknown) => {
          throw new Error(`replaying apps/${app}/Dockerfile failed:\n${log.slice(-40).join('\n')}`, {
            cause: err,
          });
        });
        const runtime = states.get('runtime');
        assert.ok(runtime?.cmd, 'the runtime stage has a CMD');

        // What only dev tooling needs is not there: TypeScript, turbo, the test kit.
        const modules = hostPath(runtime, 'node_modules');
        for (const dev of ['typescript', 'turbo', 'tsx']) {
          assert.throws(
            () => readFileSync(path.join(modules, dev, 'package.json')),
            `${dev} is not installed`,
          );
        }

        if (app === 'worker') {
          // The backfill and replay jobs run the same image with other entry points.
          for (const entry of ['backfill-main.js', 'replay-main.js'])
            assert.ok(existsSync(hostPath(runtime, `apps/worker/dist/${entry}`)), `the image has ${entry}`);
        }

        const port = await freePort();
        const [bin = 'node', ...argv] = runtime.cmd;
        const child: ChildProcess = spawn(bin === 'node' ? process.execPath : bin, argv, {
          cwd: hostPath(runtime, '.'),
          env: {
            PATH: process.env.PATH ?? '',
            HOME: tmpdir(),
            ...runtime.env,
            ...MINIMAL_ENV[app],
            PORT: String(port),
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(child);
        let output = '';
        child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
        child.stderr?.on('data', (c: Buffer) => (output += c.toString()));

        const base = `http://127.0.0.1:${port}`;
        await waitFor(
          async () => {
            if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output}`);
            return (await fetch(`${base}/healthz`)).status === 200;
          },
          { timeoutMs: 30_000, intervalMs: 100, message: `${app} to answer GET /healthz with 200` },
        ).catch((err: unknown) => {
          throw new Error(`${String(err)}\n${output}`);
        });

        if (app === 'web') {
          // Without UPLOAD_BUCKET the page still renders (503, no form), and its own assets are in the image.
          const page = await fetch(`${base}/`);
          assert.equal(page.status, 503);
          const html = await page.text();
          assert.match(html, /UPLOAD_BUCKET/);
          const assets = [...html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1] ?? '');
          for (const asset of assets) assert.equal((await fetch(`${base}${asset}`)).status, 200, asset);
        }

        child.kill('SIGTERM');
        const code = await exited(child);
        assert.notEqual(code, null, 'exits on SIGTERM');
      },
    );
  }
  it(
    'builds docker-compose’s provisioning image and provisions the emulators with it, twice, ending with one notification',
    { timeout: 10 * 60_000 },
    async () => {
      const provision = service(loadCompose(), 'provision');
      const build = provision.build;
      assert.ok(
        isRecord(build) && typeof build.dockerfile_inline === 'string',
        'built from an inline Dockerfile',
      );
      const log: string[] = [];
      const states = await replay(parseDockerfile(build.dockerfile_inline), {
        context: repoRoot,
        outDir: path.join(outDir, 'provision'),
        log: (line) => log.push(line),
      }).catch((err: unknown) => {
        throw new Error(`replaying the provisioning image failed:\n${log.slice(-40).join('\n')}`, {
          cause: err,
        });
      });
      const image = [...states.values()].at(-1);
      assert.ok(image);
      assert.equal(image.user, 'node');

      const emulators = await startEmulators();
      try {
        const env: Record<string, string> = {
          ...environment(provision),
          STORAGE_EMULATOR_HOST: emulators.storageHost,
          PUBSUB_EMULATOR_HOST: emulators.pubsubHost,
        };
        const [bin = 'node', ...argv] = command(provision);
        for (let round = 1; round <= 2; round += 1) {
          const child: ChildProcess = spawn(bin === 'node' ? process.execPath : bin, argv, {
            cwd: hostPath(image, '.'),
            env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...image.env, ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          children.push(child);
          let output = '';
          child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
          child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
          assert.equal(await exited(child), 0, `provisioning round ${round}: ${output}`);
        }

        const [exists] = await emulators
          .storage()
          .bucket(env.UPLOAD_BUCKET ?? '')
          .exists();
        assert.ok(exists, 'the bucket exists');
        const [subscription] = await emulators
          .pubsub()
          .subscription(env.PUBSUB_SUBSCRIPTION ?? '')
          .getMetadata();
        assert.equal(
          subscription.topic,
          `projects/${env.GOOGLE_CLOUD_PROJECT ?? ''}/topics/${env.PUBSUB_TOPIC ?? ''}`,
        );
        const configs = (await (
          await fetch(`${emulators.storageHost}/storage/v1/b/${env.UPLOAD_BUCKET}/notificationConfigs`)
        ).json()) as { items?: { topic?: string; payload_format?: string }[] };
        assert.deepEqual(
          (configs.items ?? []).map((c) => [c.topic, c.payload_format]),
          [[subscription.topic, 'JSON_API_V1']],
        );
      } finally {
        await emulators.stop();
      }
    },
  );
});
