/**
 * One-shot flash messages carried across the 303 redirect in a signed, HTTP-only cookie
 * (cookie-parser verifies the signature; a tampered cookie reads as nothing).
 */
import type { Request, Response } from 'express';

export interface Flash {
  kind: 'success' | 'error';
  message: string;
  /** On success: the stored object, so the page can show it and poll for its thumbnail. */
  object?: { name: string; generation: string };
}

const COOKIE = 'flash';
const MAX_MESSAGE = 500;

export function setFlash(req: Request, res: Response, flash: Flash): void {
  res.cookie(COOKIE, JSON.stringify(flash), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: '/',
    maxAge: 60_000,
  });
}

/** Reads and clears the flash message; anything unsigned, tampered or malformed is ignored. */
export function takeFlash(req: Request, res: Response): Flash | undefined {
  const signed = (req.signedCookies as Record<string, unknown> | undefined)?.[COOKIE];
  const present = (req.cookies as Record<string, unknown> | undefined)?.[COOKIE] !== undefined;
  if (present || signed !== undefined) res.clearCookie(COOKIE, { path: '/' });
  return typeof signed === 'string' ? parseFlash(signed) : undefined;
}

export function parseFlash(raw: string): Flash | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, message, object } = value as Record<string, unknown>;
  if ((kind !== 'success' && kind !== 'error') || typeof message !== 'string') return undefined;
  const flash: Flash = { kind, message: message.slice(0, MAX_MESSAGE) };
  if (typeof object === 'object' && object !== null) {
    const { name, generation } = object as Record<string, unknown>;
    if (typeof name === 'string' && typeof generation === 'string' && /^\d+$/.test(generation)) {
      flash.object = { name, generation };
    }
  }
  return flash;
}
