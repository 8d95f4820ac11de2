/* Thumbnailer upload page: drag-and-drop, upload without a reload, poll for the thumbnail.
   Without JavaScript the form posts normally and the server answers with a redirect and a flash message.
   Text from the server is only ever inserted with textContent. */
/* global document, fetch, FormData, setTimeout, URLSearchParams */
'use strict';

const POLL_INTERVAL_MS = 1500;
const POLL_ATTEMPTS = 80;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function showFlash(kind, message) {
  const flash = document.getElementById('flash');
  if (!flash) return;
  flash.hidden = false;
  flash.className = `flash flash-${kind}`;
  flash.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  flash.replaceChildren(el('p', '', message));
}

function thumbnailImage(url, name) {
  const img = el('img');
  img.src = url;
  img.alt = `Thumbnail of ${name}`;
  return img;
}

/** Polls the app until the worker has made the thumbnail, then puts it in `slot`. */
function pollThumbnail(name, generation, slot) {
  let attempts = 0;
  const query = new URLSearchParams({ name, generation }).toString();
  const tick = async () => {
    attempts += 1;
    try {
      const response = await fetch(`/api/thumbnail?${query}`, { headers: { Accept: 'application/json' } });
      if (response.ok) {
        const body = await response.json();
        if (body.status === 'ready') {
          slot.replaceChildren(thumbnailImage(body.thumbnail, name));
          return;
        }
      } else if (response.status === 404) {
        slot.replaceChildren(el('span', 'pending', 'No thumbnail'));
        return;
      }
    } catch {
      // Network hiccup: keep polling.
    }
    if (attempts < POLL_ATTEMPTS) setTimeout(tick, POLL_INTERVAL_MS);
    else slot.replaceChildren(el('span', 'pending', 'Thumbnail not ready yet; reload later'));
  };
  setTimeout(tick, 300);
}

function showResult(body) {
  const result = document.getElementById('result');
  if (!result) return;
  const slot = el('div', 'thumb');
  slot.append(el('span', 'pending', 'Making the thumbnail…'));
  const details = el('dl');
  const rows = [
    ['Stored as', body.uri],
    ['Type', body.contentType],
    ['Size', `${body.width}×${body.height} px, ${body.size} bytes`],
  ];
  for (const [term, value] of rows) {
    details.append(el('dt', '', term), el('dd', '', String(value)));
  }
  result.replaceChildren(slot, details);
  result.hidden = false;
  pollThumbnail(body.name, body.generation, slot);

  const gallery = document.getElementById('gallery');
  if (gallery) {
    document.getElementById('gallery-empty')?.remove();
    const card = el('li', 'card');
    const cardSlot = el('div', 'thumb');
    cardSlot.append(el('span', 'pending', 'Thumbnail on its way…'));
    const caption = el('div', 'caption');
    const objectName = el('span', 'object-name', body.name.slice(body.name.lastIndexOf('/') + 1));
    objectName.title = body.name;
    caption.append(objectName, el('span', 'meta', 'just now'));
    card.append(cardSlot, caption);
    gallery.prepend(card);
    pollThumbnail(body.name, body.generation, cardSlot);
  }
}

function setup() {
  // Thumbnails not made yet when the page was rendered (gallery, or after a no-JS upload).
  for (const pending of document.querySelectorAll('[data-poll-name]')) {
    const name = pending.getAttribute('data-poll-name');
    const generation = pending.getAttribute('data-poll-generation');
    if (!name || !generation) continue;
    if (pending.classList.contains('pending')) {
      pollThumbnail(name, generation, pending.parentElement);
    } else if (pending.id === 'flash') {
      showResultSlot(name, generation);
    }
  }

  const form = document.getElementById('upload-form');
  const input = document.getElementById('file');
  const dropzone = document.getElementById('dropzone');
  const fileName = document.getElementById('file-name');
  const button = document.getElementById('upload-button');
  if (!form || !input || !dropzone || !button) return;
  const maxBytes = Number(form.getAttribute('data-max-bytes'));

  const describeChoice = () => {
    const file = input.files && input.files[0];
    if (fileName) fileName.textContent = file ? `Selected: ${file.name}` : 'No file chosen';
  };
  input.addEventListener('change', describeChoice);

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
    if (event.dataTransfer && event.dataTransfer.files.length > 0) {
      input.files = event.dataTransfer.files;
      describeChoice();
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = input.files && input.files[0];
    if (!file) {
      showFlash('error', 'Choose an image to upload first.');
      return;
    }
    if (maxBytes > 0 && file.size > maxBytes) {
      showFlash('error', 'That file is larger than the size limit.');
      return;
    }
    button.disabled = true;
    button.textContent = 'Uploading…';
    try {
      const response = await fetch('/upload', {
        method: 'POST',
        body: new FormData(form),
        headers: { Accept: 'application/json' },
      });
      let body;
      try {
        body = await response.json();
      } catch {
        body = { status: 'error', error: `The server answered ${response.status}.` };
      }
      if (response.status === 201 && body.status === 'uploaded') {
        showFlash('success', `Uploaded ${file.name} as ${body.name}.`);
        showResult(body);
        form.reset();
        describeChoice();
      } else {
        showFlash('error', body.error || `The upload failed (${response.status}).`);
      }
    } catch {
      showFlash('error', 'The upload did not reach the server. Check your connection and try again.');
    } finally {
      button.disabled = false;
      button.textContent = 'Upload';
    }
  });
}

/** After a no-JavaScript upload the flash names the object: show its thumbnail slot too. */
function showResultSlot(name, generation) {
  const result = document.getElementById('result');
  if (!result) return;
  const slot = el('div', 'thumb');
  slot.append(el('span', 'pending', 'Making the thumbnail…'));
  const details = el('dl');
  details.append(el('dt', '', 'Stored as'), el('dd', '', name));
  result.replaceChildren(slot, details);
  result.hidden = false;
  pollThumbnail(name, generation, slot);
}

setup();
