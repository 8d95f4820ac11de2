import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Storage, type Bucket } from '@google-cloud/storage';
import { startEmulators, startFaultProxy, type EmulatorSet } from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import { StorageAdapter, TransientError } from '../../src/index.js';

let emulators: EmulatorSet;
let bucket: Bucket;
let storage: StorageAdapter;
let bucketCount = 0;

async function freshBucket(): Promise<StorageAdapter> {
  const b = emulators.storage().bucket(`core-it-${process.pid}-${++bucketCount}`);
  await b.create();
  return new StorageAdapter(b);
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

    it('deletes an object only at the generation it is told, and says "gone" when there is none', async () => {
      const created = await storage.createOnly('del.txt', 'x');
      assert.ok(created.status === 'created');
      assert.deepEqual(await storage.delete('del.txt', created.object.generation), { status: 'deleted' });
      assert.deepEqual(await storage.delete('del.txt'), { status: 'gone' });
    });

    it('lists every object under a prefix across pages', async () => {
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => storage.createOnly(`list/${n}.txt`, n)));
      await storage.createOnly('other/x.txt', 'x');
      const names: string[] = [];
      for await (const o of storage.list('list/', { pageSize: 2 })) names.push(o.name);
      assert.deepEqual(names.sort(), ['list/a.txt', 'list/b.txt', 'list/c.txt', 'list/d.txt', 'list/e.txt']);
    });

    it('lists a name range (startOffset inclusive, endOffset exclusive) and the folders under a prefix', async () => {
      await Promise.all(
        ['r/a/1', 'r/a/2', 'r/b/1', 'r/c/1', 'r/loose.txt'].map((n) => storage.createOnly(n, n)),
      );
      const names: string[] = [];
      for await (const o of storage.list('r/', { startOffset: 'r/a/2', endOffset: 'r/c/', pageSize: 1 }))
        names.push(o.name);
      assert.deepEqual(names, ['r/a/2', 'r/b/1']);
      assert.deepEqual(await storage.folders('r/'), ['r/a/', 'r/b/', 'r/c/']);
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
});
