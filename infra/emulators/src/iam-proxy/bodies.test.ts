import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { multipartMetadata } from './bodies.js';

describe('multipartMetadata()', () => {
  it('reads the JSON part of a multipart/related upload body', () => {
    const body = Buffer.concat([
      Buffer.from(
        '--xyz\r\nContent-Type: application/json\r\n\r\n{"name":"a/b.jpg","contentType":"image/jpeg"}\r\n',
      ),
      Buffer.from('--xyz\r\nContent-Type: image/jpeg\r\n\r\n'),
      Buffer.from([0xff, 0xd8, 0xff, 0x00]),
      Buffer.from('\r\n--xyz--\r\n'),
    ]);
    assert.deepEqual(multipartMetadata(body, 'multipart/related; boundary=xyz'), {
      name: 'a/b.jpg',
      contentType: 'image/jpeg',
    });
    assert.equal(multipartMetadata(body, 'multipart/related'), undefined);
    assert.equal(
      multipartMetadata(Buffer.from('not multipart'), 'multipart/related; boundary=xyz'),
      undefined,
    );
  });
});
