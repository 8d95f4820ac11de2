// What the proxy saw: every request it received, counted by class and logged in arrival order (its own lookups
// upstream are not in it), until reset().
import type { IncomingMessage } from 'node:http';
import { requestClasses, type RequestClass } from '../iam-routes.js';

export type StorageRequestCounts = Record<RequestClass, number> & {
  /** Requests answered 403 by the proxy (each also counted under its class). */
  refused: number;
  /** Every request the proxy received (the sum of the classes). */
  total: number;
};

/** One request the proxy received, as the identity sent it (the proxy's own lookups are not in it). */
export interface ProxiedRequest {
  method: string;
  /** Path and query, decoded. */
  path: string;
  class: RequestClass;
  /** The object a write names (an upload names it in its body, not in its path). */
  object?: string;
}

export interface RequestLog {
  /** Counts and logs `req` under `cls`; `reclassify` moves it to another class once its answer tells. */
  count(cls: RequestClass, req: IncomingMessage, object?: string): { reclassify(to: RequestClass): void };
  refused(): void;
  counts(): StorageRequestCounts;
  requests(): readonly ProxiedRequest[];
  reset(): void;
}

function emptyCounts(): StorageRequestCounts {
  return {
    ...Object.fromEntries(requestClasses.map((c) => [c, 0])),
    refused: 0,
    total: 0,
  } as StorageRequestCounts;
}

/** The path as a reader wants it in the log: decoded, or as sent when it is not valid percent-encoding. */
function decodedPath(req: IncomingMessage): string {
  const path = req.url ?? '/';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function createRequestLog(): RequestLog {
  let counts = emptyCounts();
  let log: ProxiedRequest[] = [];
  return {
    count(cls, req, object) {
      counts[cls] += 1;
      counts.total += 1;
      const entry: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: decodedPath(req),
        class: cls,
        ...(object !== undefined ? { object } : {}),
      };
      log.push(entry);
      const counted = counts;
      return {
        reclassify(to) {
          if (counted !== counts) return; // reset() since: not in the counts any more
          counts[entry.class] -= 1;
          counts[to] += 1;
          entry.class = to;
        },
      };
    },
    refused() {
      counts.refused += 1;
    },
    counts: () => ({ ...counts }),
    requests: () => [...log],
    reset() {
      counts = emptyCounts();
      log = [];
    },
  };
}
