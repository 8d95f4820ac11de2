// A CloudEvent pushed to the built worker's POST /event (as Eventarc delivers it to Cloud Run), over the
// emulators: the worker runs without PUBSUB_SUBSCRIPTION, so the push is the only delivery of the object.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { fixture } from '@thumbnailer/testkit';
import { CloudEvent, HTTP } from 'cloudevents';
import { explainFailure, startNativeStack, type NativeStack } from '../src/index.js';

interface EventReply {
  status: number;
  body: Record<string, unknown>;
}

/** POST /event with a google.cloud.storage.object.v1.finalized CloudEvent in binary content mode. */
async function pushFinalized(
  workerBase: string,
  object: { bucket: string; name: string; generation: string },
): Promise<EventReply> {
  const event = new CloudEvent({
    type: 'google.cloud.storage.object.v1.finalized',
    source: `//storage.googleapis.com/projects/_/buckets/${object.bucket}`,
    subject: `objects/${object.name}`,
    datacontenttype: 'application/json',
    data: {
      bucket: object.bucket,
      name: object.name,
      generation: object.generation,
      contentType: 'image/jpeg',
    },
  });
  const message = HTTP.binary(event);
  assert.ok(message.headers['ce-type'], 'binary mode: the attributes travel as ce-* headers');
  const response = await fetch(`${workerBase}/event`, {
    method: 'POST',
    headers: message.headers as Record<string, string>,
    body: message.body as string,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// Nothing here runs on Google Cloud: the test's own clients skip the auth library's metadata-server probe.
process.env.METADATA_SERVER_DETECTION ??= 'none';

describe('a storage CloudEvent pushed to the worker over the whole native stack', () => {
  let stack: NativeStack | undefined;
  const output = (): string => stack?.output() ?? '';

  before(async () => {
    stack = await startNativeStack({ worker: 'push', inherit: process.env });
  });

  after(async () => {
    await stack?.stop();
  });

  test('is processed into one thumbnail with thumbnailOf, and the same event pushed again answers duplicate', () =>
    explainFailure(output, async () => {
      assert.ok(stack);
      const bucket: Bucket = stack.emulators.storage().bucket(stack.emulators.provisioning.bucket);
      const name = 'camera-roll/pushed.jpg';
      const file = bucket.file(name);
      await file.save(await fixture('landscape-jpeg'), {
        resumable: false,
        contentType: 'image/jpeg',
        preconditionOpts: { ifGenerationMatch: 0 },
      });
      const [metadata] = await file.getMetadata();
      const object = { bucket: bucket.name, name, generation: String(metadata.generation) };
      const key = `${bucket.name}/${name}@${object.generation}`;

      const first = await pushFinalized(stack.worker.base, object);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.status, 'processed', JSON.stringify(first.body));
      assert.equal(first.body.key, key);
      const uri = String(first.body.thumbnail);
      const prefix = `gs://${bucket.name}/`;
      assert.ok(uri.startsWith(`${prefix}thumbnails/`), `the thumbnail is under thumbnails/: ${uri}`);

      const [thumbnail] = await bucket.file(uri.slice(prefix.length)).getMetadata();
      assert.equal(thumbnail.metadata?.thumbnailOf, `gs://${bucket.name}/${name}`);
      assert.equal(String(thumbnail.metadata?.sourceGeneration), object.generation);
      assert.equal(thumbnail.contentType, 'image/jpeg');

      const again = await pushFinalized(stack.worker.base, object);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.deepEqual({ status: again.body.status, key: again.body.key }, { status: 'duplicate', key });
      // Claim markers live under thumbnails/.claims/; thumbnails are the objects that name their source.
      const [objects] = await bucket.getFiles({ prefix: 'thumbnails/' });
      const sources = await Promise.all(
        objects.map(async (f) => (await f.getMetadata())[0].metadata?.thumbnailOf),
      );
      assert.equal(
        sources.filter((s) => s === `gs://${bucket.name}/${name}`).length,
        1,
        'still exactly one thumbnail',
      );
    }));
});
