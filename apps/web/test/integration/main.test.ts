// The built wiring (src/main.ts) as a child process: configuration errors and SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { request } from 'node:http';
import { freePort, startStack } from '@thumbnailer/emulators';
import { largeJpeg, waitFor } from '@thumbnailer/testkit';
import { HEAD_BYTES } from '../../src/slow-clients.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('main', () => {
  test('stops at start with one line naming a malformed variable and a non-zero exit', async () => {
    const { exited, output } = run({ MAX_UPLOAD_BYTES: 'lots' });
    assert.notEqual(await exited, 0);
    const lines = output().stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^MAX_UPLOAD_BYTES/);
  });

  test('serves /healthz, then on SIGTERM stops listening and exits 0', async () => {
    const port = await freePort();
    const { child, exited, output } = run({ PORT: String(port), SESSION_SECRET: 'x'.repeat(32) });
    try {
      await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          return res?.status === 200;
        },
        { timeoutMs: 20_000, message: 'web answers /healthz' },
      );
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const lines = output()
        .stdout.trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(lines.every((line) => typeof line.severity === 'string' && typeof line.message === 'string'));
      assert.ok(lines.some((line) => line.message === 'stopped'));
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('finishes an in-flight upload after SIGTERM, configured only by environment variables', async () => {
    const stack = await startStack();
    const port = await freePort();
    const { child, exited, output } = run({
      ...stack.envFor('web'),
      PORT: String(port),
      LOG_LEVEL: 'debug',
      UPLOAD_BUCKET: stack.provisioning.bucket,
      SESSION_SECRET: 'x'.repeat(32),
    });
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200,
        { timeoutMs: 20_000, message: 'web answers /healthz' },
      );
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
      await waitFor(() => output().stdout.includes('upload started'), { message: 'the upload is in flight' });
      child.kill('SIGTERM');
      await waitFor(() => output().stdout.includes('shutting down'), { message: 'shutdown begins' });
      req.end(Buffer.concat([image.subarray(sent), tail]));
      const { status, body } = await response;
      assert.equal(status, 201, body);
      assert.equal((JSON.parse(body) as { status: string }).status, 'uploaded');
      assert.equal(await exited, 0);
      const [files] = await stack.storage().bucket(stack.provisioning.bucket).getFiles();
      assert.ok(files.some((file) => file.name.endsWith('/late.jpg')));
    } finally {
      child.kill('SIGKILL');
      await stack.stop();
    }
  });
});
