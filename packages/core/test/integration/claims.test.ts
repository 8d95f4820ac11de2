import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Storage, type Bucket } from '@google-cloud/storage';
import { startEmulators, startFaultProxy, type EmulatorSet } from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import {
  ClaimStore,
  StorageAdapter,
  TransientError,
  idempotencyKey,
  type ClaimResult,
} from '../../src/index.js';

let emulators: EmulatorSet;
let bucket: Bucket;
let storage: StorageAdapter;
let bucketCount = 0;

async function freshBucket(): Promise<StorageAdapter> {
  const b = emulators.storage().bucket(`core-it-${process.pid}-${++bucketCount}`);
  await b.create();
  return new StorageAdapter(b);
}

/** A settable clock shared by every contender. */
function manualClock(start = Date.parse('2025-12-03T15:00:00Z')) {
  let now = start;
  return { clock: () => new Date(now), advance: (ms: number) => (now += ms) };
}

describe('core against the Cloud Storage emulator', () => {
  before(async () => {
    emulators = await startEmulators();
    storage = await freshBucket();
    bucket = storage.bucket;
  });
  after(async () => {
    await emulators?.stop();
  });

  describe('StorageAdapter', () => {
    it('creates an object once; a second create-only write says "exists" and changes nothing', async () => {
      const first = await storage.createOnly('once.txt', 'first', {
        contentType: 'text/plain',
        metadata: { thumbnailOf: 'gs://b/o' },
      });
      assert.equal(first.status, 'created');
      assert.ok(first.status === 'created' && /^\d+$/.test(first.object.generation));
      const second = await storage.createOnly('once.txt', 'second');
      assert.deepEqual(second, { status: 'exists' });
      const [content] = await bucket.file('once.txt').download();
      assert.equal(content.toString(), 'first');
      const meta = await storage.stat('once.txt');
      assert.equal(meta?.metadata.thumbnailOf, 'gs://b/o');
      assert.equal(meta?.contentType, 'text/plain');
    });

    it('downloads exactly the asked generation and says "gone" for a superseded or deleted one', async () => {
      const bytes = await fixture('small-png');
      const created = await storage.createOnly('pinned.png', bytes, { contentType: 'image/png' });
      assert.equal(created.status, 'created');
      if (created.status !== 'created') return;
      const got = await storage.download('pinned.png', created.object.generation);
      assert.ok(got.status === 'ok' && got.data.equals(bytes));
      await bucket.file('pinned.png').save('newer', { resumable: false });
      assert.deepEqual(await storage.download('pinned.png', created.object.generation), { status: 'gone' });
      assert.deepEqual(await storage.download('never-existed.png', '1'), { status: 'gone' });
    });

    it('reads timeCreated and generation, and says undefined for a missing object', async () => {
      await storage.createOnly('stat.txt', 'x');
      const meta = await storage.stat('stat.txt');
      assert.ok(meta?.timeCreated instanceof Date && !Number.isNaN(meta.timeCreated.getTime()));
      assert.equal(await storage.stat('missing.txt'), undefined);
    });

    it('replaces an object only while its generation matches (compare-and-swap)', async () => {
      const created = await storage.createOnly('cas.txt', 'v1');
      assert.ok(created.status === 'created');
      const v2 = await storage.replace('cas.txt', created.object.generation, 'v2');
      assert.equal(v2.status, 'replaced');
      assert.deepEqual(await storage.replace('cas.txt', created.object.generation, 'v3'), {
        status: 'precondition_failed',
      });
      const [content] = await bucket.file('cas.txt').download();
      assert.equal(content.toString(), 'v2');
    });

    it('merges custom metadata into an object', async () => {
      await storage.createOnly('meta.txt', 'x', { metadata: { a: '1' } });
      const updated = await storage.updateMetadata('meta.txt', { b: '2' }, {});
      assert.ok(updated.status === 'updated');
      assert.deepEqual((await storage.stat('meta.txt'))?.metadata, { a: '1', b: '2' });
      assert.deepEqual(await storage.updateMetadata('missing.txt', { b: '2' }, {}), { status: 'gone' });
    });

    it('deletes an object, and says "gone" when there is none', async () => {
      await storage.createOnly('del.txt', 'x');
      assert.deepEqual(await storage.delete('del.txt'), { status: 'deleted' });
      assert.deepEqual(await storage.delete('del.txt'), { status: 'gone' });
    });

    it('lists every object under a prefix across pages', async () => {
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => storage.createOnly(`list/${n}.txt`, n)));
      await storage.createOnly('other/x.txt', 'x');
      const names: string[] = [];
      for await (const o of storage.list('list/', 2)) names.push(o.name);
      assert.deepEqual(names.sort(), ['list/a.txt', 'list/b.txt', 'list/c.txt', 'list/d.txt', 'list/e.txt']);
    });

    it('turns an outage (503 answers, reset connections) into TransientError(storage_unavailable)', async () => {
      const proxy = await startFaultProxy(emulators.storageHost);
      try {
        const viaProxy = new Storage({
          projectId: emulators.projectId,
          apiEndpoint: proxy.url,
          retryOptions: { autoRetry: false },
        });
        const adapter = new StorageAdapter(viaProxy.bucket(bucket.name));
        await adapter.createOnly('outage.txt', 'x');
        assert.equal((await adapter.stat('outage.txt'))?.name, 'outage.txt', 'passes through while healthy');
        for (const mode of ['error503', 'refuse'] as const) {
          proxy.setMode(mode);
          await assert.rejects(
            adapter.stat('outage.txt'),
            (err: unknown) => err instanceof TransientError && err.code === 'storage_unavailable',
            mode,
          );
          await assert.rejects(
            adapter.createOnly('outage-2.txt', 'x'),
            (err: unknown) => err instanceof TransientError && err.code === 'storage_unavailable',
            mode,
          );
        }
        proxy.setMode('pass');
        assert.deepEqual(await adapter.createOnly('outage.txt', 'again'), { status: 'exists' }, 'recovers');
      } finally {
        await proxy.close();
      }
    });
  });

  describe('ClaimStore', () => {
    it(`lets exactly one of 8 concurrent claims of one key win`, async () => {
      const key = idempotencyKey('b', 'photo.jpg', '1001');
      const stores = Array.from(
        { length: 8 },
        (_, i) => new ClaimStore(storage, { prefix: 'thumbnails/', owner: `w${i}` }),
      );
      const results = await Promise.all(stores.map((s) => s.claim(key)));
      assert.equal(results.filter((r) => r.status === 'claimed').length, 1, JSON.stringify(results));
      assert.equal(results.filter((r) => r.status === 'held').length, 7);
    });

    it('puts the marker under the prefix, named by the hash of the key', async () => {
      const store = new ClaimStore(storage, { prefix: 'thumbnails/' });
      const key = idempotencyKey('b', 'marker.jpg', '7');
      const result = await store.claim(key);
      assert.equal(result.status, 'claimed');
      assert.match(store.markerName(key), /^thumbnails\/\.claims\/[0-9a-f]{64}$/);
      const marker = await storage.stat(store.markerName(key));
      assert.equal(marker?.metadata.claimKey, key);
      assert.equal(marker?.metadata.claimState, 'claimed');
    });

    it('answers "done" to every later claim once the winner completes', async () => {
      const key = idempotencyKey('b', 'done.jpg', '1002');
      const a = new ClaimStore(storage, { prefix: 'thumbnails/' });
      const b = new ClaimStore(storage, { prefix: 'thumbnails/' });
      const won = await a.claim(key);
      assert.equal(won.status, 'claimed');
      if (won.status !== 'claimed') return;
      assert.deepEqual(await a.complete(won.claim), { status: 'completed' });
      assert.deepEqual(await b.claim(key), { status: 'done' });
      assert.deepEqual(await a.claim(key), { status: 'done' });
    });

    it('lets exactly one of several contenders take over a crashed claim once its lease expired', async () => {
      const key = idempotencyKey('b', 'crash.jpg', '1003');
      const time = manualClock();
      const crashed = new ClaimStore(storage, { prefix: 'thumbnails/', leaseMs: 60_000, clock: time.clock });
      const first = await crashed.claim(key);
      assert.equal(first.status, 'claimed');
      const contenders = Array.from(
        { length: 6 },
        (_, i) =>
          new ClaimStore(storage, {
            prefix: 'thumbnails/',
            leaseMs: 60_000,
            clock: time.clock,
            owner: `c${i}`,
          }),
      );
      const early = await Promise.all(contenders.map((c) => c.claim(key)));
      assert.ok(
        early.every((r) => r.status === 'held'),
        'a live lease is respected',
      );

      time.advance(60_001);
      const results: ClaimResult[] = await Promise.all(contenders.map((c) => c.claim(key)));
      const winners = results.filter((r) => r.status === 'claimed');
      assert.equal(winners.length, 1, JSON.stringify(results));
      assert.ok(results.filter((r) => r.status !== 'claimed').every((r) => r.status === 'held'));

      // The crashed worker comes back: its claim is lost, and the taker's completion sticks.
      assert.ok(first.status === 'claimed');
      assert.deepEqual(await crashed.complete(first.claim), { status: 'lost' });
      const winner = winners[0]!;
      assert.ok(winner.status === 'claimed');
      assert.deepEqual(await contenders[0]!.complete(winner.claim), { status: 'completed' });
      assert.deepEqual(await crashed.claim(key), { status: 'done' });
    });

    it('lets a released claim be claimed again at once', async () => {
      const key = idempotencyKey('b', 'release.jpg', '1004');
      const a = new ClaimStore(storage, { prefix: 'thumbnails/' });
      const b = new ClaimStore(storage, { prefix: 'thumbnails/' });
      const first = await a.claim(key);
      assert.equal(first.status, 'claimed');
      assert.equal((await b.claim(key)).status, 'held');
      if (first.status !== 'claimed') return;
      await a.release(first.claim);
      assert.equal((await b.claim(key)).status, 'claimed');
    });

    it('renews a lease so it is not taken over, and reports a lost claim as undefined', async () => {
      const key = idempotencyKey('b', 'renew.jpg', '1005');
      const time = manualClock();
      const a = new ClaimStore(storage, { prefix: 'thumbnails/', leaseMs: 1000, clock: time.clock });
      const b = new ClaimStore(storage, { prefix: 'thumbnails/', leaseMs: 1000, clock: time.clock });
      const first = await a.claim(key);
      assert.ok(first.status === 'claimed');
      time.advance(900);
      const renewed = await a.renew(first.claim);
      assert.ok(renewed);
      time.advance(900);
      assert.equal((await b.claim(key)).status, 'held');
      assert.equal(await a.renew(first.claim), undefined, 'the pre-renewal claim is stale');
      assert.deepEqual(await a.complete(renewed), { status: 'completed' });
    });
  });
});
