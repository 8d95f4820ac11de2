/* Thumbnailer upload page: several images at once from the picker or the drop zone, each its own POST /upload
   (at most data-parallel at a time) with its own progress bar, then its stored name or why it was refused, then its
   thumbnail once the worker has made it (a bounded, backing-off poll of /api/thumbnail), as a responsive <picture>
   over the rendition set (the `picture` of the answer, the same markup the server renders: src/picture.ts), with
   the ThumbHash (decoded by the thumbhash package's own module, /static/thumbhash.js) or the dominant colour as its
   background until it loads.
   Without JavaScript the form posts one file normally and the server answers with a redirect and a flash message.
   Text from the server is only ever inserted with textContent or as attribute values. */
/* global document, XMLHttpRequest, FormData, setTimeout, URLSearchParams, fetch, atob */
'use strict';

/** Poll delays in ms: quick at first (the worker takes ~0.1–1 s), then backing off; about two minutes in all. */
const POLL_DELAYS = [
  400, 700, 1000, 1500, 2000, 3000, 5000, 5000, 8000, 8000, 10000, 15000, 15000, 20000, 20000,
];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Screen readers hear what happens to each upload here (a polite live region). */
function announce(message) {
  const status = document.getElementById('upload-status');
  if (status) status.textContent = message;
}

let thumbhash;
/** The thumbhash module, loaded once, when the first placeholder needs it. */
function thumbhashModule() {
  thumbhash ??= import('/static/thumbhash.js');
  return thumbhash;
}

/** Paints the ThumbHash (else the dominant colour) behind `img` until it has loaded (CSSOM: allowed by the CSP). */
function placeholder(img, hash, color) {
  if (img.complete && img.naturalWidth > 0) return;
  if (!hash && !color) return;
  const clear = () => {
    img.classList.remove('is-placeholder');
    img.style.backgroundImage = '';
    img.style.backgroundColor = '';
  };
  img.addEventListener('load', clear, { once: true });
  img.addEventListener('error', clear, { once: true });
  img.classList.add('is-placeholder');
  if (color) img.style.backgroundColor = color;
  if (!hash) return;
  thumbhashModule()
    .then(({ thumbHashToDataURL }) => {
      if (!img.classList.contains('is-placeholder')) return;
      const bytes = Uint8Array.from(atob(hash), (c) => c.charCodeAt(0));
      img.style.backgroundImage = `url("${thumbHashToDataURL(bytes)}")`;
    })
    .catch(() => {
      // The colour stays.
    });
}

/** The picture's size in a box×box slot: its aspect, fitted, never wider than its largest candidate. */
function displaySize(picture, box) {
  if (!picture.width || !picture.height) return undefined;
  const scale = Math.min(
    box / picture.width,
    box / picture.height,
    (picture.maxWidth || picture.width) / picture.width,
  );
  return {
    width: Math.max(1, Math.round(picture.width * scale)),
    height: Math.max(1, Math.round(picture.height * scale)),
  };
}

/** A link to the largest rendition around a <picture> for a box×box slot, as src/picture.ts renders it. */
function pictureLink(picture, name, box) {
  const link = el('a');
  link.href = picture.href;
  const element = el('picture');
  const size = displaySize(picture, box);
  for (const source of picture.sources) {
    const node = el('source');
    node.type = source.type;
    node.srcset = source.srcset;
    if (size) node.sizes = `${size.width}px`;
    element.append(node);
  }
  const img = el('img');
  if (picture.srcset && size) {
    img.srcset = picture.srcset;
    img.sizes = `${size.width}px`;
  }
  if (size) {
    img.width = size.width;
    img.height = size.height;
  }
  img.alt = `Thumbnail of ${name}`;
  img.decoding = 'async';
  img.src = picture.src;
  placeholder(img, picture.thumbhash, picture.dominantColor);
  element.append(img);
  link.append(element);
  return link;
}

/** The box (CSS px) a slot shows pictures in: its list's data-box. */
function boxOf(slot) {
  return Number(slot.closest('[data-box]')?.getAttribute('data-box')) || 100;
}

/**
 * Polls until the worker has made the first rendition, then puts the picture in each of `slots` and calls
 * `onReady`; while the set is incomplete (renditions still being written) it keeps polling, and redraws once whole.
 */
function pollThumbnail(name, generation, slots, onReady) {
  const fill = (make) => {
    for (const slot of [].concat(slots)) slot.replaceChildren(make(slot));
  };
  const query = new URLSearchParams({ name, generation }).toString();
  let attempt = 0;
  let shown = false;
  let drawn = '';
  const tick = async () => {
    try {
      const response = await fetch(`/api/thumbnail?${query}`, { headers: { Accept: 'application/json' } });
      if (response.ok) {
        const body = await response.json();
        if (body.status === 'ready') {
          const picture = JSON.stringify(body.picture);
          if (picture !== drawn) fill((slot) => pictureLink(body.picture, name, boxOf(slot)));
          drawn = picture;
          if (!shown && onReady) onReady();
          shown = true;
          if (body.complete) return;
        }
      } else if (response.status === 404) {
        fill(() => el('span', 'pending', 'No thumbnail'));
        return;
      }
    } catch {
      // A network hiccup: try again later.
    }
    if (attempt < POLL_DELAYS.length) setTimeout(tick, POLL_DELAYS[attempt++]);
    else if (!shown) fill(() => el('span', 'pending', 'Thumbnail not ready yet; reload later'));
  };
  setTimeout(tick, POLL_DELAYS[attempt++]);
}

/** One file's row in the upload list: name, progress bar, state line, thumbnail slot. */
function uploadRow(file) {
  const row = el('li', 'upload');
  const slot = el('div', 'thumb');
  slot.append(el('span', 'pending', 'Waiting…'));
  const body = el('div', 'upload-body');
  const title = el('span', 'upload-name', file.name);
  const progress = el('progress', 'upload-progress');
  progress.max = Math.max(file.size, 1);
  progress.value = 0;
  progress.setAttribute('aria-label', `Upload of ${file.name}`);
  const state = el('span', 'upload-state', 'Queued');
  body.append(title, progress, state);
  row.append(slot, body);
  return { row, slot, progress, state };
}

function percent(sent, total) {
  return total > 0 ? Math.floor((sent / total) * 100) : 100;
}

/** Sends one file as its own POST /upload, reporting bytes sent; resolves with { status, body }. */
function send(file, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/upload');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      let body;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { status: 'error', error: `The server answered ${xhr.status}.` };
      }
      resolve({ status: xhr.status, body });
    });
    const failed = () =>
      resolve({
        status: 0,
        body: { error: 'The upload did not reach the server. Check your connection and try again.' },
      });
    xhr.addEventListener('error', failed);
    xhr.addEventListener('timeout', failed);
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

async function uploadOne(file, view, maxBytes) {
  if (maxBytes > 0 && file.size > maxBytes) {
    refuse(file, view, 'The file is larger than the size limit.');
    return;
  }
  view.row.classList.add('is-sending');
  view.state.textContent = 'Sending… 0%';
  view.slot.replaceChildren(el('span', 'pending', 'Sending…'));
  let announced = 0;
  const { status, body } = await send(file, (sent, total) => {
    view.progress.max = total;
    view.progress.value = sent;
    const done = percent(sent, total);
    view.state.textContent = `Sending… ${done}%`;
    if (done >= announced + 50 && done < 100) {
      announced = done;
      announce(`${file.name}: ${done}% sent`);
    }
  });
  view.row.classList.remove('is-sending');
  if (status === 201 && body.status === 'uploaded') {
    view.progress.value = view.progress.max;
    view.row.classList.add('is-stored');
    view.state.textContent = `Stored as ${body.name}`;
    view.slot.replaceChildren(el('span', 'pending', 'Making the thumbnail…'));
    announce(`${file.name} stored as ${body.name}`);
    const slots = [view.slot];
    const card = galleryCard(body);
    if (card) slots.push(card);
    pollThumbnail(body.name, body.generation, slots, () => announce(`${file.name}: thumbnail ready`));
  } else {
    refuse(file, view, body.error || `The upload failed (${status}).`);
  }
}

/** A card for a stored upload at the top of this browser's gallery (when the page has one); returns its slot. */
function galleryCard(body) {
  const gallery = document.getElementById('gallery');
  if (!gallery) return undefined;
  document.getElementById('gallery-empty')?.remove();
  const card = el('li', 'card');
  const slot = el('div', 'thumb');
  slot.append(el('span', 'pending', 'Thumbnail on its way…'));
  const caption = el('div', 'caption');
  const objectName = el('span', 'object-name', body.name.slice(body.name.lastIndexOf('/') + 1));
  objectName.title = body.name;
  caption.append(objectName, el('span', 'meta', 'just now'));
  card.append(slot, caption);
  gallery.prepend(card);
  return slot;
}

function refuse(file, view, reason) {
  view.row.classList.add('is-refused');
  view.state.textContent = `Refused: ${reason}`;
  view.slot.replaceChildren(el('span', 'pending', 'Not stored'));
  announce(`${file.name} refused: ${reason}`);
}

/** Runs `jobs` (functions returning promises) at most `limit` at a time. */
function runLimited(jobs, limit) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  return Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

function setup() {
  // Pictures the server rendered that are still loading: their placeholder until they have.
  for (const img of document.querySelectorAll('img[data-thumbhash], img[data-color]')) {
    placeholder(img, img.getAttribute('data-thumbhash'), img.getAttribute('data-color'));
  }

  // Thumbnails not made yet when the page was rendered (gallery cards).
  for (const pending of document.querySelectorAll('.pending[data-poll-name]')) {
    const name = pending.getAttribute('data-poll-name');
    const generation = pending.getAttribute('data-poll-generation');
    if (name && generation) pollThumbnail(name, generation, pending.parentElement);
  }

  const form = document.getElementById('upload-form');
  const input = document.getElementById('file');
  const dropzone = document.getElementById('dropzone');
  const list = document.getElementById('uploads');
  const button = document.getElementById('upload-button');
  if (!form || !input || !dropzone || !list) return;
  const maxBytes = Number(form.getAttribute('data-max-bytes'));
  const parallel = Math.max(1, Number(form.getAttribute('data-parallel')) || 3);

  // After a no-JavaScript upload the flash names the object: follow its thumbnail here too.
  const flash = document.getElementById('flash');
  const flashName = flash && flash.getAttribute('data-poll-name');
  const flashGeneration = flash && flash.getAttribute('data-poll-generation');
  if (flashName && flashGeneration) {
    const view = uploadRow({ name: flashName, size: 1 });
    view.progress.value = 1;
    view.state.textContent = `Stored as ${flashName}`;
    view.slot.replaceChildren(el('span', 'pending', 'Making the thumbnail…'));
    list.append(view.row);
    list.hidden = false;
    pollThumbnail(flashName, flashGeneration, view.slot);
  }

  // With JavaScript: several files, sent as soon as they are chosen or dropped.
  input.multiple = true;
  input.required = false;
  if (button) button.hidden = true;
  const choice = document.getElementById('file-name');
  const title = dropzone.querySelector('.link-like');
  if (title) title.textContent = 'choose files';

  const start = (files) => {
    const chosen = Array.from(files);
    if (chosen.length === 0) return;
    if (choice) choice.textContent = `${chosen.length} file${chosen.length === 1 ? '' : 's'} chosen`;
    list.hidden = false;
    const views = chosen.map(uploadRow);
    list.prepend(...views.map((view) => view.row));
    announce(`Uploading ${chosen.length} file${chosen.length === 1 ? '' : 's'}`);
    void runLimited(
      chosen.map((file, i) => () => uploadOne(file, views[i], maxBytes)),
      parallel,
    ).then(() => {
      input.value = '';
    });
  };

  input.addEventListener('change', () => start(input.files || []));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start(input.files || []);
  });
  for (const type of ['dragenter', 'dragover']) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add('is-dragover');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    dropzone.addEventListener(type, () => dropzone.classList.remove('is-dragover'));
  }
  dropzone.addEventListener('drop', (event) => {
    event.preventDefault();
    if (event.dataTransfer) start(event.dataTransfer.files);
  });
}

setup();
