import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { CRC32C } from '@google-cloud/storage';
import { nativeCrc32cValidator } from './crc32c.js';

it('computes the checksum the Storage client computes, in one piece or in chunks', () => {
  const data = randomBytes(300_001);
  const reference = new CRC32C();
  reference.update(data);
  const whole = nativeCrc32cValidator();
  whole.update(data);
  const chunked = nativeCrc32cValidator();
  for (let offset = 0; offset < data.length; offset += 65_536)
    chunked.update(data.subarray(offset, offset + 65_536));
  assert.equal(whole.toString(), reference.toString());
  assert.equal(chunked.toString(), reference.toString());
});

it('matches the published CRC32C check value and validates only the right checksum', () => {
  const validator = nativeCrc32cValidator();
  validator.update(Buffer.from('123456789'));
  // CRC-32C check value 0xE3069283 (RFC 3720, B.4), base64 of its big-endian bytes.
  assert.equal(validator.toString(), Buffer.from('e3069283', 'hex').toString('base64'));
  assert.equal(validator.validate(Buffer.from('e3069283', 'hex').toString('base64')), true);
  assert.equal(validator.validate(Buffer.from('e3069284', 'hex').toString('base64')), false);
});

it('starts every transfer from zero', () => {
  assert.equal(nativeCrc32cValidator().toString(), 'AAAAAA==');
});
