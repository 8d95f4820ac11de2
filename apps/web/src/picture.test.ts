import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { displaySize, pictureHtml, pictureOf, similarShape } from './picture.js';
import type { RenditionInfo, RenditionSet } from './thumbnails.js';

function rendition(
  name: string,
  width: number | undefined,
  height: number | undefined,
  contentType: string,
): RenditionInfo {
  const extension = contentType.slice('image/'.length);
  return {
    rendition: name,
    name: `thumbnails/x/p.jpg.1.${name}.${extension}`,
    url: `/thumbnail/${name}.${extension}`,
    width,
    height,
    contentType,
    bytes: 1000,
  };
}

const set = (...renditions: RenditionInfo[]): RenditionSet => ({
  renditions,
  complete: true,
  thumbhash: 'YJqGPQw7sFlslqhFafSE+Q6oJ1h2iHB2Rw==',
  dominantColor: '#5a7d9a',
});

// thumb:100x100, card:400x300:cover:webp, hero:1600x1600:avif:q60 of a 4:3 landscape and of a 3:4 portrait.
const landscape = set(
  rendition('thumb', 100, 75, 'image/jpeg'),
  rendition('card', 400, 300, 'image/webp'),
  rendition('hero', 1600, 1200, 'image/avif'),
);
const portrait = set(
  rendition('thumb', 75, 100, 'image/jpeg'),
  rendition('card', 400, 300, 'image/webp'),
  rendition('hero', 1200, 1600, 'image/avif'),
);

describe('pictureOf', () => {
  test('offers AVIF-capable browsers every format, WebP-capable ones all but AVIF, and the <img> the rest', () => {
    const picture = pictureOf(landscape);
    assert.deepEqual(picture.sources, [
      {
        type: 'image/avif',
        srcset: '/thumbnail/thumb.jpeg 100w, /thumbnail/card.webp 400w, /thumbnail/hero.avif 1600w',
      },
      { type: 'image/webp', srcset: '/thumbnail/thumb.jpeg 100w, /thumbnail/card.webp 400w' },
    ]);
    assert.equal(picture.src, '/thumbnail/thumb.jpeg', 'the first rendition is the src');
    assert.equal(picture.srcset, undefined, 'the <img> has nothing but its src');
    assert.equal(picture.href, '/thumbnail/hero.avif', 'the picture links to the largest rendition');
    assert.deepEqual([picture.width, picture.height, picture.maxWidth], [100, 75, 1600]);
  });

  test('takes the 4:3 card of a 3:2 photo as the same picture, a little trimmed', () => {
    const picture = pictureOf(
      set(
        rendition('thumb', 100, 67, 'image/jpeg'),
        rendition('card', 400, 300, 'image/webp'),
        rendition('hero', 1600, 1067, 'image/avif'),
      ),
    );
    assert.deepEqual(
      picture.sources.map((s) => s.srcset),
      [
        '/thumbnail/thumb.jpeg 100w, /thumbnail/card.webp 400w, /thumbnail/hero.avif 1600w',
        '/thumbnail/thumb.jpeg 100w, /thumbnail/card.webp 400w',
      ],
    );
    assert.deepEqual(
      displaySize(picture, 200),
      { width: 200, height: 134 },
      'in the first rendition’s shape',
    );
  });

  test('leaves out a cover crop of another shape: it is a different picture, not another size', () => {
    const picture = pictureOf(portrait);
    assert.deepEqual(picture.sources, [
      { type: 'image/avif', srcset: '/thumbnail/thumb.jpeg 75w, /thumbnail/hero.avif 1200w' },
    ]);
    assert.equal(picture.maxWidth, 1200);
  });

  test('keeps the more compact format where two renditions have the same width', () => {
    const picture = pictureOf(
      set(
        rendition('thumb', 200, 150, 'image/jpeg'),
        rendition('thumb-webp', 200, 150, 'image/webp'),
        rendition('large', 800, 600, 'image/jpeg'),
      ),
    );
    assert.deepEqual(picture.sources, [
      { type: 'image/webp', srcset: '/thumbnail/thumb-webp.webp 200w, /thumbnail/large.jpeg 800w' },
    ]);
    assert.equal(picture.srcset, '/thumbnail/thumb.jpeg 200w, /thumbnail/large.jpeg 800w');
  });

  test('makes a plain <img> of the single default thumbnail', () => {
    const picture = pictureOf(set(rendition('thumb', 100, 67, 'image/png')));
    assert.deepEqual(picture.sources, []);
    assert.equal(picture.srcset, undefined);
    assert.equal(picture.href, picture.src);
  });

  test('shows a thumbnail of an earlier release (no size recorded) by its src alone', () => {
    const picture = pictureOf({
      renditions: [rendition('thumb', undefined, undefined, 'image/jpeg')],
      complete: true,
      thumbhash: undefined,
      dominantColor: undefined,
    });
    assert.deepEqual(picture.sources, []);
    assert.equal(picture.width, undefined);
    assert.equal(displaySize(picture, 200), undefined);
    assert.equal(
      pictureHtml(picture, { alt: 'x', box: 200 }),
      '<picture><img src="/thumbnail/thumb.jpeg" alt="x" loading="lazy" decoding="async"></picture>',
    );
  });

  test('never offers a TIFF as a candidate, which most browsers cannot show', () => {
    const picture = pictureOf(
      set(rendition('thumb', 100, 75, 'image/tiff'), rendition('card', 400, 300, 'image/webp')),
    );
    assert.deepEqual(picture.sources, [{ type: 'image/webp', srcset: '/thumbnail/card.webp 400w' }]);
    assert.equal(picture.src, '/thumbnail/thumb.tiff');
    assert.equal(picture.href, '/thumbnail/card.webp');
  });
});

describe('similarShape', () => {
  const cases: [string, [number, number], [number, number], boolean][] = [
    ['exact', [100, 75], [1600, 1200], true],
    ['rounded on the small side', [100, 67], [1600, 1067], true],
    ['a 4:3 crop of a 3:2 photo', [100, 67], [400, 300], true],
    ['a square crop of a 3:2 photo', [100, 67], [300, 300], false],
    ['a 16:9 crop of a 4:3 photo', [100, 75], [1600, 900], false],
    ['a landscape crop of a portrait', [75, 100], [400, 300], false],
  ];
  for (const [what, [w1, h1], [w2, h2], same] of cases) {
    test(`${same ? 'takes' : 'does not take'} ${w1}×${h1} and ${w2}×${h2} (${what}) as one picture`, () => {
      assert.equal(similarShape({ width: w1, height: h1 }, { width: w2, height: h2 }), same);
      assert.equal(similarShape({ width: w2, height: h2 }, { width: w1, height: h1 }), same);
    });
  }
});

describe('displaySize', () => {
  test('fits the first rendition’s shape in the box', () => {
    assert.deepEqual(displaySize(pictureOf(landscape), 200), { width: 200, height: 150 });
    assert.deepEqual(displaySize(pictureOf(portrait), 200), { width: 150, height: 200 });
    assert.deepEqual(displaySize(pictureOf(landscape), 100), { width: 100, height: 75 });
  });

  test('never shows a picture wider than its largest candidate', () => {
    const picture = pictureOf(set(rendition('thumb', 100, 75, 'image/jpeg')));
    assert.deepEqual(displaySize(picture, 200), { width: 100, height: 75 });
  });
});

describe('pictureHtml', () => {
  test('renders sources with sizes, the <img> with its display size, lazy loading and the placeholder data', () => {
    assert.equal(
      pictureHtml(pictureOf(landscape), { alt: 'Thumbnail of 20251203T15Z/photo.jpg', box: 200 }),
      '<picture>' +
        '<source type="image/avif" srcset="/thumbnail/thumb.jpeg 100w, /thumbnail/card.webp 400w, /thumbnail/hero.avif 1600w" sizes="200px">' +
        '<source type="image/webp" srcset="/thumbnail/thumb.jpeg 100w, /thumbnail/card.webp 400w" sizes="200px">' +
        '<img src="/thumbnail/thumb.jpeg" width="200" height="150" alt="Thumbnail of 20251203T15Z/photo.jpg"' +
        ' loading="lazy" decoding="async" data-thumbhash="YJqGPQw7sFlslqhFafSE+Q6oJ1h2iHB2Rw==" data-color="#5a7d9a">' +
        '</picture>',
    );
  });

  test('escapes every value', () => {
    const hostile = set(rendition('thumb', 100, 75, 'image/jpeg'));
    hostile.renditions[0]!.url = '/thumbnail/"><script>x</script>';
    const html = pictureHtml(pictureOf(hostile), { alt: '" onerror="alert(1)', box: 100 });
    assert.doesNotMatch(html, /<script>|" onerror/);
  });
});
