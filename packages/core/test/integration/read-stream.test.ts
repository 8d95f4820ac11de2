// StorageAdapter.openReadStream against the Cloud Storage emulator: generation-pinned bytes, mapped errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { Storage } from '@google-cloud/storage';
import { startEmulators, startFaultProxy, type EmulatorSet } from '@thumbnailer/emulators';
import { StorageAdapter, TransientError } from '../../src/index.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('StorageAdapter.openReadStream against the emulator', () => {
  let emulators: EmulatorSet;
  let storage: StorageAdapter;

  before(async () => {
    emulators = await startEmulators();
    const bucket = emulators.storage().bucket(`core-stream-${process.pid}`);
    await bucket.create();
    storage = new StorageAdapter(bucket);
  });
  after(async () => {
    await emulators?.stop();
  });

  it('streams the bytes of exactly the asked generation, also after the object was replaced', async () => {
    const first = await storage.createOnly('pinned.txt', 'first version');
    assert.ok(first.status === 'created');
    // A plain overwrite by an unrestricted client: a new generation.
    const file = storage.bucket.file('pinned.txt');
    await file.save('second version', { resumable: false });
    const second = { object: { generation: String(file.metadata.generation) } };
    assert.equal(
      (await collect(storage.openReadStream('pinned.txt', second.object.generation))).toString(),
      'second version',
    );
    await assert.rejects(
      collect(storage.openReadStream('pinned.txt', first.object.generation)),
      (err: unknown) => !(err instanceof TransientError),
      'a superseded generation is an error of its own, not a transient one',
    );
  });

  it('emits TransientError(storage_unavailable) while storage answers 503', async () => {
    const proxy = await startFaultProxy(emulators.storageHost);
    try {
      const adapter = new StorageAdapter(
        new Storage({
          projectId: emulators.projectId,
          apiEndpoint: proxy.url,
          retryOptions: { autoRetry: false },
        }).bucket(storage.bucketName),
      );
      const created = await storage.createOnly('outage-stream.txt', 'x');
      assert.ok(created.status === 'created');
      proxy.setMode('error503');
      await assert.rejects(
        collect(adapter.openReadStream('outage-stream.txt', created.object.generation)),
        (err: unknown) => err instanceof TransientError && err.code === 'storage_unavailable',
      );
    } finally {
      await proxy.close();
    }
  });
});
