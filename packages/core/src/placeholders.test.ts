import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA } from 'thumbhash';
import { PLACEHOLDER_EDGE, dominantColor, placeholdersOf, smallRgba, type RawFrame } from './placeholders.js';

/** RGBA pixels: `count` pixels of each colour, in order. */
function rgba(...runs: [count: number, pixel: [number, number, number, number]][]): Uint8Array {
  return Uint8Array.from(runs.flatMap(([count, pixel]) => Array.from({ length: count }, () => pixel).flat()));
}

function frame(width: number, height: number, channels: RawFrame['channels'], pixel: number[]): RawFrame {
  const data = Buffer.alloc(width * height * channels);
  for (let i = 0; i < width * height; i++) data.set(pixel, i * channels);
  return { data, width, height, channels };
}

describe('dominantColor', () => {
  it('is the exact colour of a solid image', () => {
    assert.equal(dominantColor(rgba([100, [200, 30, 30, 255]])), '#c81e1e');
  });

  it('is the colour most pixels have', () => {
    assert.equal(dominantColor(rgba([30, [0, 0, 255, 255]], [70, [0, 200, 0, 255]])), '#00c800');
  });

  it('averages the pixels of the winning bin rather than answering its centre', () => {
    assert.equal(dominantColor(rgba([50, [200, 30, 30, 255]], [50, [202, 28, 30, 255]])), '#c91d1e');
  });

  it('does not count transparent pixels: a small logo on a large transparent area is the logo', () => {
    assert.equal(dominantColor(rgba([900, [0, 0, 0, 0]], [100, [20, 180, 40, 255]])), '#14b428');
  });

  it('weighs half-transparent pixels by their alpha', () => {
    assert.equal(dominantColor(rgba([60, [255, 0, 0, 64]], [40, [0, 0, 255, 255]])), '#0000ff');
  });

  it('counts every pixel alike in a fully transparent image', () => {
    assert.equal(dominantColor(rgba([10, [255, 255, 255, 0]], [5, [0, 0, 0, 0]])), '#ffffff');
  });
});

describe('smallRgba', () => {
  it(`shrinks to at most ${PLACEHOLDER_EDGE} px a side, keeping the aspect`, () => {
    const small = smallRgba(frame(1600, 400, 3, [1, 2, 3]));
    assert.deepEqual([small.width, small.height], [PLACEHOLDER_EDGE, PLACEHOLDER_EDGE / 4]);
    assert.deepEqual([...small.rgba.slice(0, 4)], [1, 2, 3, 255]);
  });

  it('never enlarges a small frame', () => {
    const small = smallRgba(frame(10, 5, 4, [9, 8, 7, 6]));
    assert.deepEqual([small.width, small.height, small.rgba.length], [10, 5, 200]);
  });

  it('lends no colour from transparent pixels when it averages', () => {
    const data = Buffer.alloc(64 * 4);
    for (let x = 1; x < 64; x += 2) data.set([255, 0, 0, 255], x * 4); // opaque red between transparent black
    const small = smallRgba({ data, width: 64, height: 1, channels: 4 });
    assert.equal(small.width, 32);
    assert.deepEqual([...small.rgba.slice(0, 4)], [255, 0, 0, 128]);
  });
});

describe('placeholdersOf', () => {
  const cases: [string, RawFrame, number][] = [
    ['a large RGB frame', frame(1600, 400, 3, [10, 120, 250]), 4],
    ['a small RGB frame', frame(24, 12, 3, [10, 120, 250]), 2],
    ['an RGBA frame', frame(300, 600, 4, [10, 120, 250, 255]), 0.5],
  ];
  for (const [what, input, aspect] of cases) {
    it(`hashes ${what} to its aspect and colour`, () => {
      const { thumbhash, dominantColor: colour } = placeholdersOf(input);
      const hash = Buffer.from(thumbhash, 'base64');
      assert.ok(Math.abs(thumbHashToApproximateAspectRatio(hash) - aspect) < 0.25 * aspect);
      const average = thumbHashToAverageRGBA(hash);
      assert.ok(
        Math.abs(average.b * 255 - 250) < 12 && Math.abs(average.r * 255 - 10) < 12,
        JSON.stringify(average),
      );
      assert.equal(colour, '#0a78fa');
    });
  }

  it('treats a one-channel frame as grey', () => {
    const { dominantColor: colour } = placeholdersOf(frame(20, 20, 1, [77]));
    assert.equal(colour, '#4d4d4d');
  });
});
