// The built wiring (src/main.ts) as a child process: configuration errors and SIGTERM.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { request } from 'node:http';
import { freePort, startNodeApp, startStack } from '@thumbnailer/emulators';
import { largeJpeg, waitFor } from '@thumbnailer/testkit';
import { HEAD_BYTES } from '../../src/slow-clients.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** src/main.ts under tsx with only `env` (and PATH); ready once spawned, or once `ready.url` answers 200. */
function run(env: Record<string, string>, ready?: { url: string }) {
  return startNodeApp({
    name: 'web',
    entry: MAIN,
    nodeFlags: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '', ...env },
    ready,
    timeoutMs: 20_000,
  });
}

describe('main', () => {
  test('stops at start with one line naming a malformed variable and a non-zero exit', async () => {
    const web = await run({ MAX_UPLOAD_BYTES: 'lots' });
    assert.notEqual((await web.exited).code, 0);
    assert.deepEqual(web.logs, []);
    assert.equal(web.text.length, 1, web.text.join('\n'));
    assert.match(web.text[0] ?? '', /^MAX_UPLOAD_BYTES/);
  });

  test('serves /healthz, then on SIGTERM stops listening and exits 0', async () => {
    const port = await freePort();
    const web = await run(
      { PORT: String(port), SESSION_SECRET: 'x'.repeat(32) },
      { url: `http://127.0.0.1:${port}/healthz` },
    );
    // stop() sends SIGKILL after its grace period: the child never outlives the test.
    assert.equal((await web.stop('SIGTERM')).code, 0);
    assert.deepEqual(web.text, [], 'every line is a JSON log entry');
    assert.ok(
      web.logs.every((line) => typeof line.severity === 'string' && typeof line.message === 'string'),
    );
    assert.ok(web.logs.some((line) => line.message === 'stopped'));
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });

  test('finishes an in-flight upload after SIGTERM, configured only by environment variables', async () => {
    const stack = await startStack();
    const port = await freePort();
    const web = await run(
      {
        ...stack.envFor('web'),
        PORT: String(port),
        LOG_LEVEL: 'debug',
        UPLOAD_BUCKET: stack.provisioning.bucket,
        SESSION_SECRET: 'x'.repeat(32),
      },
      { url: `http://127.0.0.1:${port}/healthz` },
    ).catch(async (error: unknown) => {
      await stack.stop();
      throw error;
    });
    try {
      const image = await largeJpeg(800, 600);
      const boundary = 'sigtermboundary';
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="late.jpg"\r\n` +
          'Content-Type: image/jpeg\r\n\r\n',
      );
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/upload',
        headers: {
          Accept: 'application/json',
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': head.length + image.length + tail.length,
        },
      });
      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });
      req.write(head);
      // Past the head a body must show before it waits for an upload slot (slow-clients.ts).
      const sent = HEAD_BYTES + 1000;
      req.write(image.subarray(0, sent));
      const said = (message: string) => () => web.logs.some((line) => line.message === message);
      await waitFor(said('upload started'), { message: 'the upload is in flight' });
      const stopped = web.stop('SIGTERM');
      await waitFor(said('shutting down'), { message: 'shutdown begins' });
      req.end(Buffer.concat([image.subarray(sent), tail]));
      const { status, body } = await response;
      assert.equal(status, 201, body);
      assert.equal((JSON.parse(body) as { status: string }).status, 'uploaded');
      assert.equal((await stopped).code, 0);
      const [files] = await stack.storage().bucket(stack.provisioning.bucket).getFiles();
      assert.ok(files.some((file) => file.name.endsWith('/late.jpg')));
    } finally {
      await web.stop('SIGKILL');
      await stack.stop();
    }
  });
});
