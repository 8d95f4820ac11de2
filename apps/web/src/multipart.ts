/**
 * The multipart parser (multer, one file in memory, tight limits) and the client's file name as the user wrote it.
 *
 * Browsers send the file name as raw UTF-8 bytes; busboy reads header parameters as latin1 unless told otherwise
 * (multer's `defParamCharset`). Reading them as `utf8` instead would turn a genuine latin1 name (old clients) into
 * U+FFFD, so they are read as latin1, which keeps every byte, and decoded here: bytes that form valid UTF-8 are
 * UTF-8, anything else stays latin1. An RFC 5987 `filename*=UTF-8''…` is decoded by busboy itself.
 */
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import type { Request, Response } from 'express';
import multer from 'multer';
import { fromMulterError } from './errors.js';
import type { BodyParser } from './slow-clients.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `cafÃ©.jpg` (UTF-8 bytes read as latin1) → `café.jpg`; genuine latin1 and already-decoded names unchanged. */
export function decodeFilename(raw: string): string {
  // Only ASCII, or characters beyond latin1 (busboy decoded a filename* already): nothing to undo.
  const codes = Array.from(raw, (c) => c.charCodeAt(0));
  if (!codes.some((code) => code >= 0x80) || codes.some((code) => code > 0xff)) return raw;
  try {
    return utf8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    return raw;
  }
}

/** multer ≥ 2.1 takes `streamHandler`; its type definitions do not know it yet. */
type MulterOptions = multer.Options & {
  streamHandler?: (req: IncomingMessage, busboy: Writable) => void;
};

/** What the first bytes of each body were, read before the parser (slow-clients.ts), by request. */
const heads = new WeakMap<Request, Buffer[]>();

export function multipartParser(maxUploadBytes: number): BodyParser {
  const options: MulterOptions = {
    storage: multer.memoryStorage(), // one Buffer per upload, handed to probe and save, dropped with the request
    defParamCharset: 'latin1',
    limits: {
      fileSize: maxUploadBytes,
      files: 1,
      fields: 5,
      parts: 6,
      fieldNameSize: 100,
      fieldSize: 1024,
      headerPairs: 100,
    },
    streamHandler: (req, busboy) => {
      for (const chunk of heads.get(req as Request) ?? []) busboy.write(chunk);
      if (req.readableEnded) busboy.end();
      else req.pipe(busboy);
    },
  };
  const parse = multer(options).single('file');
  return (req: Request, res: Response, head: Buffer[], done: (err?: unknown) => void) => {
    heads.set(req, head);
    parse(req, res, (err?: unknown) => {
      heads.delete(req);
      if (err !== undefined && err !== null) {
        done(fromMulterError(err, maxUploadBytes));
        return;
      }
      if (req.file) req.file.originalname = decodeFilename(req.file.originalname);
      done();
    });
  };
}
