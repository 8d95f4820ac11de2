// POST /upload, the page, the thumbnail endpoints and the gallery against the storage emulator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Storage, type Bucket } from '@google-cloud/storage';
import { startFaultProxy, startStack, type Stack } from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import { defaultRenditions } from '@thumbnailer/core';
import { expectedRenditionName } from '../../src/thumbnails.js';
import { cookiesAfter, objectNames, startWeb, upload, type RunningApp } from './harness.js';

const AT = new Date('2025-12-03T15:42:00Z');
const FOLDER = '20251203T15Z';

describe('the upload frontend against the storage emulator', () => {
  let stack: Stack;
  let bucket: Bucket;
  let web: RunningApp;

  before(async () => {
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    web = await startWeb({ stack, clock: () => AT, env: { MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) } });
  });
  after(async () => {
    await web?.close();
    await stack?.stop();
  });

  test('stores a JPEG at <YYYYMMDDTHHZ>/<name> and answers 201 JSON naming it', async () => {
    const data = await fixture('landscape-jpeg');
    const res = await upload(web.base, { filename: 'photo.jpg', data });
    assert.equal(res.status, 201);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.status, 'uploaded');
    assert.equal(body.bucket, bucket.name);
    assert.equal(body.name, `${FOLDER}/photo.jpg`);
    assert.equal(body.uri, `gs://${bucket.name}/${FOLDER}/photo.jpg`);
    assert.equal(body.contentType, 'image/jpeg');
    assert.match(String(body.generation), /^\d+$/);
    const [metadata] = await bucket.file(`${FOLDER}/photo.jpg`).getMetadata();
    assert.equal(metadata.contentType, 'image/jpeg');
    assert.equal(Number(metadata.size), data.length);
    assert.equal(metadata.metadata?.originalFilename, 'photo.jpg');
    const line = web.logs.find((l) => l.message === 'upload stored' && l.object === `${FOLDER}/photo.jpg`);
    assert.ok(line, 'one log line for the upload');
    assert.equal(line.severity, 'INFO');
    assert.equal(line.bytes, data.length);
    assert.equal(line.format, 'jpeg');
    assert.equal(typeof line.ms, 'number');
  });

  test('gives a colliding name a suffix and never overwrites the first object', async () => {
    const first = await fixture('small-png');
    const second = await fixture('rgba-png');
    const a = (await (await upload(web.base, { filename: 'same.png', data: first })).json()) as {
      name: string;
    };
    const res = await upload(web.base, { filename: 'same.png', data: second });
    assert.equal(res.status, 201);
    const b = (await res.json()) as { name: string };
    assert.equal(a.name, `${FOLDER}/same.png`);
    assert.match(b.name, new RegExp(`^${FOLDER}/same-[0-9a-f]{8}\\.png$`));
    const [kept] = await bucket.file(a.name).download();
    assert.ok(kept.equals(first), 'the first upload is unchanged');
  });

  test('stores every one of many simultaneous uploads with one name, each under its own name', async () => {
    const data = await fixture('small-png');
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => upload(web.base, { filename: 'crowd.png', data })),
    );
    const names = await Promise.all(
      responses.map(async (res) => {
        assert.equal(res.status, 201);
        return ((await res.json()) as { name: string }).name;
      }),
    );
    assert.equal(new Set(names).size, 6, `distinct names: ${names.join(', ')}`);
    assert.ok(names.includes(`${FOLDER}/crowd.png`), 'one upload keeps the plain name');
    for (const name of names) assert.match(name, new RegExp(`^${FOLDER}/crowd(-[0-9a-f]+)?\\.png$`));
    const [files] = await bucket.getFiles({ prefix: `${FOLDER}/crowd` });
    assert.equal(files.length, 6);
  });

  test('takes the content type from the bytes: a PNG named .jpg is stored as image/png', async () => {
    const res = await upload(web.base, { filename: 'liar.jpg', data: await fixture('small-png') });
    assert.equal(res.status, 201);
    const body = (await res.json()) as { name: string; contentType: string };
    assert.equal(body.contentType, 'image/png');
    const [metadata] = await bucket.file(body.name).getMetadata();
    assert.equal(metadata.contentType, 'image/png');
  });

  test('redirects a browser upload with 303 to / and shows the stored name in a flash message once', async () => {
    const res = await upload(web.base, {
      filename: 'browser.jpg',
      data: await fixture('portrait-jpeg'),
      json: false,
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/');
    const cookie = cookiesAfter(res);
    const page = await fetch(`${web.base}/`, { headers: { cookie } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /flash-success/);
    assert.match(html, new RegExp(`${FOLDER}/browser\\.jpg`));
    assert.match(page.headers.get('set-cookie') ?? '', /^flash=;/, 'the flash is cleared after being shown');
  });

  describe('refusals store nothing', () => {
    let before_: string[];
    before(async () => {
      before_ = await objectNames(bucket);
    });
    after(async () => {
      assert.deepEqual(await objectNames(bucket), before_, 'no object was stored by any refused upload');
    });

    const refusals: [string, () => Promise<Response>, number, RegExp][] = [
      [
        'a text file',
        async () => upload(web.base, { filename: 'notes.jpg', data: await fixture('text') }),
        415,
        /not a supported raster image; accepted: JPEG, PNG/,
      ],
      [
        'an SVG',
        async () => upload(web.base, { filename: 'logo.svg', data: await fixture('svg') }),
        415,
        /The file is an SVG \(vector\) image; accepted: JPEG, PNG/,
      ],
      [
        'a PDF',
        async () => upload(web.base, { filename: 'doc.png', data: await fixture('pdf') }),
        415,
        /The file is a PDF document; accepted:/,
      ],
      [
        'a truncated JPEG',
        async () => upload(web.base, { filename: 'cut.jpg', data: await fixture('truncated-jpeg') }),
        422,
        /could not be decoded/,
      ],
      [
        'a pixel bomb',
        async () => upload(web.base, { filename: 'bomb.png', data: await fixture('pixel-bomb-png') }),
        422,
        /more pixels than allowed|over the limit of \d+ pixels/,
      ],
      ['an empty file', () => upload(web.base, { filename: 'empty.jpg', data: '' }), 400, /empty/],
      ['a form without a file', () => upload(web.base, {}), 400, /No file/],
      [
        'a file in another field',
        async () => upload(web.base, { field: 'picture', data: await fixture('small-png') }),
        400,
        /field named "file"/,
      ],
      [
        'two files',
        async () =>
          upload(web.base, {
            data: await fixture('small-png'),
            extraFiles: [{ field: 'file', filename: 'b.png', data: await fixture('small-png') }],
          }),
        400,
        /one file at a time|field named "file"/,
      ],
      [
        'a file over MAX_UPLOAD_BYTES',
        () => upload(web.base, { filename: 'big.jpg', data: Buffer.alloc(2 * 1024 * 1024 + 1, 0xff) }),
        413,
        /larger than the 2 MB limit/,
      ],
      [
        'a malformed multipart body',
        () =>
          fetch(`${web.base}/upload`, {
            method: 'POST',
            headers: { Accept: 'application/json', 'Content-Type': 'multipart/form-data; boundary=XYZ' },
            body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\nno closing boundary',
          }),
        400,
        /malformed/,
      ],
      [
        'a body that is not multipart',
        () =>
          fetch(`${web.base}/upload`, {
            method: 'POST',
            headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
            body: '{"file":"x"}',
          }),
        400,
        /No file/,
      ],
    ];
    for (const [what, send, status, message] of refusals) {
      test(`refuses ${what} with ${status} and a clear JSON error`, async () => {
        const res = await send();
        assert.equal(res.status, status);
        const body = (await res.json()) as { status: string; error: string };
        assert.equal(body.status, 'error');
        assert.match(body.error, message);
      });
    }

    test('logs one line per refusal with its reason', () => {
      const refusals_ = web.logs.filter((l) => l.message === 'upload refused');
      const reasons = new Set(refusals_.map((l) => l.reason));
      for (const reason of [
        'unsupported_format',
        'corrupt_image',
        'pixel_limit',
        'too_large',
        'bad_form',
        'no_file',
      ]) {
        assert.ok(reasons.has(reason), `a refusal logged with reason ${reason}`);
      }
    });

    test('refuses in browser mode with a 303 and an error flash', async () => {
      const res = await upload(web.base, { filename: 'notes.txt', data: await fixture('text'), json: false });
      assert.equal(res.status, 303);
      const cookie = cookiesAfter(res);
      const html = await (await fetch(`${web.base}/`, { headers: { cookie } })).text();
      assert.match(html, /flash-error/);
      assert.match(html, /not a supported raster image/);
    });
  });

  const hostile = [
    '../../etc/passwd.png',
    '..\\..\\windows\\win.ini.png',
    'line\r\nbreak.png',
    'evil\u202Egnp.png',
    '<script>alert(1)</script>.png',
    '<img src=x onerror=alert(1)>.png',
    '...',
  ];
  for (const filename of hostile) {
    test(`stores ${JSON.stringify(filename)} under a safe name in the hour folder`, async () => {
      const res = await upload(web.base, { filename, data: await fixture('small-png') });
      assert.equal(res.status, 201);
      const { name } = (await res.json()) as { name: string };
      assert.match(name, new RegExp(`^${FOLDER}/[A-Za-z0-9][A-Za-z0-9._-]*$`));
      assert.doesNotMatch(name, /\.\./);
    });
  }

  test('treats a file part named ".." as no file at all (400)', async () => {
    const res = await upload(web.base, { filename: '..', data: await fixture('small-png') });
    assert.equal(res.status, 400);
  });

  test('never shows a hostile name unescaped on the page', async () => {
    const res = await upload(web.base, {
      filename: '<img src=x onerror=alert(1)>.png',
      data: await fixture('small-png'),
      json: false,
    });
    const cookie = cookiesAfter(res);
    const html = await (await fetch(`${web.base}/`, { headers: { cookie } })).text();
    assert.doesNotMatch(html, /<img src=x/);
    assert.match(html, /Uploaded &lt;img src=x onerror=alert\(1\)&gt;\.png as /);
  });

  test('serves a source thumbnail once it exists, with its content type and nosniff', async () => {
    const res = await upload(web.base, { filename: 'thumbme.png', data: await fixture('rgba-png') });
    const body = (await res.json()) as { name: string; generation: string; thumbnailStatus: string };
    const headers = { cookie: cookiesAfter(res) }; // GALLERY=session: this browser's upload
    const pending = await fetch(`${web.base}${body.thumbnailStatus}`, { headers });
    assert.equal(pending.status, 200);
    assert.equal(((await pending.json()) as { status: string }).status, 'pending');

    const [metadata] = await bucket.file(body.name).getMetadata();
    const thumbName = expectedRenditionName(
      'thumbnails/',
      {
        name: body.name,
        generation: String(metadata.generation),
        created: new Date(String(metadata.timeCreated)),
        contentType: 'image/png',
      },
      defaultRenditions()[0]!,
    )!;
    const thumbBytes = await fixture('small-png');
    await bucket.file(thumbName).save(thumbBytes, {
      resumable: false,
      contentType: 'image/png',
      metadata: {
        metadata: { thumbnailOf: `gs://${bucket.name}/${body.name}`, sourceGeneration: body.generation },
      },
    });

    const ready = (await (await fetch(`${web.base}${body.thumbnailStatus}`, { headers })).json()) as {
      status: string;
      thumbnail: string;
    };
    assert.equal(ready.status, 'ready');
    const image = await fetch(`${web.base}${ready.thumbnail}`, { headers });
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(Buffer.from(await image.arrayBuffer()).equals(thumbBytes));

    const page = await (await fetch(`${web.base}/`, { headers })).text();
    assert.ok(page.includes(`src="${ready.thumbnail}"`), 'the gallery shows the thumbnail');
  });

  test('serves nothing outside THUMBNAIL_PREFIX and nothing that is not a raster image', async () => {
    await bucket.file('thumbnails/x/page.html').save('<script>alert(1)</script>', {
      resumable: false,
      contentType: 'text/html',
    });
    assert.equal((await fetch(`${web.base}/thumbnail/thumbnails/x/page.html`)).status, 404);
    assert.equal((await fetch(`${web.base}/thumbnail/${FOLDER}/photo.jpg`)).status, 404);
    assert.equal((await fetch(`${web.base}/thumbnail/thumbnails/../${FOLDER}/photo.jpg`)).status, 404);
    assert.equal((await fetch(`${web.base}/thumbnail/thumbnails/missing.png`)).status, 404);
    assert.equal((await fetch(`${web.base}/api/thumbnail?name=nothing.png&generation=1`)).status, 404);
  });

  test('answers 429 with a clear message once a client exceeds RATE_LIMIT_PER_MINUTE', async () => {
    const limited = await startWeb({ stack, clock: () => AT, env: { RATE_LIMIT_PER_MINUTE: '2' } });
    try {
      const data = await fixture('small-png');
      assert.equal((await upload(limited.base, { filename: 'r1.png', data })).status, 201);
      assert.equal((await upload(limited.base, { filename: 'r2.png', data })).status, 201);
      const res = await upload(limited.base, { filename: 'r3.png', data });
      assert.equal(res.status, 429);
      assert.match(((await res.json()) as { error: string }).error, /Too many uploads/);
      const browser = await upload(limited.base, { filename: 'r4.png', data, json: false });
      assert.equal(browser.status, 303);
      const names = await objectNames(bucket);
      assert.ok(!names.includes(`${FOLDER}/r3.png`) && !names.includes(`${FOLDER}/r4.png`));
    } finally {
      await limited.close();
    }
  });

  test('answers 503 and stores nothing while storage refuses connections or answers 503', async () => {
    // Between the web app and its IAM proxy: the outage is seen under the deployed permissions.
    const proxy = await startFaultProxy(stack.identities.web.url);
    const viaProxy = new Storage({
      apiEndpoint: proxy.url,
      projectId: stack.projectId,
      retryOptions: { autoRetry: false },
    }).bucket(bucket.name);
    const flaky = await startWeb({ bucket: viaProxy, clock: () => AT });
    try {
      const data = await fixture('small-png');
      for (const mode of ['refuse', 'error503'] as const) {
        proxy.setMode(mode);
        const res = await upload(flaky.base, { filename: `outage-${mode}.png`, data });
        assert.equal(res.status, 503, mode);
        assert.match(((await res.json()) as { error: string }).error, /Storage is unavailable/);
      }
      proxy.setMode('pass');
      assert.equal((await upload(flaky.base, { filename: 'after-outage.png', data })).status, 201);
      const names = await objectNames(bucket);
      assert.ok(!names.some((name) => name.includes('outage-')), 'nothing stored during the outage');
      assert.ok(names.includes(`${FOLDER}/after-outage.png`));
    } finally {
      await flaky.close();
      await proxy.close();
    }
  });

  test('without UPLOAD_BUCKET serves a 503 page without a form and refuses uploads with 503', async () => {
    const unconfigured = await startWeb({});
    try {
      const page = await fetch(`${unconfigured.base}/`);
      assert.equal(page.status, 503);
      const html = await page.text();
      assert.match(html, /UPLOAD_BUCKET/);
      assert.doesNotMatch(html, /<form/);
      const res = await upload(unconfigured.base, { filename: 'a.png', data: await fixture('small-png') });
      assert.equal(res.status, 503);
    } finally {
      await unconfigured.close();
    }
  });
});
