// Slow clients cannot starve the uploads: trickling, stalled and departed bodies give their slots back.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture, largeJpeg, waitFor } from '@thumbnailer/testkit';
import { HEAD_BYTES } from '../../src/slow-clients.js';
import { startWeb, upload } from './harness.js';

const BOUNDARY = 'slowclientboundary';

/** A multipart body of one file, as bytes, and the request head that announces it. */
function request(base: string, data: Buffer): { head: Buffer; body: Buffer } {
  const body = Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.jpg"\r\n` +
        'Content-Type: image/jpeg\r\n\r\n',
    ),
    data,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  const { host } = new URL(base);
  const head = Buffer.from(
    `POST /upload HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  return { head, body };
}

interface RawClient {
  socket: Socket;
  /** What the server answered (its status line) once the connection is closed; '' if it only closed. */
  ended: Promise<string>;
}

/** Sends the head and `first` bytes of the body at once, then one byte a second (never finishing). */
function slowClient(base: string, data: Buffer, first: number, trickle: boolean): RawClient {
  const { head, body } = request(base, data);
  const { port, hostname } = new URL(base);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  let sent = first;
  socket.write(Buffer.concat([head, body.subarray(0, first)]));
  const timer = trickle
    ? setInterval(() => {
        if (!socket.destroyed && sent < body.length - 1) socket.write(body.subarray(sent, ++sent));
      }, 1000)
    : undefined;
  const ended = new Promise<string>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(received.split('\r\n')[0] ?? '');
    }),
  );
  return { socket, ended };
}

describe('slow clients', () => {
  let stack: Stack;
  let big: Buffer;

  before(async () => {
    stack = await startStack();
    big = await largeJpeg(800, 600); // more than HEAD_BYTES
    assert.ok(big.length > HEAD_BYTES + 4096);
  });
  after(async () => {
    await stack?.stop();
  });

  test('eight clients trickling their bodies hold connections while a normal upload completes; they get 408 and close', async () => {
    const web = await startWeb({ stack });
    try {
      const slow = Array.from({ length: 8 }, () => slowClient(web.base, big, 200, true));
      await waitFor(() => slow.every((c) => c.socket.bytesWritten > 200), {
        message: 'the slow clients are connected and sending',
      });
      const res = await upload(web.base, { filename: 'normal.jpg', data: await fixture('landscape-jpeg') });
      assert.equal(res.status, 201, 'a normal upload is answered while eight slow clients are connected');
      assert.ok(
        slow.every((c) => !c.socket.destroyed),
        'the slow clients were still connected when it was answered',
      );
      const answers = await waitFor(
        async () => {
          const settled = await Promise.all(
            slow.map((c) => Promise.race([c.ended, Promise.resolve(undefined)])),
          );
          return settled.every((a) => a !== undefined) ? settled : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250, message: 'every slow client is answered and closed' },
      );
      for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.equal(web.slots.inUse, 0);
    } finally {
      await web.close();
    }
  });

  test('bodies that stall once they hold every slot give the slots back, and the upload queued behind them completes', async () => {
    const web = await startWeb({ stack });
    try {
      const stalled = Array.from({ length: web.slots.size }, () =>
        slowClient(web.base, big, HEAD_BYTES + 2048, false),
      );
      await waitFor(() => web.slots.inUse === web.slots.size, {
        timeoutMs: 20_000,
        message: 'the stalled bodies hold every upload slot',
      });
      const res = await upload(web.base, { filename: 'queued.jpg', data: await fixture('landscape-jpeg') });
      assert.equal(res.status, 201, 'the upload behind the stalled ones completes');
      for (const client of stalled) assert.match(await client.ended, /^HTTP\/1\.1 408 /);
      await waitFor(() => web.slots.inUse === 0, { message: 'every slot is back' });
      const refusals = web.logs.filter((line) => line.reason === 'too_slow');
      assert.equal(refusals.length, web.slots.size, 'each stalled upload is logged as too slow');
    } finally {
      await web.close();
    }
  });

  test('clients that hang up while queued for a slot give it back: the slot count returns to zero and uploads go on', async () => {
    const web = await startWeb({ stack, env: { MAX_CONCURRENT_UPLOADS: '1' } });
    try {
      const holder = slowClient(web.base, big, HEAD_BYTES + 2048, false);
      await waitFor(() => web.slots.inUse === 1, { message: 'one stalled body holds the only slot' });
      // Whole small bodies: each qualifies for the queue at once and waits there.
      const small = await fixture('small-png');
      const leavers = Array.from({ length: 4 }, () => slowClient(web.base, small, Infinity, false));
      await waitFor(() => web.slots.waiting === 4, { message: 'four uploads wait for the slot' });
      for (const client of leavers) client.socket.destroy();
      await waitFor(() => web.slots.waiting === 0, { message: 'the leavers left the queue' });
      assert.match(await holder.ended, /^HTTP\/1\.1 408 /);
      await waitFor(() => web.slots.inUse === 0, { message: 'the slot count returns to zero' });
      const res = await upload(web.base, { filename: 'after.png', data: small });
      assert.equal(res.status, 201, 'the next upload gets the slot');
      assert.equal(web.slots.inUse, 0);
    } finally {
      await web.close();
    }
  });
});
