import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@thumbnailer/testkit';
import { startNodeApp, type StartNodeAppOptions } from './node-app.js';
import { freePort } from './ports.js';

/** The child: one small script whose first argument picks what it does. */
const CHILD = `
import { createServer } from 'node:http';
const log = (message, fields = {}) => console.log(JSON.stringify({ severity: 'INFO', message, ...fields }));
const stayUp = () => setInterval(() => undefined, 1000);
switch (process.argv[2]) {
  case 'announce':
    console.error('a plain warning');
    console.log('[1,2]');
    console.log('');
    console.log('{not json');
    log('ready', { port: 1 });
    stayUp();
    break;
  case 'serve': {
    let asked = 0;
    createServer((req, res) => {
      asked += 1;
      res.writeHead(req.url === '/healthz' && asked > 2 ? 200 : 503).end();
    }).listen(Number(process.env.PORT), '127.0.0.1', () => log('listening'));
    break;
  }
  case 'fail':
    console.error('cannot start: FOO is not set');
    process.exit(3);
    break;
  case 'stubborn':
    process.on('SIGTERM', () => log('ignoring SIGTERM'));
    log('ready');
    stayUp();
    break;
  case 'env':
    log('env', { A: process.env.A ?? null, B: process.env.B ?? null, C: process.env.C ?? null });
    break;
  case 'silent':
    console.log('starting, slowly');
    stayUp();
    break;
}
`;

describe('startNodeApp', () => {
  let dir: string;
  let entry: string;
  const started: { stop(signal?: NodeJS.Signals): Promise<unknown> }[] = [];
  const start = async (mode: string, options: Partial<StartNodeAppOptions> = {}) => {
    const app = await startNodeApp({ entry, args: [mode], env: {}, ...options });
    started.push(app);
    return app;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'node-app-'));
    entry = join(dir, 'child.mjs');
    await writeFile(entry, CHILD);
  });
  after(async () => {
    await Promise.all(started.map((app) => app.stop('SIGKILL')));
    await rm(dir, { recursive: true, force: true });
  });

  it('is ready on its log message, with JSON log lines parsed and other lines kept apart as text', async () => {
    const app = await start('announce', { ready: { message: 'ready' } });
    assert.deepEqual(app.logs, [{ severity: 'INFO', message: 'ready', port: 1 }]);
    await waitFor(() => app.text.length === 3, { message: 'the three text lines' });
    assert.deepEqual([...app.text].sort(), ['[1,2]', 'a plain warning', '{not json']);
    assert.ok(app.running());
  });

  it('matches the ready message against a pattern', async () => {
    const app = await start('announce', { ready: { message: /^rea/ } });
    assert.equal(app.logs[0]?.message, 'ready');
  });

  it('is ready once its URL answers 200, not on an earlier 503', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/healthz`;
    await start('serve', { env: { PORT: String(port) }, ready: { url } });
    assert.equal((await fetch(url)).status, 200);
  });

  it('rejects with the exit code and the output when the app exits before it is ready', async () => {
    await assert.rejects(start('fail', { ready: { message: 'ready' } }), (error: Error) => {
      assert.match(error.message, /exited \(code 3\) before it was ready/);
      assert.match(error.message, /cannot start: FOO is not set/);
      return true;
    });
  });

  it('rejects with the output when it is not ready in time, and stops the app', async () => {
    const port = await freePort();
    await assert.rejects(
      start('silent', { ready: { url: `http://127.0.0.1:${port}/healthz` }, timeoutMs: 500 }),
      (error: Error) => {
        assert.match(error.message, /was not ready \(GET \S+ → 200\) after 500 ms/);
        assert.match(error.message, /starting, slowly/);
        return true;
      },
    );
  });

  it('reports when exited with the code and the time, once its last lines are in', async () => {
    const app = await start('fail');
    const exit = await app.exited;
    assert.equal(exit.code, 3);
    assert.equal(exit.signal, null);
    assert.ok(exit.at > 0);
    assert.deepEqual(app.text, ['cannot start: FOO is not set']);
    assert.equal(app.running(), false);
  });

  it('stops with SIGTERM and answers every later stop() with the same result', async () => {
    const app = await start('announce', { ready: { message: 'ready' } });
    const first = app.stop();
    assert.equal(app.stop('SIGTERM'), first);
    const stopped = await first;
    assert.equal(stopped.code, null);
    assert.equal((await app.exited).signal, 'SIGTERM');
    assert.deepEqual(await app.stop(), stopped);
    assert.equal(app.running(), false);
  });

  it('sends SIGKILL after the grace period to an app that ignores SIGTERM', async () => {
    const app = await start('stubborn', { ready: { message: 'ready' } });
    assert.equal((await app.stop('SIGTERM', 300)).code, null);
    assert.equal((await app.exited).signal, 'SIGKILL');
  });

  it('sends a later SIGKILL at once while a SIGTERM waits out its grace period', async () => {
    const app = await start('stubborn', { ready: { message: 'ready' } });
    const gentle = app.stop('SIGTERM', 600_000);
    await waitFor(() => app.logs.some((line) => line.message === 'ignoring SIGTERM'), {
      message: 'the app ignored SIGTERM',
    });
    await app.stop('SIGKILL');
    assert.equal((await gentle).code, null);
    assert.equal((await app.exited).signal, 'SIGKILL');
  });

  it('answers stop() on an app that has exited by itself with its exit code', async () => {
    const app = await start('fail');
    await app.exited;
    assert.deepEqual(await app.stop(), { code: 3, ms: 0 });
  });

  it('gives the app only its env, on top of the inherited variables that are not left out', async () => {
    const app = await start('env', {
      env: { C: 'own' },
      inherit: { from: { A: 'kept', B: 'dropped', C: 'inherited' }, without: ['B'] },
    });
    await app.exited;
    assert.deepEqual(app.logs[0], { severity: 'INFO', message: 'env', A: 'kept', B: null, C: 'own' });
  });

  it('passes every line to onLine as it comes', async () => {
    const lines: string[] = [];
    const app = await start('fail', { onLine: (line) => lines.push(`[x] ${line}`) });
    await app.exited;
    assert.deepEqual(lines, ['[x] cannot start: FOO is not set']);
  });

  it('passes node flags to node, before the entry', async () => {
    const preload = join(dir, 'preload.mjs');
    await writeFile(preload, "process.env.A = 'preloaded';\n");
    const app = await start('env', { nodeFlags: ['--import', pathToFileURL(preload).href] });
    await app.exited;
    assert.equal(app.logs[0]?.A, 'preloaded');
  });

  it('refuses an entry that does not exist, naming it', async () => {
    await assert.rejects(
      startNodeApp({ entry: join(dir, 'missing.js'), env: {} }),
      /missing\.js is missing: run `npx turbo run build`/,
    );
  });
});
