import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, type Route } from './iam-routes.js';

const b = 'projects/_/buckets/bkt';
const o = (name: string) => `${b}/objects/${name}`;
const checked = (cls: string, ...checks: [string, string][]): Route => ({
  kind: 'checked',
  class: cls as never,
  bucket: 'bkt',
  checks: checks.map(([permission, resource]) => ({ permission, resource })),
});

describe('classify()', () => {
  const table: [string, string, Route][] = [
    ['GET', '/storage/v1/b/bkt/o/a%2Fb.jpg', checked('metadataRead', ['storage.objects.get', o('a/b.jpg')])],
    [
      'GET',
      '/storage/v1/b/bkt/o/a%2Fb.jpg?alt=media&generation=7',
      checked('mediaRead', ['storage.objects.get', o('a/b.jpg')]),
    ],
    ['GET', '/download/storage/v1/b/bkt/o/x.png', checked('mediaRead', ['storage.objects.get', o('x.png')])],
    ['GET', '/bkt/dir/x.png', checked('mediaRead', ['storage.objects.get', o('dir/x.png')])],
    ['GET', '/storage/v1/b/bkt/o?prefix=a%2F', checked('list', ['storage.objects.list', b])],
    ['DELETE', '/storage/v1/b/bkt/o/x', checked('delete', ['storage.objects.delete', o('x')])],
    [
      'PATCH',
      '/storage/v1/b/bkt/o/x',
      checked('update', ['storage.objects.get', o('x')], ['storage.objects.update', o('x')]),
    ],
    ['PUT', '/storage/v1/b/bkt/o/x', checked('update', ['storage.objects.update', o('x')])],
    ['GET', '/storage/v1/b/bkt', checked('bucketRead', ['storage.buckets.get', b])],
    ['GET', '/storage/v1/b/bkt/notificationConfigs', checked('bucketRead', ['storage.buckets.get', b])],
    ['POST', '/storage/v1/b/bkt/notificationConfigs', checked('other', ['storage.buckets.update', b])],
    ['DELETE', '/storage/v1/b/bkt/notificationConfigs/3', checked('other', ['storage.buckets.update', b])],
    ['DELETE', '/storage/v1/b/bkt', checked('other', ['storage.buckets.delete', b])],
    [
      'POST',
      '/upload/storage/v1/b/bkt/o?uploadType=media&name=a%2Fb.jpg&ifGenerationMatch=0',
      {
        kind: 'write',
        bucket: 'bkt',
        object: 'a/b.jpg',
        nameFrom: 'query',
        sources: [],
        sourcesFromBody: false,
        resumable: false,
      },
    ],
    [
      'POST',
      '/upload/storage/v1/b/bkt/o?uploadType=multipart',
      {
        kind: 'write',
        bucket: 'bkt',
        object: undefined,
        nameFrom: 'multipart',
        sources: [],
        sourcesFromBody: false,
        resumable: false,
      },
    ],
    [
      'POST',
      '/upload/storage/v1/b/bkt/o?uploadType=resumable&name=big.bin',
      {
        kind: 'write',
        bucket: 'bkt',
        object: 'big.bin',
        nameFrom: 'json',
        sources: [],
        sourcesFromBody: false,
        resumable: true,
      },
    ],
    [
      'PUT',
      '/upload/storage/v1/b/bkt/o?uploadType=resumable&name=big.bin&upload_id=abc',
      { kind: 'session', uploadId: 'abc', cancel: false },
    ],
    [
      'DELETE',
      '/upload/storage/v1/b/bkt/o?upload_id=abc',
      { kind: 'session', uploadId: 'abc', cancel: true },
    ],
    [
      'POST',
      '/storage/v1/b/bkt/o/src.jpg/rewriteTo/b/other/o/dst%2F1.jpg',
      {
        kind: 'write',
        bucket: 'other',
        object: 'dst/1.jpg',
        nameFrom: 'query',
        sources: [{ bucket: 'bkt', object: 'src.jpg' }],
        sourcesFromBody: false,
        resumable: false,
      },
    ],
    [
      'POST',
      '/storage/v1/b/bkt/o/all.bin/compose',
      {
        kind: 'write',
        bucket: 'bkt',
        object: 'all.bin',
        nameFrom: 'query',
        sources: [],
        sourcesFromBody: true,
        resumable: false,
      },
    ],
    [
      'GET',
      '/storage/v1/b',
      {
        kind: 'checked',
        class: 'other',
        bucket: undefined,
        checks: [{ permission: 'storage.buckets.list', resource: 'projects/_' }],
      },
    ],
  ];
  for (const [method, path, expected] of table) {
    it(`classifies ${method} ${path}`, () => {
      assert.deepEqual(classify(method, path, {}), expected);
    });
  }

  it('leaves ACLs, batch, internal, malformed and unknown requests unclassified', () => {
    for (const [method, path] of [
      ['GET', '/storage/v1/b/bkt/o/x/acl'],
      ['POST', '/batch/storage/v1'],
      ['PUT', '/_internal/config'],
      ['GET', '/storage/v1/b/bkt/o/%E0%A4%A'],
      ['POST', '/storage/v1/b/bkt/o/x'],
      ['POST', '/upload/storage/v1/b/bkt/o'],
      ['GET', '/'],
    ] as const) {
      assert.equal(classify(method, path, {}).kind, 'unclassified', `${method} ${path}`);
    }
  });

  it('follows X-HTTP-Method-Override on a POST', () => {
    assert.deepEqual(
      classify('POST', '/storage/v1/b/bkt', { 'x-http-method-override': 'PATCH' }),
      checked('other', ['storage.buckets.update', b]),
    );
  });
});
