/**
 * Server-rendered HTML. Every dynamic value goes through `text()` (HTML-escaped, control and bidi characters
 * removed). No external assets: the page loads /static/app.css and /static/app.js from this app only.
 */
import {
  ACCEPTED_FORMATS_LABEL,
  CONTENT_TYPES,
  SUPPORTED_FORMATS,
  type RenditionSpec,
} from '@thumbnailer/core';
import escapeHtml from 'escape-html';
import type { GalleryMode } from './config.js';
import type { Flash } from './flash.js';
import { formatBytes } from './errors.js';
import { SESSION_DAYS } from './session.js';
import { printable } from './uploads.js';
import { pictureHtml, pictureOf } from './picture.js';
import type { GalleryItem } from './thumbnails.js';

/** Escapes for HTML text and quoted attributes, after dropping control/bidi characters. */
export function text(value: string): string {
  return escapeHtml(printable(value, 2000));
}

export const ACCEPTED_LABEL = ACCEPTED_FORMATS_LABEL;
export const ACCEPT_ATTRIBUTE = SUPPORTED_FORMATS.map((format) => CONTENT_TYPES[format]).join(',');

/** Uploads the page's script sends at once (each its own POST /upload). */
export const PARALLEL_UPLOADS = 3;

/** The slot a gallery card shows its picture in, and the one beside a just-uploaded file, in CSS px (`data-box`). */
export const CARD_BOX = 200;
export const PREVIEW_BOX = 100;

/** What the footer says is visible, per GALLERY mode: it must be true. */
const FOOTERS: Readonly<Record<GalleryMode | 'none', string>> = {
  session: `Only you see your uploads: this page lists the uploads made from this browser (remembered for ${SESSION_DAYS} days in a cookie), and their thumbnails are served to this browser only. Originals stay private in the bucket.`,
  public:
    'Anyone who opens this page sees the most recent uploads and their thumbnails. Originals stay private in the bucket.',
  off: 'This page lists no uploads; thumbnails are served only to the browser that uploaded them. Originals stay private in the bucket.',
  none: 'Originals stay private in the bucket; thumbnails are made by the worker.',
};

function layout(title: string, body: string, footer: GalleryMode | 'none' = 'none'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<header class="site-header"><div class="wrap"><a class="brand" href="/">Thumbnailer</a></div></header>
<main class="wrap" id="main">
${body}
</main>
<footer class="site-footer"><div class="wrap" id="footer">${text(FOOTERS[footer])}</div></footer>
</body>
</html>
`;
}

function flashBlock(flash: Flash | undefined): string {
  // The live region always exists so that the page's script can announce results in it.
  if (!flash) return '<div id="flash" class="flash" role="status" aria-live="polite" hidden></div>';
  const poll = flash.object
    ? ` data-poll-name="${text(flash.object.name)}" data-poll-generation="${text(flash.object.generation)}"`
    : '';
  const role = flash.kind === 'error' ? 'alert' : 'status';
  return `<div id="flash" class="flash flash-${flash.kind}" role="${role}" aria-live="polite"${poll}><p>${text(flash.message)}</p></div>`;
}

function galleryCard(item: GalleryItem): string {
  const label = `Thumbnail of ${item.name}`;
  const picture = item.renditions ? pictureOf(item.renditions) : undefined;
  const content = picture
    ? `<a href="${text(picture.href)}">${pictureHtml(picture, { alt: printable(label, 2000), box: CARD_BOX })}</a>`
    : `<span class="pending" data-poll-name="${text(item.name)}" data-poll-generation="${text(item.generation)}">Thumbnail on its way…</span>`;
  const file = item.name.slice(item.name.lastIndexOf('/') + 1);
  const when = item.created.toISOString();
  return `<li class="card"><div class="thumb">${content}</div><div class="caption"><span class="object-name" title="${text(item.name)}">${text(file)}</span><span class="meta">${text(formatBytes(item.size))} · <time datetime="${text(when)}">${text(when.slice(11, 16))} UTC</time></span></div></li>`;
}

const GALLERY_HEADINGS: Readonly<Record<'session' | 'public', [string, string]>> = {
  session: ['Your uploads', 'No uploads from this browser yet.'],
  public: ['Recent uploads', 'No uploads in the last day yet.'],
};

function galleryBlock(mode: 'session' | 'public', items: GalleryItem[], error: string | undefined): string {
  const [heading, none] = GALLERY_HEADINGS[mode];
  const empty = error ?? (items.length === 0 ? none : undefined);
  return `<section class="panel" aria-labelledby="recent-heading">
<h2 id="recent-heading">${text(heading)}</h2>
${empty ? `<p class="empty" id="gallery-empty">${text(empty)}</p>` : ''}
<ul class="gallery" id="gallery" aria-labelledby="recent-heading" data-box="${CARD_BOX}">
${items.map(galleryCard).join('\n')}
</ul>
</section>`;
}

/** `a 100 px thumbnail`, or `3 renditions of it: thumb (100 px), card (400×300 px) and hero (1600 px)`. */
export function renditionsLabel(specs: readonly RenditionSpec[]): string {
  const box = (spec: RenditionSpec): string =>
    spec.width === spec.height ? `${spec.width} px` : `${spec.width}×${spec.height} px`;
  const [only] = specs;
  if (specs.length === 1 && only) return `a ${box(only)} thumbnail`;
  const each = specs.map((spec) => `${spec.name} (${box(spec)})`);
  return `${specs.length} renditions of it: ${each.slice(0, -1).join(', ')} and ${each.at(-1) ?? ''}`;
}

export interface UploadPageModel {
  maxUploadBytes: number;
  /** RENDITIONS, for the page to say what is made. */
  renditions: readonly RenditionSpec[];
  mode: GalleryMode;
  flash: Flash | undefined;
  gallery: GalleryItem[];
  /** Set when the gallery could not be read (storage down): the form still works. */
  galleryError?: string;
}

export function renderUploadPage(model: UploadPageModel): string {
  const limit = formatBytes(model.maxUploadBytes);
  const gallery = model.mode === 'off' ? '' : galleryBlock(model.mode, model.gallery, model.galleryError);
  return layout(
    'Upload images · Thumbnailer',
    `<section class="panel" aria-labelledby="upload-heading">
<h1 id="upload-heading">Upload images</h1>
<p class="lead">${text(ACCEPTED_LABEL)}, up to ${text(limit)} each. We store the original and make ${text(renditionsLabel(model.renditions))}.</p>
${flashBlock(model.flash)}
<form id="upload-form" class="upload-form" method="post" action="/upload" enctype="multipart/form-data" data-max-bytes="${model.maxUploadBytes}" data-parallel="${PARALLEL_UPLOADS}">
<label class="dropzone" id="dropzone" for="file">
<span class="dropzone-title">Drag images here</span>
<span class="dropzone-or">or <span class="link-like">choose a file</span></span>
<span class="dropzone-file" id="file-name">No file chosen</span>
<input id="file" name="file" type="file" accept="${ACCEPT_ATTRIBUTE}" required aria-describedby="file-help">
</label>
<p id="file-help" class="help">Accepted: ${text(ACCEPTED_LABEL)}. Maximum size: ${text(limit)} per image.</p>
<button type="submit" class="button" id="upload-button">Upload</button>
</form>
<ul id="uploads" class="uploads" aria-label="Uploads from this page" data-box="${PREVIEW_BOX}" hidden></ul>
<p id="upload-status" class="visually-hidden" role="status" aria-live="polite"></p>
</section>
${gallery}`,
    model.mode,
  );
}

export function renderNotConfiguredPage(flash: Flash | undefined): string {
  return layout(
    'Uploads unavailable · Thumbnailer',
    `<section class="panel" aria-labelledby="upload-heading">
<h1 id="upload-heading">Uploads are unavailable</h1>
${flash ? flashBlock(flash) : ''}
<div class="flash flash-error" role="alert"><p><code>UPLOAD_BUCKET</code> is not set, so there is nowhere to store uploads.</p></div>
<p>Set the <code>UPLOAD_BUCKET</code> environment variable to the name of a Cloud Storage bucket and restart the service.</p>
</section>`,
  );
}

export function renderErrorPage(status: number, message: string): string {
  return layout(
    `Error ${status} · Thumbnailer`,
    `<section class="panel"><h1>Error ${status}</h1><div class="flash flash-error" role="alert"><p>${text(message)}</p></div><p><a href="/">Back to the upload page</a></p></section>`,
  );
}
