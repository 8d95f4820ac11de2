import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TransientError } from './errors.js';
import { nativeCrc32cValidator } from './crc32c.js';
import {
  createStorageClient,
  isTransientStorageError,
  rethrowStorageError,
  storageErrorStatus,
} from './storage.js';

function withProps(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}

describe('storage error classification', () => {
  const transient: [string, unknown][] = [
    ['503 from the API', withProps('Service Unavailable', { code: 503 })],
    ['500 as a response status', withProps('boom', { response: { status: 500 } })],
    ['429 rate limiting', withProps('Too Many Requests', { code: 429 })],
    ['408 request timeout', withProps('timeout', { status: 408 })],
    ['a refused connection', withProps('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' })],
    ['a reset connection', withProps('read ECONNRESET', { code: 'ECONNRESET' })],
    ['a timeout', withProps('ETIMEDOUT', { code: 'ETIMEDOUT' })],
    [
      'a refused connection wrapped in cause',
      new Error('request failed', { cause: withProps('x', { code: 'ECONNREFUSED' }) }),
    ],
    ['an aborted request', withProps('aborted', { name: 'AbortError' })],
    ['a socket hang up', new Error('socket hang up')],
  ];
  for (const [what, err] of transient) {
    it(`treats ${what} as transient`, () => assert.equal(isTransientStorageError(err), true));
  }

  const permanent: [string, unknown][] = [
    ['404', withProps('Not Found', { code: 404 })],
    ['403', withProps('Forbidden', { code: 403 })],
    ['412', withProps('Precondition Failed', { code: 412 })],
    ['a programming error', new TypeError('x is not a function')],
    ['a non-object', 'oops'],
  ];
  for (const [what, err] of permanent) {
    it(`treats ${what} as permanent`, () => assert.equal(isTransientStorageError(err), false));
  }

  it('reads the HTTP status from code, status or response.status', () => {
    assert.equal(storageErrorStatus(withProps('', { code: 412 })), 412);
    assert.equal(storageErrorStatus(withProps('', { status: '404' })), 404);
    assert.equal(storageErrorStatus(withProps('', { response: { status: 503 } })), 503);
    assert.equal(storageErrorStatus(withProps('', { code: 'ECONNRESET' })), undefined);
  });

  const rethrown: [string, unknown, string | undefined][] = [
    ['a 503 as storage_unavailable', withProps('down', { code: 503 }), 'storage_unavailable'],
    [
      'a refused connection as storage_unavailable',
      withProps('x', { code: 'ECONNREFUSED' }),
      'storage_unavailable',
    ],
    [
      'a 403 as storage_forbidden (the deployment can fix it; the work is retried)',
      withProps('Forbidden', { code: 403 }),
      'storage_forbidden',
    ],
    ['a 404 unchanged', withProps('Not Found', { code: 404 }), undefined],
    ['a programming error unchanged', new TypeError('x is not a function'), undefined],
  ];
  for (const [what, err, code] of rethrown) {
    it(`rethrows ${what}`, () => {
      assert.throws(
        () => rethrowStorageError(err, 'a test'),
        (thrown: unknown) =>
          code === undefined
            ? thrown === err
            : thrown instanceof TransientError && thrown.code === code && /a test/.test(thrown.message),
      );
    });
  }
});

describe('createStorageClient', () => {
  it('validates transfers with the native CRC32C and keeps the caller’s options', () => {
    const storage = createStorageClient({ projectId: 'p', apiEndpoint: 'http://127.0.0.1:1' });
    assert.equal(storage.crc32cGenerator, nativeCrc32cValidator);
    assert.equal(storage.projectId, 'p');
    assert.equal(storage.baseUrl, 'http://127.0.0.1:1/storage/v1');
  });
});
