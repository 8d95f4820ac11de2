import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError, defaultRenditions, parseRenditions } from '@thumbnailer/core';
import { loadBackfillConfig, loadConfig, loadReplayConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the documented defaults when only the bucket is set', () => {
    const config = loadConfig({ UPLOAD_BUCKET: 'local-bucket' });
    assert.deepEqual(config, {
      port: 8080,
      projectId: undefined,
      subscription: undefined,
      thumbnailPrefix: 'thumbnails/',
      renditions: defaultRenditions(100),
      eventsTopic: undefined,
      maxConcurrency: 2 * os.availableParallelism(),
      logLevel: 'info',
      buckets: new Set(['local-bucket']),
      storageTimeoutMs: 30_000,
      uploadBucket: 'local-bucket',
    });
  });

  const accepted: { env: Record<string, string>; expect: Record<string, unknown> }[] = [
    { env: { PORT: '8081' }, expect: { port: 8081 } },
    { env: { GOOGLE_CLOUD_PROJECT: 'local-project' }, expect: { projectId: 'local-project' } },
    { env: { PUBSUB_SUBSCRIPTION: 'thumbnailer' }, expect: { subscription: 'thumbnailer' } },
    {
      env: { PUBSUB_SUBSCRIPTION: 'projects/p/subscriptions/thumbnailer' },
      expect: { subscription: 'projects/p/subscriptions/thumbnailer' },
    },
    { env: { PUBSUB_SUBSCRIPTION: '  ' }, expect: { subscription: undefined } },
    { env: { THUMBNAIL_PREFIX: 'thumbs/small/' }, expect: { thumbnailPrefix: 'thumbs/small/' } },
    { env: { THUMBNAIL_SIZE: '256' }, expect: { renditions: defaultRenditions(256) } },
    {
      env: { RENDITIONS: 'thumb:100x100,card:400x300:cover:webp' },
      expect: { renditions: parseRenditions('thumb:100x100,card:400x300:cover:webp') },
    },
    { env: { EVENTS_TOPIC: 'thumbnailer-events' }, expect: { eventsTopic: 'thumbnailer-events' } },
    { env: { MAX_CONCURRENCY: '3' }, expect: { maxConcurrency: 3 } },
    { env: { BUCKETS: ' a-bucket , b-bucket ' }, expect: { buckets: new Set(['a-bucket', 'b-bucket']) } },
    {
      env: { BUCKETS: 'a-bucket', UPLOAD_BUCKET: 'local-bucket' },
      expect: { buckets: new Set(['a-bucket']) },
    },
    { env: { STORAGE_TIMEOUT_SECONDS: '5' }, expect: { storageTimeoutMs: 5000 } },
  ];
  for (const { env, expect } of accepted) {
    it(`reads ${JSON.stringify(env)}`, () => {
      const config = loadConfig({ UPLOAD_BUCKET: 'local-bucket', ...env }) as unknown as Record<
        string,
        unknown
      >;
      for (const [key, value] of Object.entries(expect)) assert.deepEqual(config[key], value, key);
    });
  }

  const refused: { env: Record<string, string>; names: string }[] = [
    { env: { PORT: 'eighty' }, names: 'PORT' },
    { env: { PORT: '70000' }, names: 'PORT' },
    { env: { THUMBNAIL_SIZE: '0' }, names: 'THUMBNAIL_SIZE' },
    { env: { THUMBNAIL_SIZE: '1.5' }, names: 'THUMBNAIL_SIZE' },
    { env: { MAX_CONCURRENCY: '-1' }, names: 'MAX_CONCURRENCY' },
    { env: { THUMBNAIL_PREFIX: 'thumbnails' }, names: 'THUMBNAIL_PREFIX' },
    { env: { THUMBNAIL_PREFIX: '../thumbs/' }, names: 'THUMBNAIL_PREFIX' },
    { env: { PUBSUB_SUBSCRIPTION: 'projects/p/topics/t' }, names: 'PUBSUB_SUBSCRIPTION' },
    { env: { LOG_LEVEL: 'loud' }, names: 'LOG_LEVEL' },
    { env: { UPLOAD_BUCKET: 'Not_A_Bucket!' }, names: 'UPLOAD_BUCKET' },
    { env: { UPLOAD_BUCKET: '' }, names: 'BUCKETS' },
    { env: { BUCKETS: 'a-bucket,,b-bucket' }, names: 'BUCKETS' },
    { env: { BUCKETS: 'a-bucket,Bad!' }, names: 'BUCKETS' },
    { env: { STORAGE_TIMEOUT_SECONDS: '0' }, names: 'STORAGE_TIMEOUT_SECONDS' },
    { env: { RENDITIONS: 'thumb:100x100,thumb:200x200' }, names: 'RENDITIONS' },
    { env: { EVENTS_TOPIC: 'projects/p/subscriptions/s' }, names: 'EVENTS_TOPIC' },
  ];
  for (const { env, names } of refused) {
    it(`refuses ${JSON.stringify(env)} with an error naming ${names}`, () => {
      assert.throws(
        () => loadConfig({ UPLOAD_BUCKET: 'local-bucket', ...env }),
        (err: unknown) =>
          err instanceof ConfigError && err.variable === names && err.message.startsWith(names),
      );
    });
  }
});

describe('loadBackfillConfig', () => {
  it('uses the documented defaults when only the input folder is set', () => {
    const config = loadBackfillConfig({ INPUT_FOLDER: 'gs://local-bucket/' });
    assert.deepEqual(config, {
      projectId: undefined,
      thumbnailPrefix: 'thumbnails/',
      renditions: defaultRenditions(100),
      eventsTopic: undefined,
      maxConcurrency: 2 * os.availableParallelism(),
      logLevel: 'info',
      buckets: new Set(['local-bucket']),
      storageTimeoutMs: 30_000,
      uploadBucket: undefined,
      input: { bucket: 'local-bucket', prefix: '' },
      taskIndex: 0,
      taskCount: 1,
      execution: 'local',
      dryRun: false,
      maxRate: undefined,
      prune: false,
    });
  });

  const accepted: { env: Record<string, string>; expect: Record<string, unknown> }[] = [
    {
      env: { INPUT_FOLDER: 'gs://other-bucket/2025/', UPLOAD_BUCKET: '' },
      expect: { input: { bucket: 'other-bucket', prefix: '2025/' }, buckets: new Set(['other-bucket']) },
    },
    {
      env: { INPUT_FOLDER: 'gs://other-bucket', BUCKETS: 'a-bucket,other-bucket' },
      expect: { input: { bucket: 'other-bucket', prefix: '' } },
    },
    {
      env: { INPUT_FOLDER: '20251203T15Z', UPLOAD_BUCKET: 'local-bucket' },
      expect: { input: { bucket: 'local-bucket', prefix: '20251203T15Z/' }, uploadBucket: 'local-bucket' },
    },
    { env: { CLOUD_RUN_TASK_INDEX: '2', CLOUD_RUN_TASK_COUNT: '3' }, expect: { taskIndex: 2, taskCount: 3 } },
    {
      env: { CLOUD_RUN_EXECUTION: 'thumbnailer-backfill-x7k2p' },
      expect: { execution: 'thumbnailer-backfill-x7k2p' },
    },
    { env: { DRY_RUN: 'true', PRUNE: 'TRUE' }, expect: { dryRun: true, prune: true } },
    { env: { DRY_RUN: '0', PRUNE: 'no' }, expect: { dryRun: false, prune: false } },
    { env: { MAX_RATE: '25' }, expect: { maxRate: 25 } },
    { env: { MAX_RATE: '0.5' }, expect: { maxRate: 0.5 } },
    { env: { MAX_RATE: ' ' }, expect: { maxRate: undefined } },
    {
      env: { RENDITIONS: 'card:400x300:cover:webp' },
      expect: { renditions: parseRenditions('card:400x300:cover:webp') },
    },
  ];
  for (const { env, expect } of accepted) {
    it(`reads ${JSON.stringify(env)}`, () => {
      const config = loadBackfillConfig({
        UPLOAD_BUCKET: 'local-bucket',
        INPUT_FOLDER: 'old/',
        ...env,
      }) as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(expect)) assert.deepEqual(config[key], value, key);
    });
  }

  const refused: { env: Record<string, string>; names: string }[] = [
    { env: { INPUT_FOLDER: '' }, names: 'INPUT_FOLDER' },
    { env: { INPUT_FOLDER: 'photos/', UPLOAD_BUCKET: '' }, names: 'INPUT_FOLDER' },
    { env: { INPUT_FOLDER: 'gs://b!/x' }, names: 'INPUT_FOLDER' },
    { env: { INPUT_FOLDER: 'a/../b/' }, names: 'INPUT_FOLDER' },
    { env: { BUCKETS: 'a-bucket', INPUT_FOLDER: 'gs://other-bucket/x/' }, names: 'INPUT_FOLDER' },
    { env: { CLOUD_RUN_TASK_INDEX: '3', CLOUD_RUN_TASK_COUNT: '3' }, names: 'CLOUD_RUN_TASK_INDEX' },
    { env: { CLOUD_RUN_TASK_COUNT: '0' }, names: 'CLOUD_RUN_TASK_COUNT' },
    { env: { CLOUD_RUN_EXECUTION: 'a/b' }, names: 'CLOUD_RUN_EXECUTION' },
    { env: { DRY_RUN: 'maybe' }, names: 'DRY_RUN' },
    { env: { PRUNE: 'on' }, names: 'PRUNE' },
    { env: { MAX_RATE: '0' }, names: 'MAX_RATE' },
    { env: { MAX_RATE: '-5' }, names: 'MAX_RATE' },
    { env: { MAX_RATE: 'fast' }, names: 'MAX_RATE' },
    { env: { MAX_RATE: '1e3' }, names: 'MAX_RATE' },
    { env: { THUMBNAIL_SIZE: '0' }, names: 'THUMBNAIL_SIZE' },
  ];
  for (const { env, names } of refused) {
    it(`refuses ${JSON.stringify(env)} with an error naming ${names}`, () => {
      assert.throws(
        () => loadBackfillConfig({ UPLOAD_BUCKET: 'local-bucket', INPUT_FOLDER: 'old/', ...env }),
        (err: unknown) =>
          err instanceof ConfigError && err.variable === names && err.message.startsWith(names),
      );
    });
  }
});

describe('loadReplayConfig', () => {
  it('reads the dead-letter subscription, dry run by default, up to 1000 messages, a 5 s idle stop', () => {
    const config = loadReplayConfig({ UPLOAD_BUCKET: 'local-bucket' });
    assert.equal(config.deadLetterSubscription, 'thumbnailer-dead-letter');
    assert.equal(config.apply, false);
    assert.equal(config.maxMessages, 1000);
    assert.equal(config.idleMs, 5000);
    assert.deepEqual(config.buckets, new Set(['local-bucket']), 'the worker configuration beside it');
  });

  it('takes --apply, --dry-run, --max-messages and --idle-seconds, and DEAD_LETTER_SUBSCRIPTION', () => {
    const env = {
      UPLOAD_BUCKET: 'local-bucket',
      DEAD_LETTER_SUBSCRIPTION: 'projects/p/subscriptions/thumbnailer-dead-letter',
    };
    const config = loadReplayConfig(env, ['--apply', '--max-messages', '20', '--idle-seconds', '2']);
    assert.equal(config.deadLetterSubscription, 'projects/p/subscriptions/thumbnailer-dead-letter');
    assert.deepEqual([config.apply, config.maxMessages, config.idleMs], [true, 20, 2000]);
    assert.equal(loadReplayConfig(env, ['--dry-run']).apply, false);
  });

  const refused: [string, Record<string, string>, string[], RegExp][] = [
    ['a malformed subscription', { DEAD_LETTER_SUBSCRIPTION: 'a b' }, [], /^DEAD_LETTER_SUBSCRIPTION is not/],
    ['both modes', {}, ['--apply', '--dry-run'], /^--apply and --dry-run exclude each other/],
    ['an unknown flag', {}, ['--force'], /--force.*usage: replay-dead-letters/],
    ['a message limit of 0', {}, ['--max-messages', '0'], /^--max-messages must be a whole number from 1/],
    ['an idle time that is not a number', {}, ['--idle-seconds', 'soon'], /^--idle-seconds must be a whole/],
  ];
  for (const [what, env, argv, message] of refused) {
    it(`refuses ${what} with one line naming it`, () => {
      assert.throws(
        () => loadReplayConfig({ UPLOAD_BUCKET: 'local-bucket', ...env }, argv),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }
});
