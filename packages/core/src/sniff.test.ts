import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeUnsupported, sniffFormat } from './sniff.js';

function ftyp(major: string, ...compatible: string[]): Buffer {
  const body = Buffer.from(`ftyp${major}\0\0\0\0${compatible.join('')}`, 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body]);
}

describe('sniffFormat', () => {
  const cases: [string, Buffer, string | undefined][] = [
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), 'jpeg'],
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'png'],
    ['GIF89a', Buffer.from('GIF89a....', 'latin1'), 'gif'],
    ['GIF87a', Buffer.from('GIF87a....', 'latin1'), 'gif'],
    ['WebP', Buffer.from('RIFF\x10\0\0\0WEBPVP8 ', 'latin1'), 'webp'],
    ['a RIFF that is not WebP (WAV)', Buffer.from('RIFF\x10\0\0\0WAVEfmt ', 'latin1'), undefined],
    ['little-endian TIFF', Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), 'tiff'],
    ['big-endian TIFF', Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]), 'tiff'],
    ['AVIF by major brand', ftyp('avif', 'mif1', 'miaf'), 'avif'],
    ['AVIF by compatible brand', ftyp('mif1', 'avif', 'miaf'), 'avif'],
    ['HEIC (not accepted)', ftyp('heic', 'mif1', 'heic'), undefined],
    ['MP4 video', ftyp('isom', 'iso2', 'mp41'), undefined],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg">', 'latin1'), undefined],
    ['PDF', Buffer.from('%PDF-1.4\n', 'latin1'), undefined],
    ['text', Buffer.from('hello', 'latin1'), undefined],
    ['nothing', Buffer.alloc(0), undefined],
    ['two bytes of a JPEG', Buffer.from([0xff, 0xd8]), undefined],
  ];
  for (const [what, bytes, expected] of cases) {
    it(`says ${String(expected)} for ${what}`, () => {
      assert.equal(sniffFormat(bytes), expected);
    });
  }
});

describe('describeUnsupported', () => {
  it('names PDF, SVG (with an XML prolog) and ISO media', () => {
    assert.match(describeUnsupported(Buffer.from('%PDF-1.7')), /PDF/);
    assert.match(describeUnsupported(Buffer.from('<?xml version="1.0"?>\n<svg width="1">')), /SVG/);
    assert.match(describeUnsupported(ftyp('heic', 'mif1')), /heic/);
    assert.match(describeUnsupported(Buffer.from('hello')), /not a supported raster image/);
  });
});
