import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultRenditions } from '@thumbnailer/core';
import { renderNotConfiguredPage, renderUploadPage, text } from './views.js';

const hostile = [
  '<script>alert(1)</script>.jpg',
  '"><img src=x onerror=alert(1)>.png',
  'evil\u202Egnp.jpg',
  'line\r\nbreak.jpg',
  "it's & <b>bold</b>",
];

describe('text', () => {
  for (const name of hostile) {
    test(`escapes ${JSON.stringify(name)} so no markup, quote, control or bidi character survives`, () => {
      const out = text(name);
      assert.doesNotMatch(out, /[<>"']/);
      assert.doesNotMatch(out, /[\r\n\u202E]/);
    });
  }
});

describe('renderUploadPage', () => {
  test('states the accepted formats and the size limit and offers a file input inside a drop zone', () => {
    const html = renderUploadPage({
      maxUploadBytes: 20971520,
      renditions: defaultRenditions(),
      mode: 'session',
      flash: undefined,
      gallery: [],
    });
    assert.match(html, /JPEG, PNG, WebP, GIF, AVIF or TIFF/);
    assert.match(html, /up to 20 MB/);
    assert.match(html, /<form id="upload-form"[^>]*action="\/upload"[^>]*enctype="multipart\/form-data"/);
    assert.match(html, /<input id="file" name="file" type="file"/);
    assert.match(html, /id="dropzone"/);
    assert.doesNotMatch(html, /<script>|\sstyle=|\son\w+=/, 'no inline script, style or handlers (CSP)');
  });

  test('shows hostile names from the flash and the gallery only escaped', () => {
    const html = renderUploadPage({
      maxUploadBytes: 1024,
      renditions: defaultRenditions(),
      mode: 'session',
      flash: { kind: 'error', message: 'bad <script>alert(1)</script>' },
      gallery: [
        {
          name: '20251203T15Z/<script>x</script>.png',
          generation: '1',
          created: new Date('2025-12-03T15:00:00Z'),
          contentType: 'image/png',
          size: 10,
          renditions: {
            renditions: [
              {
                rendition: 'thumb',
                name: 'thumbnails/20251203T15Z/"onerror=alert(1).png',
                url: '/thumbnail/"onerror=alert(1).png',
                width: 100,
                height: 100,
                contentType: 'image/png',
                bytes: 10,
              },
            ],
            complete: true,
            thumbhash: '"onerror=alert(2)',
            dominantColor: '"onerror=alert(3)',
          },
        },
      ],
    });
    assert.doesNotMatch(html, /<script>/);
    assert.doesNotMatch(html, /"onerror/);
    assert.match(html, /&lt;script&gt;/);
  });
});

describe('renderNotConfiguredPage', () => {
  test('says UPLOAD_BUCKET is not set and renders no form', () => {
    const html = renderNotConfiguredPage(undefined);
    assert.match(html, /UPLOAD_BUCKET<\/code> is not set/);
    assert.doesNotMatch(html, /<form/);
  });
});
