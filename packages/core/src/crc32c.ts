/**
 * CRC32C for the Storage client's integrity checks, in native code (@node-rs/crc32, SSE4.2 where the CPU has it).
 * The client's built-in validator is a byte-at-a-time JavaScript loop, a large share of a transfer's CPU time for a
 * photo; this one is native (bench/README.md has the measured figures).
 */
import type { CRC32CValidator } from '@google-cloud/storage';
import { crc32c } from '@node-rs/crc32';

/** The checksum as Cloud Storage writes it: 4 bytes big-endian, base64. */
function encode(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
}

/** A `crc32cGenerator` for `new Storage({ crc32cGenerator })`: a fresh running checksum per transfer. */
export function nativeCrc32cValidator(): CRC32CValidator {
  let value = 0;
  return {
    update(data: Buffer) {
      value = crc32c(data, value);
    },
    validate(expected: string) {
      return expected === encode(value);
    },
    toString() {
      return encode(value);
    },
  };
}
