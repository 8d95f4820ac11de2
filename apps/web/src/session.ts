/**
 * The uploads made from this browser, remembered in signed, HTTP-only cookies and nowhere else (nothing in the
 * bucket changes): one cookie per upload, so that uploads running at once cannot overwrite each other's entry as
 * they would in a single list; at most SESSION_UPLOADS of them (the oldest are dropped), each for SESSION_DAYS.
 *
 * A cookie holds what the page needs without asking storage: `<generation>.<created ms>.<size>.<format>.<name>`.
 * cookie-parser verifies the signature (SESSION_SECRET); a tampered or malformed cookie reads as nothing.
 */
import { createHash } from 'node:crypto';
import { CONTENT_TYPES, SUPPORTED_FORMATS, type ImageFormat } from '@thumbnailer/core';
import type { CookieOptions, Request, Response } from 'express';
import type { SourceInfo } from './thumbnails.js';

export const SESSION_UPLOADS = 12;
export const SESSION_DAYS = 7;

const COOKIE_PREFIX = 'up_';
const UPLOAD_NAME = /^\d{8}T\d{2}Z\/[A-Za-z0-9._-]{1,220}$/;
const FORMAT_BY_TYPE = new Map(SUPPORTED_FORMATS.map((format) => [CONTENT_TYPES[format], format]));

function cookieName(name: string, generation: string): string {
  const digest = createHash('sha256').update(`${name}#${generation}`).digest('hex');
  return `${COOKIE_PREFIX}${digest.slice(0, 16)}`;
}

function encode(upload: SourceInfo): string | undefined {
  const format = FORMAT_BY_TYPE.get(upload.contentType);
  if (!format || !UPLOAD_NAME.test(upload.name)) return undefined;
  return [upload.generation, upload.created.getTime(), upload.size, format, upload.name].join('.');
}

function decode(value: unknown): SourceInfo | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,20})\.(\d{1,15})\.(\d{1,12})\.([a-z]{3,4})\.(.+)$/.exec(value);
  if (!match) return undefined;
  const [, generation = '', created = '', size = '', format = '', name = ''] = match;
  if (!(SUPPORTED_FORMATS as readonly string[]).includes(format) || !UPLOAD_NAME.test(name)) return undefined;
  return {
    name,
    generation,
    created: new Date(Number(created)),
    contentType: CONTENT_TYPES[format as ImageFormat],
    size: Number(size),
  };
}

function entries(req: Request): { cookie: string; upload: SourceInfo }[] {
  const signed = (req.signedCookies ?? {}) as Record<string, unknown>;
  return Object.entries(signed)
    .filter(([cookie]) => cookie.startsWith(COOKIE_PREFIX))
    .flatMap(([cookie, value]) => {
      const upload = decode(value);
      return upload && cookie === cookieName(upload.name, upload.generation) ? [{ cookie, upload }] : [];
    })
    .sort((a, b) => b.upload.created.getTime() - a.upload.created.getTime());
}

/** This browser's uploads, newest first, at most SESSION_UPLOADS. */
export function sessionUploads(req: Request): SourceInfo[] {
  return entries(req)
    .slice(0, SESSION_UPLOADS)
    .map((entry) => entry.upload);
}

/** The upload if this browser made it, else undefined. */
export function sessionUpload(req: Request, name: string, generation: string): SourceInfo | undefined {
  const signed = (req.signedCookies ?? {}) as Record<string, unknown>;
  const upload = decode(signed[cookieName(name, generation)]);
  return upload?.name === name && upload.generation === generation ? upload : undefined;
}

function options(req: Request): CookieOptions {
  return { signed: true, httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' };
}

/** Remembers a stored upload for this browser, dropping the oldest beyond SESSION_UPLOADS. */
export function rememberUpload(req: Request, res: Response, upload: SourceInfo): void {
  const value = encode(upload);
  if (value === undefined) return;
  res.cookie(cookieName(upload.name, upload.generation), value, {
    ...options(req),
    maxAge: SESSION_DAYS * 24 * 3_600_000,
  });
  for (const old of entries(req).slice(SESSION_UPLOADS - 1)) res.clearCookie(old.cookie, { path: '/' });
}
