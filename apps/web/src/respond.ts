/**
 * How an answer is delivered, decided in one place for successes and failures alike: JSON to API clients
 * (`Accept: application/json`, or anything under /api/), and to a browser either a flash message carried across a
 * 303 back to the page (after a form post) or an HTML page.
 */
import type { Request, Response } from 'express';
import { setFlash, type Flash } from './flash.js';

export function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.accepts(['html', 'json']) === 'json';
}

export interface Answer {
  status: number;
  json: Record<string, unknown>;
  /** For a browser's form post: shown on the page after the 303. */
  flash?: Flash;
  /** For a browser's page request: the page. */
  page?: () => string;
}

export function deliver(req: Request, res: Response, answer: Answer): void {
  // The outcome's status, also when a browser receives it as a 303 (metrics count outcomes, not redirects).
  res.locals.outcomeStatus = answer.status;
  if (wantsJson(req)) {
    res.status(answer.status).json(answer.json);
  } else if (answer.flash) {
    setFlash(req, res, answer.flash);
    res.redirect(303, '/');
  } else {
    res
      .status(answer.status)
      .type('html')
      .send(answer.page?.() ?? '');
  }
}
