import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalSpec, parseRenditions, renditionObjectName, type StoredObject } from '@thumbnailer/core';
import { pruneVerdict, type PruneScope } from './prune.js';

const source = {
  name: '20251203T15Z/photo.jpg',
  generation: '1733238000123456',
  created: new Date('2025-12-03T15:10:00Z'),
};

function rendition(specs: string, name: string, metadata: Record<string, string> = {}): StoredObject {
  const spec = parseRenditions(specs).find((s) => s.name === name)!;
  return {
    bucket: 'b',
    name: renditionObjectName('thumbnails/', source, spec, 'jpeg'),
    generation: '1',
    metageneration: '1',
    size: 100,
    contentType: 'image/jpeg',
    timeCreated: undefined,
    metadata: {
      thumbnailOf: `gs://b/${source.name}`,
      sourceGeneration: source.generation,
      rendition: name,
      renditionSpec: canonicalSpec(spec, 'jpeg'),
      ...metadata,
    },
  };
}

/** A thumbnail of an earlier release: the legacy name, only thumbnailOf and sourceGeneration. */
function legacy(): StoredObject {
  const object = rendition('thumb:100x100', 'thumb');
  return {
    ...object,
    metadata: { thumbnailOf: object.metadata.thumbnailOf!, sourceGeneration: source.generation },
  };
}

const scope = (renditions: string, inputPrefix = ''): PruneScope => ({
  bucket: 'b',
  inputPrefix,
  thumbnailPrefix: 'thumbnails/',
  renditions: parseRenditions(renditions),
});

describe('pruneVerdict', () => {
  it('keeps the renditions RENDITIONS still makes, whatever the source format resolved to', () => {
    const now = 'thumb:100x100,card:400x300:cover:webp';
    assert.equal(pruneVerdict(rendition(now, 'thumb'), scope(now)).action, 'keep');
    assert.equal(pruneVerdict(rendition(now, 'card'), scope(now)).action, 'keep');
    // The same spec written differently makes the same canonical spec: still current.
    assert.equal(
      pruneVerdict(rendition(now, 'card'), scope('thumb:100x100,card:400x300:webp:cover:q80')).action,
      'keep',
    );
  });

  it('deletes a rendition whose spec changed or whose name left RENDITIONS', () => {
    const before = 'thumb:100x100,card:400x300:cover:webp';
    const changed = pruneVerdict(rendition(before, 'card'), scope('thumb:100x100,card:200x150:cover:webp'));
    assert.equal(changed.action, 'delete');
    assert.ok(changed.action === 'delete' && !changed.remake, 'the new spec has another name');
    assert.equal(pruneVerdict(rendition(before, 'card'), scope('thumb:100x100')).action, 'delete');
  });

  it('keeps thumbnails of earlier releases while the default rendition stays, and deletes them once it goes', () => {
    assert.equal(pruneVerdict(legacy(), scope('thumb:100x100')).action, 'keep');
    assert.equal(pruneVerdict(legacy(), scope('thumb:100x100,card:400x300:cover:webp')).action, 'keep');
    assert.equal(pruneVerdict(legacy(), scope('card:400x300:cover:webp')).action, 'delete');
  });

  it('makes the default rendition anew when an old size sits at its name', () => {
    const old = rendition('thumb:100x100', 'thumb');
    const verdict = pruneVerdict(old, scope('thumb:200x200'));
    // thumb:200x200 is not the default for THUMBNAIL_SIZE 100, so it has its own name: no remake.
    assert.ok(verdict.action === 'delete' && !verdict.remake);
    const bigger = { ...scope('thumb:200x200'), renditions: parseRenditions('thumb:200x200', 200) };
    const remade = pruneVerdict(old, bigger);
    assert.ok(remade.action === 'delete' && remade.remake, 'THUMBNAIL_SIZE 200: the same legacy name');
    assert.deepEqual(remade.action === 'delete' && remade.source, {
      name: source.name,
      generation: source.generation,
    });
  });

  it('never deletes on doubt: no thumbnailOf, another folder, a name that disagrees with the metadata', () => {
    const now = scope('card:400x300:cover:webp');
    const card = rendition('thumb:100x100,card:400x300', 'card');
    assert.equal(pruneVerdict({ ...card, metadata: {} }, now).action, 'keep');
    assert.equal(
      pruneVerdict(card, scope('card:400x300:cover:webp', 'old/')).action,
      'keep',
      'source outside INPUT_FOLDER',
    );
    assert.equal(
      pruneVerdict({ ...card, metadata: { ...card.metadata, sourceGeneration: '2' } }, now).action,
      'keep',
    );
    assert.equal(
      pruneVerdict({ ...card, name: 'thumbnails/.backfill/local/x/task-0.json' }, now).action,
      'keep',
    );
    assert.equal(
      pruneVerdict({ ...card, metadata: { ...card.metadata, rendition: 'hero' } }, now).action,
      'keep',
    );
    const { renditionSpec: _, ...noSpec } = card.metadata;
    assert.equal(pruneVerdict({ ...card, metadata: noSpec }, now).action, 'keep');
  });
});
