/**
 * The one pino logger of each process, shaped for Cloud Logging: JSON lines with `severity`, `message` and, per
 * request, the trace. Created once in an app's main.ts and passed in; tests pass their own destination.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export interface LoggerOptions {
  /** pino level name; default `info`. */
  level?: string;
  /** The `service` field on every line: `web`, `worker`, `backfill`. */
  service: string;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
    },
    options.destination,
  );
}

/**
 * `X-Cloud-Trace-Context: TRACE/SPAN;o=1` or `traceparent: 00-TRACE-SPAN-01` → the Cloud Logging trace field,
 * when the project is known.
 */
export function traceFields(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  projectId: string | undefined,
): Record<string, string> {
  const cloud = headers['x-cloud-trace-context'];
  const parent = headers.traceparent;
  const traceId =
    typeof cloud === 'string'
      ? cloud.split('/')[0]
      : typeof parent === 'string'
        ? parent.split('-')[1]
        : undefined;
  if (!projectId || !traceId || !/^[0-9a-f]{1,32}$/i.test(traceId)) return {};
  return { 'logging.googleapis.com/trace': `projects/${projectId}/traces/${traceId}` };
}
