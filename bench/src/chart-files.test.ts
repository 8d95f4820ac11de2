import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { renderSvg, runInfoNow, writeCharts } from './chart-files.js';
import { coreChart, type RunInfo } from './charts.js';
import type { CoreData } from './core.js';

const run: RunInfo = {
  startedAt: new Date('2026-12-02T14:40:00Z'),
  machine: '2 cores, Test CPU, 24 GiB, Node v20.20.2',
  loadAverage: [1, 1, 1],
  rounds: 2,
  passes: 2,
  quick: false,
};

const core: CoreData = {
  classes: [
    {
      imageClass: 'jpeg-12mp',
      files: 6,
      figures: [
        { configuration: 'pillow-1', label: 'Pillow', cpuMs: 47.3, vsPillow: 1, vsFloor: 0.92 },
        { configuration: 'floor-1', label: 'floor', cpuMs: 51.4, vsPillow: 0.92, vsFloor: 1 },
        { configuration: 'core-buffer-1', label: 'core bytes', cpuMs: 53.2, vsPillow: 0.89, vsFloor: 1.04 },
      ],
    },
  ],
};

/** The text of every <text> element, or of each of its <tspan> lines (Vega's multi-line titles). */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<(?:text|tspan)\b[^>]*>([^<]+)</g)].map((m) => m[1]!);
}

test('a chart renders to well-formed SVG with its title, caption, axis, legend and bar labels as text', async () => {
  const svg = await renderSvg(coreChart(core, run));
  assert.ok(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(svg), svg.slice(0, 200));
  // librsvg (through sharp) parses the whole document and rejects malformed XML.
  const metadata = await sharp(Buffer.from(svg)).metadata();
  assert.equal(metadata.format, 'svg');
  assert.ok(metadata.width > 400 && metadata.height > 200, `${metadata.width}×${metadata.height}`);
  const labels = texts(svg);
  for (const expected of [
    'Core vs Pillow vs the decode floor: CPU time per image, by image class',
    'CPU ms per image (lower is better)',
    'jpeg-12mp (6)',
    '47.3 ms',
    '51.4 ms',
    '53.2 ms',
    '0.89× Pillow speed · 1.04× floor time',
    'Pillow Image.thumbnail (the previous service)',
    'decode floor: djpeg -scale 1/8 (JPEG only)',
  ]) {
    assert.ok(labels.includes(expected), `no <text> "${expected}" in ${JSON.stringify(labels)}`);
  }
  assert.ok(labels.some((l) => l.includes('2026-12-02 14:40 UTC')));
  assert.ok(!labels.some((l) => l.endsWith('…')), 'no label is truncated');
  // A solid background behind everything.
  assert.ok(
    /^<svg [^>]*><rect width="[\d.]+" height="[\d.]+" fill="#ffffff"\/>/.test(svg),
    svg.slice(0, 300),
  );
});

test('charts are written into their directory under their file names', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-charts-'));
  try {
    const paths = await writeCharts(join(dir, 'charts'), [{ file: 'core.svg', spec: coreChart(core, run) }]);
    assert.deepEqual(paths, [join(dir, 'charts', 'core.svg')]);
    assert.match(await readFile(paths[0]!, 'utf8'), /^<svg /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the run details name this machine's cores and memory and the load average now", () => {
  const info = runInfoNow({ rounds: 1, passes: 1, quick: true });
  assert.match(info.machine, /^\d+ cores, .+, \d+ GiB, Node v\d+/);
  assert.equal(info.loadAverage.length, 3);
  assert.equal(info.quick, true);
});
